"""Fast paths of performance round 4 (issue 8): each must give the numbers of the plain
formula bit for bit, on both sides of its threshold, and keep the errors it skips work for."""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import Tensor, grad, softmax_cross_entropy
from autograd_lite.function import Context
from autograd_lite.ops import nonlinear
from autograd_lite.ops.nonlinear import SoftmaxCrossEntropy

FLOATS = [np.float32, np.float64]
#: batch sizes around the row-at-a-time threshold of the softmax cross-entropy
SAMPLES = [1, 2, nonlinear._FEW_ROWS, nonlinear._FEW_ROWS + 1, 40]


def _fancy_forward(logits: np.ndarray, target: np.ndarray, reduction: str) -> np.ndarray:
    """The op's forward with the (rows, targets) index arrays of round 3."""
    shifted = logits - np.maximum.reduce(logits, axis=1, keepdims=True)
    totals = np.add.reduce(np.exp(shifted), axis=1, keepdims=True)
    losses = np.log(totals[:, 0]) - shifted[np.arange(len(target)), target]
    if reduction == "mean":
        return np.asarray(np.add.reduce(losses) / len(target), dtype=logits.dtype)
    if reduction == "sum":
        return np.asarray(np.add.reduce(losses), dtype=logits.dtype)
    return losses


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("samples", SAMPLES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_softmax_cross_entropy_rows_at_a_time_give_the_index_array_numbers(
    dtype: type, samples: int, reduction: str
) -> None:
    rng = np.random.default_rng(samples)
    logits = (rng.standard_normal((samples, 7)) * 3).astype(dtype)
    target = rng.integers(0, 7, size=samples)
    ctx = Context()
    out = SoftmaxCrossEntropy.forward(ctx, logits, target, reduction)
    expected = _fancy_forward(logits, target, reduction)
    assert out.dtype == expected.dtype == dtype
    np.testing.assert_array_equal(out, expected)
    # backward on arrays: softmax - onehot, scaled; the softmax itself stays intact
    upstream = np.asarray(rng.standard_normal(out.shape), dtype=dtype)
    softmax = ctx.softmax.copy()
    result = SoftmaxCrossEntropy.backward(ctx, upstream)
    onehot_minus = softmax.copy()
    onehot_minus[np.arange(samples), target] -= 1.0
    onehot_minus *= nonlinear._scale(upstream, reduction, samples)
    assert result.dtype == dtype
    np.testing.assert_array_equal(result, onehot_minus)
    np.testing.assert_array_equal(ctx.softmax, softmax)


@pytest.mark.parametrize("samples", SAMPLES)
def test_softmax_cross_entropy_gradient_agrees_on_arrays_and_on_the_graph(samples: int) -> None:
    # the array rule (rows at a time for small batches) against the Tensor rule (onehot)
    rng = np.random.default_rng(10 + samples)
    logits = Tensor(rng.standard_normal((samples, 5)), requires_grad=True)
    target = rng.integers(0, 5, size=samples)
    (on_arrays,) = grad(softmax_cross_entropy(logits, target), [logits])
    (on_graph,) = grad(softmax_cross_entropy(logits, target), [logits], create_graph=True)
    np.testing.assert_allclose(on_arrays.data, on_graph.data, rtol=1e-15, atol=1e-17)


@pytest.mark.parametrize("samples", [1, nonlinear._FEW_ROWS + 1])
def test_softmax_cross_entropy_still_refuses_out_of_range_targets(samples: int) -> None:
    target = np.zeros(samples, dtype=np.int64)
    target[-1] = 5
    with pytest.raises(IndexError, match=r"class index out of range \[0, 5\)"):
        softmax_cross_entropy(Tensor(np.zeros((samples, 5))), target)
    target[-1] = -1
    with pytest.raises(IndexError, match="class index out of range"):
        softmax_cross_entropy(Tensor(np.zeros((samples, 5))), target)
