"""Writing ops: ``t[index] = value`` recorded in a graph, and masked_fill.

(Reading, ``x[index]``, is `shape.GetItem`; take_along_axis is a GetItem with the index
built by `tensor_shape`.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.context import Context
from ..errors import ShapeError
from .op import Op
from .shape import GetItem


class SetItem(Op):
    """y = x with y[index] = v;  dy/dx = the gradient with 0 at index, dy/dv = gradient[index]"""

    saves_inputs = False

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, value: np.ndarray, index: Any) -> np.ndarray:
        ctx.index = index
        out = x.copy()
        try:
            target = out[index]
        except IndexError as exc:
            raise IndexError(f"setitem: {exc} (tensor shape {x.shape}, index {index!r})") from None
        target_shape = np.shape(target)
        fitted = value.shape  # as NumPy: leading size-1 axes beyond the target's are dropped
        while len(fitted) > len(target_shape) and fitted[0] == 1:
            fitted = fitted[1:]
        try:
            fits = np.broadcast_shapes(fitted, target_shape) == target_shape
        except ValueError:
            fits = False
        if not fits:
            raise ShapeError(
                f"setitem: a value of shape {value.shape} does not fit t[{index!r}] of shape "
                f"{target_shape} (tensor shape {x.shape}); it must broadcast to that shape"
            )
        ctx.shapes = (target_shape, fitted, value.shape)
        out[index] = value.reshape(fitted)
        return out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> tuple[Any, ...]:
        # Repeated integer indices: NumPy keeps one of the writes, but each copy of the value
        # receives the gradient of its position (as PyTorch's index_put_ without accumulate).
        needs_x, needs_value = ctx.needs_input_grad
        grad_x = grad_value = None
        if needs_x:  # the overwritten positions no longer depend on x
            zero = np.zeros((), dtype=grad_output.dtype)
            grad_x = SetItem.apply(grad_output, zero, index=ctx.index)
        if needs_value:  # summed over the places the value was broadcast to
            grad_value = GetItem.apply(grad_output, index=ctx.index)
            target_shape, fitted, value_shape = ctx.shapes
            if fitted != target_shape:
                grad_value = grad_value._sum_to(fitted)
            if fitted != value_shape:  # the leading size-1 axes dropped in forward
                grad_value = grad_value.reshape(value_shape)
        return grad_x, grad_value


class MaskedFill(Op):
    """y = value where mask else x;  dy/dx = the gradient where not mask, 0 where mask"""

    saves_inputs = False

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, mask: np.ndarray, value: float) -> np.ndarray:
        ctx.mask = mask
        return np.where(mask, np.asarray(value, dtype=x.dtype), x)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return MaskedFill.apply(grad_output, mask=ctx.mask, value=0.0)
