"""SGD's in-place update (issue 8): same numbers, users' arrays untouched, versions still move."""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import InplaceModificationError, Tensor
from nn import Parameter
from nn.optim import SGD, _subtract_scaled


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
