"""Shape ops: reshape, transpose, indexing, broadcasting, join and split, pad, flip, clone."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..engine.context import Context
from ..engine.tensor_base import TensorBase
from ..errors import ShapeError
from .op import Op


class Reshape(Op):
    """y = x viewed in a new shape;  dy/dx = reshape back"""

    array_backward = True
    saves_inputs = False
    returns_view = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        ctx.input_shape = x.shape
        try:
            return x.reshape(shape)
        except (ValueError, TypeError):
            raise ShapeError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                f"into shape {tuple(shape)}"
            ) from None

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return grad_output.reshape(ctx.input_shape)


class Transpose(Op):
    """y = x with axes permuted;  dy/dx = the inverse permutation"""

    array_backward = True
    saves_inputs = False
    returns_view = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axes: Sequence[int] | None = None) -> np.ndarray:
        if axes is None:
            axes = tuple(reversed(range(x.ndim)))
        axes = tuple(int(a) for a in axes)
        if sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
            raise ShapeError(
                f"transpose: axes {axes} are not a permutation of the {x.ndim} axes of a "
                f"tensor of shape {x.shape}"
            )
        inverse = [0] * x.ndim
        for position, axis in enumerate(axes):  # the inverse permutation, without np.argsort
            inverse[axis % x.ndim] = position
        ctx.inverse = tuple(inverse)
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return grad_output.transpose(ctx.inverse)


def plain_index(index: Any) -> Any:
    """Replace Tensors inside an index by integer (or boolean) arrays."""

    def convert(item: Any) -> Any:
        if isinstance(item, TensorBase):
            item = item.data
        if isinstance(item, np.ndarray) and item.dtype.kind == "f":
            if not np.all(np.isfinite(item)) or not np.all(item == np.round(item)):
                raise IndexError("index: a float index array must hold whole numbers")
            item = item.astype(np.intp)
        return item

    if isinstance(index, tuple):
        return tuple(convert(item) for item in index)
    return convert(index)


def _is_advanced(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(item, (np.ndarray, list)) for item in items)


class GetItem(Op):
    """y = x[index];  dy/dx = zeros with the gradient added at index (repeats accumulate)"""

    saves_inputs = False
    returns_view = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, index: Any) -> np.ndarray:
        index = plain_index(index)
        ctx.input_shape, ctx.index = x.shape, index
        try:
            out = x[index]
        except IndexError as exc:
            raise IndexError(f"index: {exc} (tensor shape {x.shape}, index {index!r})") from None
        return np.array(out) if np.ndim(out) == 0 else out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return IndexAdd.apply(grad_output, shape=ctx.input_shape, index=ctx.index)


class IndexAdd(Op):
    """y = zeros(shape) with x added at index;  dy/dx = y_grad[index]"""

    saves_inputs = False

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, shape: tuple[int, ...], index: Any) -> np.ndarray:
        ctx.index = index
        out = np.zeros(shape, dtype=x.dtype)
        if _is_advanced(index):
            np.add.at(out, index, x)  # unbuffered: repeated indices accumulate
        else:
            out[index] += x  # basic indexing never repeats an element
        return out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return GetItem.apply(grad_output, index=ctx.index)


class BroadcastTo(Op):
    """y = x broadcast to shape;  dy/dx = sum back down to x's shape"""

    saves_inputs = False

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        ctx.input_shape = x.shape
        try:
            # A real copy: gradients built from it may be written to later.
            return np.array(np.broadcast_to(x, shape))
        except ValueError:
            raise ShapeError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}") from None

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return grad_output._sum_to(ctx.input_shape)


def _join(
    name: str,
    verb: str,
    join: Callable[..., np.ndarray],
    arrays: tuple[np.ndarray, ...],
    axis: int,
) -> np.ndarray:
    """``join(arrays, axis=axis)`` (np.concatenate or np.stack), NumPy's error as a ShapeError."""
    try:
        return join(arrays, axis=axis)
    except (ValueError, np.exceptions.AxisError) as exc:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise ShapeError(f"{name}: cannot {verb} shapes {shapes} on axis {axis}: {exc}") from None


class Concatenate(Op):
    """y = concatenate(xs, axis);  dy/dx_i = the slice of the gradient that x_i filled"""

    saves_inputs = False

    @staticmethod
    def forward(ctx: Context, *arrays: np.ndarray, axis: int = 0) -> np.ndarray:
        out = _join("concatenate", "join", np.concatenate, arrays, axis)
        ctx.axis = axis % out.ndim
        ctx.bounds = np.cumsum([0] + [a.shape[ctx.axis] for a in arrays]).tolist()
        return out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> tuple[Any, ...]:
        lead = (slice(None),) * ctx.axis
        return tuple(
            grad_output[lead + (slice(start, stop),)] if needed else None
            for start, stop, needed in zip(ctx.bounds, ctx.bounds[1:], ctx.needs_input_grad)
        )


class Stack(Op):
    """y = stack(xs, axis);  dy/dx_i = the gradient taken at position i along axis"""

    saves_inputs = False

    @staticmethod
    def forward(ctx: Context, *arrays: np.ndarray, axis: int = 0) -> np.ndarray:
        out = _join("stack", "stack", np.stack, arrays, axis)
        ctx.axis = axis % out.ndim
        return out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> tuple[Any, ...]:
        lead = (slice(None),) * ctx.axis
        return tuple(
            grad_output[lead + (i,)] if needed else None
            for i, needed in enumerate(ctx.needs_input_grad)
        )


class Split(Op):
    """ys = x cut at indices along axis;  dy/dx = the pieces' gradients joined back"""

    saves_inputs = False
    returns_view = True

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, indices: tuple[int, ...], axis: int
    ) -> tuple[Any, ...]:
        ctx.axis = axis
        return tuple(np.split(x, indices, axis=axis))

    @staticmethod
    def backward(ctx: Context, *grad_outputs: Any) -> Any:
        # a piece nobody used arrives as zeros of its shape (Op.run_backward)
        return Concatenate.apply(*grad_outputs, axis=ctx.axis)


class Pad(Op):
    """y = x inside a constant border (np.pad);  dy/dx = the gradient with the border cut off"""

    array_backward = True
    saves_inputs = False

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, pad_width: tuple[tuple[int, int], ...], value: float
    ) -> np.ndarray:
        ctx.inside = tuple(
            slice(before, before + size) for (before, _), size in zip(pad_width, x.shape)
        )
        if not pad_width:  # a 0-d tensor: no axis to pad (np.pad would refuse the empty widths)
            return x.copy()
        return np.pad(x, pad_width, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return grad_output[ctx.inside]


class Flip(Op):
    """y = x reversed along axis;  dy/dx = the gradient reversed back"""

    saves_inputs = False
    returns_view = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: int | tuple[int, ...] | None) -> np.ndarray:
        ctx.axis = axis
        return np.flip(x, axis)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return Flip.apply(grad_output, axis=ctx.axis)


class Clone(Op):
    """y = a copy of x;  dy/dx = 1"""

    array_backward = True
    saves_inputs = False

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return x.copy()

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return grad_output
