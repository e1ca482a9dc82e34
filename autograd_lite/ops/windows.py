"""The convolution primitive: every window of a tensor as a view, and its gradient.

`SlidingWindows` is ``numpy.lib.stride_tricks.sliding_window_view``: for each axis in
``axis`` the axis shrinks to the number of window positions, and one trailing axis per
window dimension holds the offset inside the window. Nothing is copied. Its gradient adds
every window's gradient back at its place (`WindowsAdd`), in one vectorised slice-add per
window offset: a 3x3 window is 9 additions of whole arrays, never a loop over pixels or
samples. Each op's backward is the other one, so both are twice differentiable.

Max pooling's primitive works on windows that tile the last axes (blocks): `BlockMax` is
the element-wise maximum of one strided view per offset inside a block (`block_parts`)
and remembers, as one mask per offset, which element each block takes; `BlockPlace`
writes a gradient back at those elements and `BlockPick` reads it from them, each the
other's backward.
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
            and len(shape) - 1 in axis
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
    when the last axis is windowed (else the plain loop's inner loops already run along
    it), the moved axes are longer than a row and no axis is windowed twice.
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


def block_parts(x: np.ndarray, block: tuple[int, ...]) -> list[np.ndarray]:
    """One strided view per offset inside a block, in row-major order of the offsets.

    ``parts[k][..., i, j] = x[..., i*bh + u, j*bw + v]`` for the k-th offset (u, v): the
    blocks tile the last ``len(block)`` axes, and rows or columns past the last whole
    block are in no part. Views, so a block's elements are compared or written k at a time
    along the whole array, never block by block.
    """
    trailing = x.shape[x.ndim - len(block) :]
    counts = [size // b for size, b in zip(trailing, block)]
    parts = []
    for offset in np.ndindex(*block):
        steps = tuple(slice(u, u + b * n, b) for u, b, n in zip(offset, block, counts))
        parts.append(x[(Ellipsis,) + steps])
    return parts


def axis_order(array: np.ndarray) -> list[int]:
    """The axes of ``array`` from the outermost in memory (largest stride) inwards."""
    return sorted(range(array.ndim), key=lambda axis: -abs(array.strides[axis]))


def zeros_laid_out_as(shape: tuple[int, ...], dtype: Any, like: np.ndarray) -> np.ndarray:
    """Zeros of ``shape`` whose axes lie in memory in the order of ``like``'s strides.

    A gradient scattered into it is written along the same innermost axis the forward
    read (the batch, after a convolution's batch-innermost columns), not across it.
    """
    order = axis_order(like)
    inverse = [0] * len(order)
    for position, axis in enumerate(order):
        inverse[axis] = position
    return np.zeros([shape[axis] for axis in order], dtype=dtype).transpose(inverse)


class BlockMax(Op):
    """y[..., i, j] = max of block (i, j) of x;  dy/dx = the gradient at its first maximum

    The blocks tile the last ``len(block)`` axes without overlap (PyTorch's max pooling
    with stride = kernel): y[..., i, j] = max over u < bh, v < bw of x[..., i*bh+u, j*bw+v];
    rows and columns past the last whole block are left out. The whole gradient of a block
    goes to one element, the one PyTorch's max pooling takes: the first maximum in the
    block's row-major order, or its last NaN (a NaN anywhere makes the maximum NaN).
    `Tensor.max` would split it among tied elements instead.
    """

    saves_inputs = False  # backward needs only the masks of the chosen elements

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, block: tuple[int, ...]) -> np.ndarray:
        parts = block_parts(x, block)
        if len(parts) == 1:
            out = parts[0].copy(order="K")  # the input's memory order, as a ufunc's result
        else:
            # np.maximum keeps the earlier operand on a tie (and any NaN): the first maximum
            out = np.maximum(parts[0], parts[1])
            for part in parts[2:]:
                np.maximum(out, part, out=out)
        if ctx.needs_input_grad[0]:
            # the chosen elements now, not x kept for backward: masks take a quarter of a
            # float32 input's memory, and x may be freed as soon as the next op has run
            ctx.shape, ctx.block = x.shape, block
            ctx.chosen = first_maxima(x, out, block)
        return out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return BlockPlace.apply(grad_output, chosen=ctx.chosen, shape=ctx.shape, block=ctx.block)


def first_maxima(x: np.ndarray, out: np.ndarray, block: tuple[int, ...]) -> tuple[Any, ...]:
    """Per offset inside a block, the mask of the blocks whose chosen element sits there.

    Offsets in row-major order; a block is taken by the first offset holding its maximum
    (``taken`` remembers which are). NaN equals nothing, so a block whose maximum is NaN
    is given to its last NaN instead. Boolean masks rather than one array of offsets: each
    is made with two or three whole-array passes and used with a multiplication, where
    writing offsets with ``np.copyto(..., where=)`` was measured 8x slower.
    """
    masks = []
    taken = None
    parts = block_parts(x, block)
    for part in parts:
        hit = np.asarray(part == out)  # an array also for 0-d inputs
        if taken is None:
            taken = hit.copy(order="K")  # the same memory order as the next hits
        else:
            np.greater(hit, taken, out=hit)  # hit and not yet taken
            np.logical_or(taken, hit, out=taken)
        masks.append(hit)
    if out.dtype.kind in "fc" and np.isnan(out).any():
        taken = np.zeros_like(out, dtype=bool)
        for k in reversed(range(len(masks))):
            hit = np.asarray(np.isnan(parts[k]))
            np.greater(hit, taken, out=hit)
            np.logical_or(taken, hit, out=taken)
            np.logical_or(masks[k], hit, out=masks[k])
    return tuple(masks)


class BlockPlace(Op):
    """y = zeros(shape), x[..., i, j] at block (i, j)'s chosen element;  dy/dx = BlockPick(grad)

    ``chosen[k]`` marks the blocks whose chosen element is at the k-th offset (row-major;
    `first_maxima`): max pooling's gradient goes back this way.
    """

    saves_inputs = False

    @staticmethod
    def forward(
        ctx: Context,
        x: np.ndarray,
        chosen: tuple[np.ndarray, ...],
        shape: tuple[int, ...],
        block: tuple[int, ...],
    ) -> np.ndarray:
        ctx.chosen, ctx.block = chosen, block
        out = zeros_laid_out_as(shape, x.dtype, chosen[0])
        if axis_order(x) != axis_order(chosen[0]):
            # a gradient laid out otherwise (after a flatten) is copied into the masks'
            # order once, so that the passes below read all three arrays along one axis
            relaid = zeros_laid_out_as(x.shape, x.dtype, chosen[0])
            relaid[...] = x
            x = relaid
        # a mask times a finite number is the number or a zero (signed, as ReLU's
        # gradient); inf or NaN times a mask's 0 would be NaN, so those take np.where
        finite = x.dtype.kind not in "fc" or bool(np.isfinite(x).all())
        for part, mask in zip(block_parts(out, block), chosen):
            if finite:
                np.multiply(x, mask, out=part)
            else:
                part[...] = np.where(mask, x, 0)
        return out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return BlockPick.apply(grad_output, chosen=ctx.chosen, block=ctx.block)


class BlockPick(Op):
    """y[..., i, j] = x at block (i, j)'s chosen element;  dy/dx = BlockPlace(grad)"""

    saves_inputs = False

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, chosen: tuple[np.ndarray, ...], block: tuple[int, ...]
    ) -> np.ndarray:
        ctx.shape, ctx.chosen, ctx.block = x.shape, chosen, block
        out = np.zeros_like(chosen[0], dtype=x.dtype)
        for part, mask in zip(block_parts(x, block), chosen):
            out = np.where(mask, part, out)  # exactly one mask holds each block
        return out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return BlockPlace.apply(grad_output, chosen=ctx.chosen, shape=ctx.shape, block=ctx.block)
