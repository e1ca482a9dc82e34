"""The fused ops: `linear` and `softmax_cross_entropy` against their compositions."""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import (
    ShapeError,
    Tensor,
    gradcheck,
    gradgradcheck,
    linear,
    softmax_cross_entropy,
)


def _tensor(rng: np.random.Generator, *shape: int) -> Tensor:
    return Tensor(rng.standard_normal(shape), requires_grad=True)


@pytest.mark.parametrize("x_shape", [(5,), (3, 5), (2, 3, 5)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_matches_matmul_with_the_transpose_and_is_twice_differentiable(
    x_shape: tuple[int, ...], with_bias: bool
) -> None:
    rng = np.random.default_rng(0)
    x, weight, bias = _tensor(rng, *x_shape), _tensor(rng, 4, 5), _tensor(rng, 4)
    inputs = (x, weight, bias) if with_bias else (x, weight)
    expected = x.data @ weight.data.T + (bias.data if with_bias else 0.0)
    np.testing.assert_allclose(linear(*inputs).data, expected, rtol=1e-12)
    assert gradcheck(linear, inputs)
    assert gradgradcheck(linear, inputs)


def test_linear_gradients_equal_the_composed_ops() -> None:
    rng = np.random.default_rng(1)
    x, weight, bias = _tensor(rng, 6, 3), _tensor(rng, 2, 3), _tensor(rng, 2)
    (linear(x, weight, bias) ** 2).sum().backward()
    fused = [t.grad.data.copy() for t in (x, weight, bias)]
    for t in (x, weight, bias):
        t.grad = None
    ((x @ weight.T + bias) ** 2).sum().backward()
    for mine, composed in zip(fused, (x.grad.data, weight.grad.data, bias.grad.data)):
        np.testing.assert_allclose(mine, composed, rtol=1e-12)


def test_linear_keeps_float32() -> None:
    x = Tensor(np.ones((2, 3), dtype=np.float32))
    weight = Tensor(np.ones((4, 3), dtype=np.float32), requires_grad=True)
    bias = Tensor(np.ones(4, dtype=np.float32), requires_grad=True)
    out = linear(x, weight, bias)
    out.sum().backward()
    assert out.dtype == np.float32 and weight.grad.dtype == np.float32
    assert bias.grad.dtype == np.float32


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "b_shape"),
    [((2, 3), (4, 2), (4,)), ((2, 3), (3,), (3,)), ((2, 3), (4, 3), (3,)), ((), (1, 1), (1,))],
)
def test_linear_names_the_shapes_that_do_not_fit(x_shape, w_shape, b_shape) -> None:
    with pytest.raises(ShapeError, match=r"linear: .*shape"):
        linear(Tensor(np.ones(x_shape)), Tensor(np.ones(w_shape)), Tensor(np.ones(b_shape)))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_softmax_cross_entropy_matches_log_softmax_and_is_twice_differentiable(
    reduction: str,
) -> None:
    rng = np.random.default_rng(2)
    logits, target = _tensor(rng, 5, 4), np.array([0, 3, 1, 1, 2])
    picked = -logits.log_softmax(axis=1)[np.arange(5), target]
    expected = {"mean": picked.mean(), "sum": picked.sum(), "none": picked}[reduction]
    loss = softmax_cross_entropy(logits, target, reduction)
    np.testing.assert_allclose(loss.data, expected.data, rtol=1e-12)

    def fn(x: Tensor) -> Tensor:
        return softmax_cross_entropy(x, target, reduction)

    assert gradcheck(fn, (logits,))
    assert gradgradcheck(fn, (logits,))


def test_softmax_cross_entropy_is_stable_for_huge_logits() -> None:
    logits = Tensor([[1e4, 0.0], [0.0, -1e4]], requires_grad=True)
    loss = softmax_cross_entropy(logits, [1, 0])
    loss.backward()
    assert loss.item() == pytest.approx(5e3)
    np.testing.assert_allclose(logits.grad.data, [[0.5, -0.5], [0.0, 0.0]], atol=1e-12)


@pytest.mark.parametrize(
    ("logits", "target", "error", "match"),
    [
        (np.ones(3), [0], ShapeError, "must have shape"),
        (np.ones((2, 3)), [0], ShapeError, "does not match 2 samples"),
        (np.ones((2, 3)), [0, 3], IndexError, "out of range"),
        (np.ones((2, 3)), [0.5, 1.0], TypeError, "integer class indices"),
    ],
)
def test_softmax_cross_entropy_rejects_bad_input(logits, target, error, match) -> None:
    with pytest.raises(error, match=f"softmax_cross_entropy: .*{match}"):
        softmax_cross_entropy(Tensor(logits), target)


def test_softmax_cross_entropy_rejects_an_unknown_reduction() -> None:
    with pytest.raises(ValueError, match="softmax_cross_entropy: reduction"):
        softmax_cross_entropy(Tensor(np.ones((1, 2))), [0], reduction="avg")
