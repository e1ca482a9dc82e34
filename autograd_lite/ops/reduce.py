"""Reductions: sum, mean, max, min, prod, norm, logsumexp, and SumTo (the inverse of
broadcasting)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.broadcast import sum_to_array
from ..engine.context import Context
from ..engine.tensor_base import bound
from ..errors import ShapeError
from ..grad_mode import is_grad_enabled
from .cumulative import ProdExcept
from .elementwise import Where
from .op import Op
from .shape import BroadcastTo, Reshape, Transpose


def normalize_axis(axis: Any, ndim: int, name: str) -> tuple[int, ...]:
    """Turn ``axis`` (None, int or tuple) into a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axes: tuple[Any, ...] = (axis,)
    elif isinstance(axis, (tuple, list)) and all(isinstance(a, (int, np.integer)) for a in axis):
        axes = tuple(axis)
    else:
        raise TypeError(
            f"{name}: axis must be an int or a tuple of ints, got {type(axis).__name__} {axis!r}"
        )
    # A 0-d tensor accepts axis 0 or -1 and has nothing to reduce (PyTorch's convention).
    bound = max(ndim, 1)
    result = []
    for ax in axes:
        if not -bound <= ax < bound:
            raise ShapeError(f"{name}: axis {ax!r} is out of range for a tensor with {ndim} dims")
        result.append(int(ax) % bound)
    if len(set(result)) != len(result):
        raise ShapeError(f"{name}: repeated axis in {axis!r}")
    return tuple(sorted(result)) if ndim else ()


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with the reduced ``axes`` set to 1 (the keepdims shape)."""
    return tuple(1 if i in axes else size for i, size in enumerate(shape))


class Sum(Op):
    """y = sum(x, axis);  dy/dx = 1 (the gradient is broadcast back over the summed axes)"""

    saves_inputs = False

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, axis: Any = None, keepdims: bool = False
    ) -> np.ndarray:
        axes = normalize_axis(axis, x.ndim, "sum")
        ctx.input_shape = x.shape
        ctx.kept_shape = kept_shape(x.shape, axes)
        return np.sum(x, axis=axes, keepdims=keepdims) if x.ndim else x.copy()

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return BroadcastTo.apply(grad_output.reshape(ctx.kept_shape), shape=ctx.input_shape)


class SumTo(Op):
    """y = x summed down to ``shape`` (undoes broadcasting);  dy/dx = broadcast back"""

    saves_inputs = False

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        ctx.input_shape = x.shape
        return sum_to_array(x, shape)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return BroadcastTo.apply(grad_output, shape=ctx.input_shape)


class Max(Op):
    """y = max(x, axis);  dy/dx = [x == y] / (number of tied maxima)

    Tied maxima split the gradient equally (PyTorch's rule for max without an axis), so the
    gradient still sums to the upstream gradient.
    """

    saves_output = True  # the output is (a view of) ctx.kept

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, axis: Any = None, keepdims: bool = False
    ) -> np.ndarray:
        return _extreme(ctx, x, axis, keepdims, np.max, "max")

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        is_max = (x.data == ctx.kept).astype(grad_output.dtype)
        share = is_max / np.sum(is_max, axis=ctx.axes, keepdims=True)
        return BroadcastTo.apply(grad_output.reshape(ctx.kept.shape), shape=x.shape) * share


class Min(Max):
    """y = min(x, axis);  dy/dx = [x == y] / (number of tied minima)  (backward: Max's)

    Tied minima split the gradient equally, as tied maxima do.
    """

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, axis: Any = None, keepdims: bool = False
    ) -> np.ndarray:
        return _extreme(ctx, x, axis, keepdims, np.min, "min")


def _extreme(
    ctx: Context, x: np.ndarray, axis: Any, keepdims: bool, reducer: Any, name: str
) -> np.ndarray:
    """The forward of Max and Min: ``reducer`` over the axes, kept for the backward."""
    axes = normalize_axis(axis, x.ndim, name)
    if any(x.shape[i] == 0 for i in axes) or x.size == 0 and not axes:
        raise ShapeError(f"{name}: cannot take the {name} over an empty axis (shape {x.shape})")
    kept = reducer(x, axis=axes, keepdims=True)
    ctx.kept, ctx.axes = kept, axes
    if keepdims:
        return kept
    return kept.reshape([size for i, size in enumerate(x.shape) if i not in axes])


class Prod(Op):
    """y = prod(x, axis);  dy/dx_i = product of the other x_j  (ProdExcept: exact at zeros)

    Not y / x_i, which is 0/0 where x_i = 0: with one zero in the product, the zero's
    gradient is the product of the rest and every other gradient is 0; with two zeros all
    are 0 (as PyTorch).
    """

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, axis: Any = None, keepdims: bool = False
    ) -> np.ndarray:
        ctx.axes = normalize_axis(axis, x.ndim, "prod")
        with np.errstate(over="ignore", invalid="ignore"):
            return np.prod(x, axis=ctx.axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        axes = ctx.axes
        if not axes:  # a product over no axis is the identity
            return grad_output
        # the reduced axes moved last and flattened into one, ProdExcept along it, moved back
        rest = [i for i in range(x.ndim) if i not in axes]
        order = rest + list(axes)
        moved = x if order == sorted(order) else Transpose.apply(x, axes=order)
        lead = tuple(x.shape[i] for i in rest)
        count = int(np.prod([x.shape[i] for i in axes]))
        others = ProdExcept.apply(Reshape.apply(moved, shape=lead + (count,)))
        others = Reshape.apply(others, shape=moved.shape)
        if moved is not x:
            others = Transpose.apply(others, axes=tuple(np.argsort(order)))
        kept = kept_shape(x.shape, axes)
        return BroadcastTo.apply(grad_output.reshape(kept), shape=x.shape) * others


class Norm(Op):
    """y = sqrt(sum(x**2, axis));  dy/dx = x / y  (0 where y = 0, as PyTorch)

    The vector 2-norm, or the Frobenius norm over two axes: the same formula. At y = 0
    (every x in the group 0) the subgradient 0 is chosen, so the gradient stays finite.
    """

    saves_output = True  # the output is (a view of) ctx.kept

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, ord: Any = None, axis: Any = None, keepdims: bool = False
    ) -> np.ndarray:
        axes = normalize_axis(axis, x.ndim, "norm")
        _check_norm_order(ord, axes, axis, x.shape)
        with np.errstate(over="ignore", invalid="ignore"):
            kept = np.sqrt(np.sum(x * x, axis=axes, keepdims=True))
        ctx.kept, ctx.axes = kept, axes
        if keepdims:
            return kept
        return kept.reshape([size for i, size in enumerate(x.shape) if i not in axes])

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        kept = ctx.kept
        if is_grad_enabled():  # create_graph: the norm must be differentiable with respect to x
            norm = Norm.apply(x, axis=ctx.axes, keepdims=True)
        else:
            norm = bound.wrap(kept, False)
        zero = kept == 0
        safe = Where.apply(zero, np.ones((), dtype=x.dtype), norm) if zero.any() else norm
        return BroadcastTo.apply(grad_output.reshape(kept.shape), shape=x.shape) * (x / safe)


def _check_norm_order(order: Any, axes: tuple[int, ...], axis: Any, shape: tuple[int, ...]) -> None:
    """Accept the orders that mean sqrt(sum(x**2)): None and 'fro' over any axes, 2 over one.

    Over two axes NumPy's ord=2 is the spectral norm (the largest singular value), a
    different function, so it is refused rather than silently replaced.
    """
    if order is None or isinstance(order, str) and order == "fro":
        return
    number = isinstance(order, (int, float, np.integer, np.floating)) and not isinstance(
        order, bool
    )
    if number and order == 2:
        if len(axes) <= 1:
            return
        raise ValueError(
            f"norm: ord=2 over {len(axes)} axes (axis={axis!r}, shape {shape}) is NumPy's "
            "spectral norm, which is not supported; ord=None or 'fro' gives the Frobenius "
            "norm, and an int axis the vector 2-norm"
        )
    raise ValueError(
        f"norm: ord={order!r} is not supported; only the 2-norm (ord=None or 2, a vector) "
        "and the Frobenius norm (ord=None or 'fro') are"
    )


class LogSumExp(Op):
    """y = log(sum(exp(x), axis));  dy/dx = exp(x - m) / sum(exp(x - m))  (softmax; m = max x)

    Both passes shift by the max, so no exponent is positive: logsumexp([1e4, 0]) = 1e4,
    not inf, and the gradient is the softmax computed as stably as `Tensor.softmax`.
    """

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, axis: Any = None, keepdims: bool = False
    ) -> np.ndarray:
        axes = normalize_axis(axis, x.ndim, "logsumexp")
        if any(x.shape[i] == 0 for i in axes):
            raise ShapeError(
                f"logsumexp: cannot reduce over an empty axis (shape {x.shape}, axis {axis})"
            )
        ctx.axes = axes
        shift = _finite_max(x, axes)
        with np.errstate(divide="ignore"):  # a row of -inf sums to 0: log(0) = -inf
            kept = np.log(np.sum(np.exp(x - shift), axis=axes, keepdims=True)) + shift
        kept = kept.astype(x.dtype, copy=False)
        if keepdims:
            return kept
        return kept.reshape([size for i, size in enumerate(x.shape) if i not in axes])

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        # the shift is a constant: softmax does not change when every input moves together
        exps = (x - _finite_max(x.data, ctx.axes)).exp()
        softmax = exps / exps.sum(axis=ctx.axes, keepdims=True)
        kept = kept_shape(x.shape, ctx.axes)
        return BroadcastTo.apply(grad_output.reshape(kept), shape=x.shape) * softmax


def _finite_max(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """The max over ``axes`` (kept), with ±inf and NaN replaced by 0 so x - max stays exact."""
    shift = np.max(x, axis=axes, keepdims=True)
    return np.where(np.isfinite(shift), shift, 0.0).astype(x.dtype, copy=False)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Mean over ``axis``: sum / count, so its gradient is 1/count for each element."""
    axes = normalize_axis(axis, x.ndim, "mean")
    count = int(np.prod([x.shape[i] for i in axes])) if axes else 1
    if count == 0:
        raise ShapeError(f"mean: cannot average over an empty axis (shape {x.shape}, axis {axis})")
    return x.sum(axis=axis, keepdims=keepdims) * (1.0 / count)
