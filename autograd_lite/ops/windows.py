"""The convolution primitive: every window of a tensor as a view, and its gradient.

`SlidingWindows` is ``numpy.lib.stride_tricks.sliding_window_view``: for each axis in
``axis`` the axis shrinks to the number of window positions, and one trailing axis per
window dimension holds the offset inside the window. Nothing is copied. Its gradient adds
every window's gradient back at its place (`WindowsAdd`), in one vectorised slice-add per
window offset: a 3x3 window is 9 additions of whole arrays, never a loop over pixels or
samples. Each op's backward is the other one, so both are twice differentiable.
"""

from __future__ import annotations

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
        out = np.zeros(shape, dtype=windows.dtype)
        positions = windows.shape[: len(shape)]  # window positions along each axis
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
