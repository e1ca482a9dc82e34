"""Fast paths of the fused `linear` and `softmax_cross_entropy` ops.

Each fast path (a dtype decided by identity, ufunc reductions instead of NumPy's Python
wrappers) must give exactly the numbers of the plain formula, and the checks it skips work
for must still raise the same errors.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import ShapeError, Tensor, grad, linear, softmax_cross_entropy
from autograd_lite.engine.context import Context
from autograd_lite.ops.linalg import Linear
from autograd_lite.ops.nonlinear import SoftmaxCrossEntropy

FLOATS = [np.float32, np.float64]


@pytest.mark.parametrize("x_dtype", FLOATS)
@pytest.mark.parametrize("bias_dtype", FLOATS)
def test_linear_forward_adds_the_bias_as_numpy_promotes(x_dtype: type, bias_dtype: type) -> None:
    # same dtypes: in place into the matmul result; float32 bias on float64: also in place;
    # float64 bias on float32: a new float64 array. All equal x @ W.T + b bit for bit.
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 5)).astype(x_dtype)
    weight = rng.standard_normal((4, 5)).astype(x_dtype)
    bias = rng.standard_normal(4).astype(bias_dtype)
    out = Linear.forward(Context(), x, weight, bias)
    expected = x @ weight.T + bias
    assert out.dtype == expected.dtype == np.result_type(x_dtype, bias_dtype)
    np.testing.assert_array_equal(out, expected)


def test_linear_forward_with_an_equal_but_not_identical_dtype() -> None:
    # a big-endian float64 bias is == float64 only after promotion: the slower check decides
    x, weight = np.ones((2, 3)), np.ones((4, 3))
    bias = np.arange(4.0).astype(">f8")
    out = Linear.forward(Context(), x, weight, bias)
    np.testing.assert_array_equal(out, x @ weight.T + bias)


@pytest.mark.parametrize("x_shape", [(5,), (3, 5), (2, 3, 5)])
def test_linear_bias_gradient_is_the_column_sum_on_both_paths(x_shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal(x_shape))
    weight = Tensor(rng.standard_normal((4, 5)), requires_grad=True)
    bias = Tensor(rng.standard_normal(4), requires_grad=True)
    upstream = rng.standard_normal(x_shape[:-1] + (4,))
    expected = upstream.reshape(-1, 4).sum(axis=0)
    for create_graph in (False, True):
        out = linear(x, weight, bias)
        (grad_bias,) = grad((out * Tensor(upstream)).sum(), [bias], create_graph=create_graph)
        np.testing.assert_array_equal(grad_bias.data, expected)


def _reference_forward(logits: np.ndarray, target: np.ndarray, reduction: str) -> np.ndarray:
    """The op's forward as it was written with np.max / np.sum / np.mean."""
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    totals = np.sum(np.exp(shifted), axis=1, keepdims=True)
    losses = np.log(totals[:, 0]) - shifted[np.arange(len(target)), target]
    if reduction == "mean":
        return np.asarray(np.mean(losses), dtype=logits.dtype)
    if reduction == "sum":
        return np.asarray(np.sum(losses), dtype=logits.dtype)
    return losses


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(1, 3), (7, 10), (300, 4)])
def test_softmax_cross_entropy_forward_is_bit_identical_to_the_numpy_wrappers(
    dtype: type, reduction: str, shape: tuple[int, int]
) -> None:
    rng = np.random.default_rng(4)
    logits = (rng.standard_normal(shape) * 30).astype(dtype)
    target = rng.integers(0, shape[1], shape[0])
    out = SoftmaxCrossEntropy.forward(Context(), logits, target, reduction)
    expected = _reference_forward(logits, target, reduction)
    assert out.dtype == expected.dtype and out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)
    loss = softmax_cross_entropy(Tensor(logits), target, reduction)
    np.testing.assert_array_equal(loss.data, expected)


@pytest.mark.parametrize("target", [[3], [-1], [0, 5]])
def test_softmax_cross_entropy_still_names_the_out_of_range_classes(target: list[int]) -> None:
    logits = Tensor(np.zeros((len(target), 3)))
    low, high = min(target), max(target)
    message = rf"class index out of range \[0, 3\) \(got min {low}, max {high}\)"
    with pytest.raises(IndexError, match=message):
        softmax_cross_entropy(logits, target)


def test_softmax_cross_entropy_checks_still_raise() -> None:
    with pytest.raises(ShapeError, match=r"got \(3,\)"):
        softmax_cross_entropy(Tensor(np.zeros(3)), [0])
    with pytest.raises(ShapeError, match=r"got \[\[\]\]|got \(1, 0\)"):
        softmax_cross_entropy([[]], [0])
    with pytest.raises(ShapeError, match=r"target shape \(2,\) does not match 1 samples"):
        softmax_cross_entropy([[1.0, 2.0]], [0, 1])
    with pytest.raises(TypeError, match="integer class indices, got float64"):
        softmax_cross_entropy([[1.0, 2.0]], [0.0])
    # a nested list of logits (not an array) goes through np.shape and works
    assert softmax_cross_entropy([[0.0, 0.0]], [1]).item() == pytest.approx(np.log(2.0))


def test_softmax_cross_entropy_backward_twice_keeps_the_saved_softmax() -> None:
    logits = Tensor(np.array([[1.0, 2.0, 3.0]]), requires_grad=True)
    loss = softmax_cross_entropy(logits, [2])
    (first,) = grad(loss, [logits], retain_graph=True)
    (second,) = grad(loss, [logits], create_graph=True)  # the Tensor path reads the inputs
    np.testing.assert_array_equal(first.data, second.data)


@pytest.mark.parametrize("samples", [1, 64, 65, 300])  # a list check up to 64, NumPy's above
@pytest.mark.parametrize("bad", [-1, 4, None])
def test_softmax_cross_entropy_range_check_on_small_and_large_targets(
    samples: int, bad: int | None
) -> None:
    target = np.arange(samples) % 4
    if bad is not None:
        target[-1] = bad
    logits = Tensor(np.zeros((samples, 4)))
    if bad is None:
        assert softmax_cross_entropy(logits, target).item() == pytest.approx(np.log(4.0))
        return
    low, high = target.min(), target.max()
    with pytest.raises(IndexError, match=rf"\(got min {low}, max {high}\)"):
        softmax_cross_entropy(logits, target)
