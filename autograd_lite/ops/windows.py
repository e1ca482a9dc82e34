"""The convolution primitive: every window of a tensor as a view, and its gradient.

`SlidingWindows` is ``numpy.lib.stride_tricks.sliding_window_view``: for each axis in
``axis`` the axis shrinks to the number of window positions, and one trailing axis per
window dimension holds the offset inside the window. Nothing is copied. Its gradient adds
every window's gradient back at its place (`WindowsAdd`), in one vectorised slice-add per
window offset: a 3x3 window is 9 additions of whole arrays, never a loop over pixels or
samples. Each op's backward is the other one, so both are twice differentiable.
"""

from __future__ import annotations

from math import prod
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..engine.context import Context
from .op import Op


class SlidingWindows(Op):
    """y[..., p, ..., k] = x[..., p + k, ...] on each windowed axis;  dy/dx = WindowsAdd(grad)"""

    saves_inputs = False
    returns_view = True

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, window_shape: tuple[int, ...], axis: tuple[int, ...]
    ) -> np.ndarray:
        ctx.input_shape, ctx.window_shape, ctx.axis = x.shape, window_shape, axis
        return sliding_window_view(x, window_shape, axis)  # a read-only view

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return WindowsAdd.apply(
            grad_output, shape=ctx.input_shape, window_shape=ctx.window_shape, axis=ctx.axis
        )


class WindowsAdd(Op):
    """y = zeros(shape) + each window x[..., p, ..., k] added at p + k;  dy/dx = windows of grad"""

    saves_inputs = False

    @staticmethod
    def forward(
        ctx: Context,
        windows: np.ndarray,
        shape: tuple[int, ...],
        window_shape: tuple[int, ...],
        axis: tuple[int, ...],
    ) -> np.ndarray:
        ctx.window_shape, ctx.axis = window_shape, axis
        positions = windows.shape[: len(shape)]  # window positions along each axis
        lead = [ax for ax in range(len(shape)) if ax not in axis]
        if (
            axis
            and len(set(axis)) == len(axis)
            and prod(shape[ax] for ax in lead) > positions[max(axis)]
        ):
            return _add_lead_innermost(windows, shape, window_shape, axis, lead)
        out = np.zeros(shape, dtype=windows.dtype)
        for offset in np.ndindex(*window_shape):  # one whole-array add per window offset
            start = [0] * len(shape)
            for ax, step in zip(axis, offset):  # an axis may be windowed more than once
                start[ax] += step
            place = tuple(slice(s, s + n) for s, n in zip(start, positions))
            out[place] += windows[(Ellipsis,) + offset]
        return out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return SlidingWindows.apply(grad_output, window_shape=ctx.window_shape, axis=ctx.axis)


def _add_lead_innermost(
    windows: np.ndarray,
    shape: tuple[int, ...],
    window_shape: tuple[int, ...],
    axis: tuple[int, ...],
    lead: list[int],
) -> np.ndarray:
    """`WindowsAdd.forward` with the axes that are not windowed moved innermost.

    [fast path: windows add, lead innermost] the slice-adds run along the last axis of the
    arrays they touch; with (N, C, H, W) and windows over H and W that axis is a row of W
    positions (4 for a 4x4 image: a NumPy inner loop per 4 elements). Moved last, the N*C
    axis makes every inner loop long, at the price of one copy in and one copy out. Each
    element gets the same additions in the same order, so the result is identical; used
    when the moved axes are longer than a row and no axis is windowed twice.
    """
    windowed = sorted(axis)
    count = len(shape)
    # windows: positions of every axis, then the window offsets (in ``axis`` order)
    moved = np.moveaxis(windows, lead, range(windows.ndim - len(lead), windows.ndim))
    moved = np.ascontiguousarray(moved)  # (windowed positions, offsets, lead axes)
    lead_shape = tuple(shape[ax] for ax in lead)
    out = np.zeros(tuple(shape[ax] for ax in windowed) + lead_shape, dtype=windows.dtype)
    sizes = [windows.shape[ax] for ax in windowed]
    for offset in np.ndindex(*window_shape):
        place = tuple(
            slice(step, step + size)
            for step, size in zip([offset[axis.index(ax)] for ax in windowed], sizes)
        )
        out[place] += moved[(slice(None),) * len(windowed) + offset]
    back = np.moveaxis(out, range(len(windowed), count), lead)
    return np.ascontiguousarray(back)
