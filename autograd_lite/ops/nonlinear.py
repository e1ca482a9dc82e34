"""Elementwise functions and softmax. Rules written in terms of the output reuse it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine.context import Context
from ..engine.tensor_base import bound
from ..errors import ShapeError
from ..grad_mode import is_grad_enabled
from .op import Op


def output_tensor(ctx: Context, recompute: Callable[[], Any]) -> Any:
    """The op's forward result as a Tensor, for a rule written in terms of the output.

    Normally the saved array is wrapped (no recomputation). Under create_graph the result
    must be differentiable with respect to the input, so it is recomputed on the graph;
    saving the output Tensor itself would make a reference cycle output -> node -> output.
    """
    if is_grad_enabled():
        return recompute()
    return bound.wrap(ctx.out, False)


class Exp(Op):
    """y = exp(x);  dy/dx = y"""

    saves_output = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):  # overflow gives inf, as in NumPy and PyTorch
            ctx.out = np.exp(x)
        return ctx.out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_output * output_tensor(ctx, x.exp)


class Log(Op):
    """y = log(x);  dy/dx = 1/x"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):  # log(0) = -inf, log(-1) = nan
            return np.log(x)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_output / x


class Sqrt(Op):
    """y = sqrt(x);  dy/dx = 1 / (2 y)"""

    saves_output = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            ctx.out = np.sqrt(x)
        return ctx.out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_output / (2.0 * output_tensor(ctx, x.sqrt))


class Abs(Op):
    """y = |x|;  dy/dx = sign(x)  (0 at x = 0, as PyTorch)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.abs(x)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_output * np.sign(x.data)


class Tanh(Op):
    """y = tanh(x);  dy/dx = 1 - y**2"""

    saves_output = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.out = np.tanh(x)
        return ctx.out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        y = output_tensor(ctx, x.tanh)
        return grad_output * (1.0 - y * y)


class Sigmoid(Op):
    """y = 1 / (1 + exp(-x));  dy/dx = y * (1 - y)"""

    saves_output = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        # exp only ever sees -|x| <= 0, so nothing overflows: for x < 0, y = e^x / (1 + e^x).
        e = np.exp(-np.abs(x))
        ctx.out = np.where(x >= 0, 1.0, e) / (1.0 + e)
        ctx.out = ctx.out.astype(x.dtype, copy=False)
        return ctx.out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        y = output_tensor(ctx, x.sigmoid)
        return grad_output * y * (1.0 - y)


class Softplus(Op):
    """y = log(1 + exp(x));  dy/dx = sigmoid(x)

    Computed as max(x, 0) + log1p(exp(-|x|)): exp only sees -|x| <= 0, so nothing overflows
    and softplus(1e4) = 1e4 exactly.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        out = np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_output * x.sigmoid()


class ReLU(Op):
    """y = max(x, 0);  dy/dx = [x > 0]  (0 at x = 0, as PyTorch)"""

    array_backward = True  # see Op.array_backward

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0.0).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_as(grad_output)
        return grad_output * (x > 0)  # on arrays, bool * float needs no float copy of the mask


class Softmax(Op):
    """y = exp(x) / sum(exp(x));  dL/dx = y * (g - sum(g * y))  along the axis"""

    saves_output = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: int = -1) -> np.ndarray:
        ctx.axis = _check_axis(axis, x, "softmax")
        if x.size == 0:  # nothing to normalise (np.max refuses empty axes)
            ctx.out = x.copy()
            return ctx.out
        shifted = np.exp(x - np.max(x, axis=axis, keepdims=True))  # largest exponent is 0
        ctx.out = shifted / np.sum(shifted, axis=axis, keepdims=True)
        return ctx.out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        y = output_tensor(ctx, lambda: x.softmax(ctx.axis))
        return y * (grad_output - (grad_output * y).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Op):
    """y = x - logsumexp(x);  dL/dx = g - softmax(x) * sum(g)  along the axis"""

    saves_output = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: int = -1) -> np.ndarray:
        ctx.axis = _check_axis(axis, x, "log_softmax")
        if x.size == 0:
            ctx.out = x.copy()
            return ctx.out
        shifted = x - np.max(x, axis=axis, keepdims=True)
        ctx.out = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        return ctx.out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        y = output_tensor(ctx, lambda: x.log_softmax(ctx.axis))
        return grad_output - y.exp() * grad_output.sum(axis=ctx.axis, keepdims=True)


