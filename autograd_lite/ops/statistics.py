"""Spread: variance and standard deviation over axes, with NumPy's ``ddof``."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..engine.context import Context
from ..engine.tensor_base import bound
from ..errors import ShapeError
from ..grad_mode import is_grad_enabled
from .elementwise import Where
from .op import Op
from .reduce import kept_shape, mean, normalize_axis
from .shape import BroadcastTo


class Var(Op):
    """y = sum((x - mean(x))**2, axis) / (N - ddof);  dy/dx = 2 (x - mean(x)) / (N - ddof)

    N counts the elements reduced per output; ``ddof=0`` (NumPy's default) is the
    population variance, ``ddof=1`` the sample variance (PyTorch's default).
    """

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, axis: Any = None, keepdims: bool = False, ddof: Any = 0
    ) -> np.ndarray:
        ctx.axes, ctx.divisor = _axes_and_divisor(x, axis, ddof, "var")
        with np.errstate(over="ignore", invalid="ignore"):
            return np.var(x, axis=ctx.axes, ddof=ddof, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        centred = x - mean(x, axis=ctx.axes, keepdims=True)
        upstream = BroadcastTo.apply(
            grad_output.reshape(kept_shape(x.shape, ctx.axes)), shape=x.shape
        )
        return upstream * centred * (2.0 / ctx.divisor)


class Std(Op):
    """y = sqrt(var(x, axis));  dy/dx = (x - mean(x)) / ((N - ddof) * y)  (0 where y = 0)

    Where every element of a group is equal, y = 0 and the formula is 0/0: the subgradient
    0 is chosen there, as for `Norm` (PyTorch gives nan). For a differentiable spread near
    0, write ``(x.var(...) + eps).sqrt()`` as LayerNorm does.
    """

    saves_output = True  # the output is (a view of) ctx.kept

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, axis: Any = None, keepdims: bool = False, ddof: Any = 0
    ) -> np.ndarray:
        ctx.axes, ctx.divisor = _axes_and_divisor(x, axis, ddof, "std")
        ctx.ddof = ddof
        with np.errstate(over="ignore", invalid="ignore"):
            kept = np.sqrt(np.var(x, axis=ctx.axes, ddof=ddof, keepdims=True))
        ctx.kept = kept
        if keepdims:
            return kept
        return kept.reshape([size for i, size in enumerate(x.shape) if i not in ctx.axes])

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        kept = ctx.kept
        if is_grad_enabled():  # create_graph: y must be differentiable with respect to x
            std = Std.apply(x, axis=ctx.axes, keepdims=True, ddof=ctx.ddof)
        else:
            std = bound.wrap(kept, False)
        zero = kept == 0
        if zero.any():
            std = Where.apply(zero, np.ones((), dtype=x.dtype), std)
        centred = x - mean(x, axis=ctx.axes, keepdims=True)
        upstream = BroadcastTo.apply(grad_output.reshape(kept.shape), shape=x.shape)
        grad = upstream * centred / (std * float(ctx.divisor))
        if zero.any():  # exactly 0, not the rounding left in x - mean(x)
            grad = Where.apply(np.broadcast_to(zero, x.shape), np.zeros((), x.dtype), grad)
        return grad


def _axes_and_divisor(
    x: np.ndarray, axis: Any, ddof: Any, name: str
) -> tuple[tuple[int, ...], float]:
    """The reduced axes and N - ddof; errors for a bad ddof, an empty axis or N <= ddof."""
    if isinstance(ddof, bool) or not isinstance(ddof, numbers.Real):
        raise TypeError(f"{name}: ddof must be a number, got {type(ddof).__name__} {ddof!r}")
    axes = normalize_axis(axis, x.ndim, name)
    count = int(np.prod([x.shape[i] for i in axes]))
    if count == 0:
        raise ShapeError(f"{name}: cannot reduce over an empty axis (shape {x.shape}, axis {axis})")
    divisor = count - float(ddof)
    if divisor <= 0:
        raise ValueError(
            f"{name}: ddof={ddof} leaves no degrees of freedom: {count} element(s) per group "
            f"(shape {x.shape}, axis {axis})"
        )
    return axes, divisor
