"""Running sums and products: cumsum, and the product of all other elements (prod's gradient)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.context import Context
from ..errors import ShapeError
from .elementwise import Where
from .op import Op
from .shape import GetItem, Reshape


class CumSum(Op):
    """y_i = x_0 + ... + x_i along the axis;  dL/dx_i = g_i + ... + g_last  (reversed cumsum)

    ``axis=None`` sums the flattened tensor, as NumPy (the result is 1-D). A 0-d tensor
    takes axis 0 or -1 as None, as NumPy does (result shape (1,)).
    """

    saves_inputs = False

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: Any = None) -> np.ndarray:
        if axis is not None:
            if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
                raise TypeError(
                    f"cumsum: axis must be an int or None, got {type(axis).__name__} {axis!r}"
                )
            bound = max(x.ndim, 1)
            if not -bound <= axis < bound:
                raise ShapeError(
                    f"cumsum: axis {axis} is out of range for a tensor of shape {x.shape}"
                )
            axis = int(axis) % bound if x.ndim else None
        ctx.axis, ctx.input_shape = axis, x.shape
        with np.errstate(over="ignore", invalid="ignore"):
            return np.cumsum(x, axis=axis)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        axis = 0 if ctx.axis is None else ctx.axis
        reverse = (slice(None),) * axis + (slice(None, None, -1),)
        reversed_sums = GetItem.apply(
            CumSum.apply(GetItem.apply(grad_output, index=reverse), axis=axis), index=reverse
        )
        if ctx.axis is None:  # the flattened tensor's gradient, in the input's shape
            return Reshape.apply(reversed_sums, shape=ctx.input_shape)
        return reversed_sums


class ProdExcept(Op):
    """y_i = product of x_j over j != i along the last axis;
    dL/dx_k = sum over i != k of g_i * (product of x_j over j not in {i, k})

    The forward multiplies exclusive running products from the left and from the right, so
    a zero in x is handled exactly (no division by x): with one zero, only the zero's
    position gets a nonzero product; with two, none does. The backward builds, for each i,
    the row "x with x_i set to 1" and takes ProdExcept of those rows: O(n**2) memory along
    the axis, needed only for second derivatives of prod.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        if x.shape[-1] == 0:
            return x.copy()
        ones = np.ones(x.shape[:-1] + (1,), dtype=x.dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            left = np.concatenate([ones, np.cumprod(x[..., :-1], axis=-1)], axis=-1)
            right = np.concatenate([ones, np.cumprod(x[..., :0:-1], axis=-1)], axis=-1)
            return left * right[..., ::-1]

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        n = x.shape[-1]
        diagonal = np.eye(n, dtype=bool)
        one = np.ones((), dtype=x.dtype)
        # rows[..., i, :] is x with x_i replaced by 1, so ProdExcept of row i at k (k != i)
        # is the product of x_j over j not in {i, k}
        rows = Where.apply(diagonal, one, Reshape.apply(x, shape=x.shape[:-1] + (1, n)))
        pairs = ProdExcept.apply(rows)
        off_diagonal = (~diagonal).astype(x.dtype)
        weighted = Reshape.apply(grad_output, shape=grad_output.shape + (1,)) * pairs
        return (weighted * off_diagonal).sum(axis=-2)
