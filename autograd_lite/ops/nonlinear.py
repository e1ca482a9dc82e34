"""Elementwise functions and softmax. Rules written in terms of the output reuse it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..function import Context, Op
from ..grad_mode import is_grad_enabled


def _output(ctx: Context, recompute: Callable[[], Any]) -> Any:
    """The op's forward result as a Tensor, for a rule written in terms of the output.

    Normally the saved array is wrapped (no recomputation). Under create_graph the result
    must be differentiable with respect to the input, so it is recomputed on the graph;
    saving the output Tensor itself would make a reference cycle output -> node -> output.
    """
    if is_grad_enabled():
        return recompute()
    from ..tensor import Tensor

    return Tensor._wrap(ctx.out, False)


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
        return grad_output * _output(ctx, x.exp)


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
        return grad_output / (2.0 * _output(ctx, x.sqrt))


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
        y = _output(ctx, x.tanh)
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
        y = _output(ctx, x.sigmoid)
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

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0.0).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_output * (x.data > 0).astype(grad_output.dtype)


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
        y = _output(ctx, lambda: x.softmax(ctx.axis))
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
        y = _output(ctx, lambda: x.log_softmax(ctx.axis))
        return grad_output - y.exp() * grad_output.sum(axis=ctx.axis, keepdims=True)


def _check_axis(axis: int, x: np.ndarray, name: str) -> int:
    from ..errors import ShapeError

    if x.ndim == 0 or not -x.ndim <= axis < x.ndim:
        raise ShapeError(f"{name}: axis {axis} is out of range for a tensor of shape {x.shape}")
    return axis