def _check_axis(axis: int, x: np.ndarray, name: str) -> int:
    if not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{name}: axis must be an int, got {type(axis).__name__} {axis!r}")
    if x.ndim == 0 or not -x.ndim <= axis < x.ndim:
        raise ShapeError(f"{name}: axis {axis} is out of range for a tensor of shape {x.shape}")
    return axis


class SoftmaxCrossEntropy(Op):
    """l_i = logsumexp(x_i) - x_i[t_i];  dl_i/dx_i = softmax(x_i) - onehot(t_i)

    One op for the usual classification loss, instead of log_softmax, indexing, negation
    and a mean: the softmax of the forward pass is kept and reused by the backward rule.
    ``reduction`` is "mean" (the gradient is scaled by 1/N), "sum" or "none".
    """

    array_backward = True  # on arrays: (softmax - onehot) * scale without a onehot

    @staticmethod
    def forward(
        ctx: Context, logits: np.ndarray, target: np.ndarray, reduction: str = "mean"
    ) -> np.ndarray:
        samples = logits.shape[0]
        # [fast path: ufunc reductions] the C calls behind np.max/np.sum/np.mean without
        # their Python wrappers; the same numbers
        shifted = logits - np.maximum.reduce(logits, axis=1, keepdims=True)  # largest is 0
        exps = np.exp(shifted)
        totals = np.add.reduce(exps, axis=1, keepdims=True)
        losses = np.log(totals[:, 0]) - _at_targets(shifted, target)
        exps /= totals  # the softmax, in the exponentials' buffer (no temporary)
        ctx.softmax, ctx.target, ctx.reduction = exps, target, reduction
        if reduction == "mean":  # np.mean's own formula: sum, then divide by the count
            return np.asarray(np.add.reduce(losses) / samples, dtype=logits.dtype)
        if reduction == "sum":
            return np.asarray(np.add.reduce(losses), dtype=logits.dtype)
        return losses

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        if isinstance(grad_output, np.ndarray):  # on arrays (Op.array_backward): one new array
            grad = ctx.softmax.copy()  # the softmax stays intact for another backward
            _subtract_one_at_targets(grad, ctx.target)
            grad *= _scale(grad_output, ctx.reduction, grad.shape[0])
            return grad
        (logits,) = ctx.saved_tensors  # only the Tensor branch needs the logits
        probabilities = _output_array(ctx, ctx.softmax, lambda: logits.softmax(axis=1))
        onehot = np.zeros(logits.shape, dtype=logits.dtype)
        onehot[np.arange(logits.shape[0]), ctx.target] = 1.0
        return (probabilities - onehot) * _scale(grad_output, ctx.reduction, logits.shape[0])


#: [fast path: few targets] batches up to this size index their target entries one row at
#: a time: fancy indexing with (rows, targets) arrays has a fixed cost that a few scalar
#: indexes undercut
_FEW_ROWS = 8


def _at_targets(values: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``values[i, target[i]]`` for every row i, as a 1-D array of ``values``' dtype."""
    if len(target) <= _FEW_ROWS:  # one scalar index per row
        picked = [values[row, column] for row, column in enumerate(target.tolist())]
        return np.array(picked, dtype=values.dtype)
    return values[np.arange(len(target)), target]


def _subtract_one_at_targets(grad: np.ndarray, target: np.ndarray) -> None:
    """``grad[i, target[i]] -= 1`` in place for every row i (the onehot of the gradient)."""
    if len(target) <= _FEW_ROWS:  # one scalar index per row
        for row, column in enumerate(target.tolist()):
            grad[row, column] -= 1.0
    else:
        grad[np.arange(len(target)), target] -= 1.0


def _scale(grad_output: Any, reduction: str, samples: int) -> Any:
    """What multiplies softmax - onehot: the upstream gradient, per row for "none"."""
    if reduction == "none":
        return grad_output.reshape(-1, 1)
    if reduction == "mean":
        return grad_output * (1.0 / samples)
    return grad_output


def _output_array(ctx: Context, array: np.ndarray, recompute: Callable[[], Any]) -> Any:
    """A forward by-product as a Tensor: wrapped, or recomputed on the graph (create_graph)."""
    if is_grad_enabled():
        return recompute()
    return bound.wrap(array, False)
