"""Fast paths of cross-entropy and the node: each must give the numbers of the plain
formula bit for bit, on both sides of its threshold, and keep the errors it skips work for."""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import Function, GraphFreedError, Tensor, grad, linear, softmax_cross_entropy
from autograd_lite.engine.context import Context
from autograd_lite.ops import nonlinear
from autograd_lite.ops.nonlinear import SoftmaxCrossEntropy

FLOATS = [np.float32, np.float64]
#: batch sizes around the row-at-a-time threshold of the softmax cross-entropy
SAMPLES = [1, 2, nonlinear._FEW_ROWS, nonlinear._FEW_ROWS + 1, 40]


def _fancy_forward(logits: np.ndarray, target: np.ndarray, reduction: str) -> np.ndarray:
    """The op's forward with the (rows, targets) index arrays."""
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


# ---------------------------------------------------------------- recording unary and ternary ops
class _Split(Function):
    """Two outputs (x, 2x): the second one feeds ops from output slot 1."""

    @staticmethod
    def forward(ctx, x):  # type: ignore[no-untyped-def]
        return x.copy(), 2 * x

    @staticmethod
    def backward(ctx, first, second):  # type: ignore[no-untyped-def]
        return first + 2 * second


@pytest.mark.parametrize("dtype", FLOATS)
def test_unary_and_ternary_nodes_record_parents_slots_and_metadata(dtype: type) -> None:
    # unary and linear-with-bias nodes are linked by spelled-out code; the record must be
    # what the general path gives: parents, output slots, shapes and dtypes
    rng = np.random.default_rng(20)
    x = Tensor(rng.standard_normal((2, 3)).astype(dtype), requires_grad=True)
    weight = Tensor(rng.standard_normal((4, 3)).astype(dtype), requires_grad=True)
    bias = Tensor(rng.standard_normal(4).astype(dtype))  # a constant: no parent, no gradient
    first, second = _Split.apply(x)
    relu = second.relu()  # a unary op on output slot 1
    node = relu.grad_fn
    assert node.needs_input_grad == (True,)
    assert node._parents == (second.grad_fn,) and node._parent_slots == (1,)
    assert node.input_shapes == ((2, 3),) and node.input_dtypes == (np.dtype(dtype),)
    assert node.output_meta == (((2, 3), np.dtype(dtype)),)
    out = linear(second, weight, bias)  # ternary, input 0 from slot 1, bias constant
    node = out.grad_fn
    assert node.needs_input_grad == (True, True, False)
    assert node._parents == (second.grad_fn, weight, None)
    assert node._parent_slots == (1, 0, 0)
    assert node.input_shapes == ((2, 3), (4, 3), (4,))
    assert node.output_meta == (((2, 4), np.dtype(dtype)),)
    plain = linear(first, weight, bias).grad_fn  # all from slot 0: no slot tuple
    assert plain._parent_slots is None
    # and the gradients through both paths are right: d/dx of sum(relu(2x)) + sum(lin(2x))
    (gx,) = grad(relu.sum() + out.sum(), [x])
    expected = 2 * ((2 * x.data) > 0) + 2 * weight.data.sum(axis=0)
    np.testing.assert_allclose(gx.data, expected, rtol=1e-6)


def test_saved_arrays_of_unary_and_ternary_rules_are_the_inputs_arrays() -> None:
    # an array rule reads ctx.saved_as(grad_output): the saved Tensors' arrays when the
    # gradient is an array, the Tensors themselves otherwise
    x = Tensor(np.array([[-1.0, 2.0]]), requires_grad=True)
    weight = Tensor(np.ones((3, 2)), requires_grad=True)
    bias = Tensor(np.zeros(3), requires_grad=True)
    for out, inputs in ((x.relu(), (x,)), (linear(x, weight, bias), (x, weight, bias))):
        ctx = out.grad_fn
        saved = ctx.saved_as(np.ones(1))
        assert len(saved) == len(inputs)
        assert all(array is tensor.data for array, tensor in zip(saved, inputs))
        assert ctx.saved_tensors == inputs
        assert ctx.saved_as(Tensor(1.0)) == inputs  # a Tensor gradient: the Tensors


def test_released_nodes_still_refuse_a_second_backward() -> None:
    # Node._release is Context.release itself now: the buffers are freed all the same
    x = Tensor(np.array([[1.0, -2.0]]), requires_grad=True)
    weight = Tensor(np.ones((2, 2)), requires_grad=True)
    loss = softmax_cross_entropy(linear(x, weight).relu(), [1])
    loss.backward()
    assert loss.grad_fn.freed
    with pytest.raises(GraphFreedError, match="retain_graph=True"):
        loss.backward()
