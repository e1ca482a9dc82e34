"""SGD's in-place update: same numbers, users' arrays untouched, versions still move."""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import InplaceModificationError, Tensor
from nn import Parameter
from nn.optim import SGD
from nn.optim.sgd import _subtract_scaled


def _train(steps: int, momentum: float) -> np.ndarray:
    weight = Parameter(np.linspace(-1.0, 1.0, 6).reshape(2, 3))
    optimizer = SGD([weight], lr=0.1, momentum=momentum)
    for _ in range(steps):
        optimizer.zero_grad()
        (weight * weight * weight).sum().backward()
        optimizer.step()
    return weight.data


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_in_place_steps_give_the_out_of_place_numbers(momentum: float) -> None:
    weight = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    velocity = np.zeros_like(weight)
    for step in range(3):
        grad = 3 * weight**2
        velocity = grad if step == 0 or momentum == 0 else momentum * velocity + grad
        weight = weight - 0.1 * velocity
    np.testing.assert_allclose(_train(3, momentum), weight, rtol=1e-14)


def test_the_users_array_is_never_written_and_later_steps_reuse_the_optimizers_own() -> None:
    users = np.ones(4)
    weight = Parameter(users)
    optimizer = SGD([weight], lr=0.5)
    made = []
    for _ in range(3):
        weight.grad = Tensor(np.ones(4))
        optimizer.step()
        made.append(weight.data)
    np.testing.assert_array_equal(users, np.ones(4))
    assert made[0] is made[1] is made[2]  # steps 2 and 3 updated the array of step 1 in place
    np.testing.assert_array_equal(weight.data, np.full(4, -0.5))


def test_an_in_place_step_still_renews_the_version() -> None:
    weight = Parameter([1.0, 2.0])
    optimizer = SGD([weight], lr=0.1)
    (weight * weight).sum().backward()
    optimizer.step()  # first step: a new array, made by the optimizer
    loss = (weight * weight).sum()
    loss.backward(retain_graph=True)
    optimizer.step()  # in place, but the graph saved the old values
    with pytest.raises(InplaceModificationError, match="Mul: input"):
        loss.backward()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(300, 70), (300, 200), (70000,), (40, 30, 50), (1, 50000)])
def test_subtract_scaled_in_blocks_matches_the_plain_formula(dtype: type, shape) -> None:
    rng = np.random.default_rng(0)
    data = rng.standard_normal(shape).astype(dtype)
    direction = rng.standard_normal(shape).astype(dtype)
    expected = data - 0.25 * direction
    result = _subtract_scaled(data, 0.25, direction)
    assert result is data
    np.testing.assert_array_equal(data, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(256, 784), (10, 256), (256,), (1100, 300)])
def test_sgd_steps_with_the_kept_scratch_block_give_the_plain_formula_bit_for_bit(
    dtype: type, shape
) -> None:
    # steps 2+ go through the scratch block (large shapes) or the one-step path (small ones)
    rng = np.random.default_rng(3)
    start = rng.standard_normal(shape).astype(dtype)
    weight = Parameter(start.copy(), dtype=dtype)
    optimizer = SGD([weight], lr=0.01)
    expected = start.copy()
    for step in range(3):
        grad = rng.standard_normal(shape).astype(dtype)
        weight.grad = Tensor(grad)
        optimizer.step()
        expected = expected - 0.01 * grad
        assert weight.data.dtype == dtype
        np.testing.assert_array_equal(weight.data, expected, err_msg=f"step {step}")


def test_sgd_step_leaves_every_grad_intact() -> None:
    # PyTorch's contract: .grad is read, never scaled in place (the hand-written NumPy step
    # may do g *= lr; the optimizer may not)
    rng = np.random.default_rng(4)
    params = [Parameter(rng.standard_normal(shape)) for shape in [(512, 400), (400,), (3, 3)]]
    optimizer = SGD(params, lr=0.5)
    for _ in range(3):
        grads = [rng.standard_normal(p.shape) for p in params]
        kept = [g.copy() for g in grads]
        for param, grad in zip(params, grads):
            param.grad = Tensor(grad)
        optimizer.step()
        for param, grad, copy in zip(params, grads, kept):
            assert param.grad.data is grad
            np.testing.assert_array_equal(grad, copy)


@pytest.mark.parametrize(
    "layouts", [("C", "F"), ("F", "C"), ("F", "F"), ("strided", "C"), ("C", "strided")]
)
@pytest.mark.parametrize("with_scratch", [False, True])
def test_subtract_scaled_on_any_layout_matches_the_plain_formula(layouts, with_scratch) -> None:
    rng = np.random.default_rng(5)

    def make(layout: str) -> np.ndarray:
        values = rng.standard_normal((600, 400))
        if layout == "strided":
            return values[:, ::2]  # (600, 200), a strided view
        return np.asarray(values[:, :200], order=layout)

    data, direction = make(layouts[0]), make(layouts[1])
    expected = data - 0.3 * direction
    kept = direction.copy()
    scratch: dict | None = {} if with_scratch else None
    for _ in range(2 if with_scratch else 1):  # with a scratch dict: made, then reused
        if layouts[0] == "strided":  # a fresh strided view of a copy
            data_now = np.repeat(data, 2, axis=1)[:, ::2]
        else:
            data_now = data.copy(order="K")
        result = _subtract_scaled(data_now, 0.3, direction, scratch)
        assert result is data_now
        np.testing.assert_array_equal(data_now, expected)
        np.testing.assert_array_equal(direction, kept)


def test_a_gradient_of_another_dtype_keeps_the_promotion_of_the_plain_formula() -> None:
    data = np.linspace(-1.0, 1.0, 20000, dtype=np.float32)
    direction = np.linspace(3.0, -2.0, 20000)  # float64: the product is not rounded to float32
    expected = (data - 0.1 * direction).astype(np.float32)
    _subtract_scaled(data, 0.1, direction, {})
    np.testing.assert_array_equal(data, expected)
