"""Pooling: `max_pool2d` and `avg_pool2d` over (N, C, H, W), PyTorch's sizes and numbers.

Average pooling sums the windows that `conv.unfold` cuts out of the zero-padded input and
divides by PyTorch's divisor for each window. Max pooling over windows that tile the input
(stride = kernel, no padding or dilation) is `block_max`. Other max pooling picks, with
NumPy and without recording anything, the one element each window takes (the first
maximum in the window's row-major order, as PyTorch's kernel: a NaN wins, the last one if
several), and then gathers those elements from the input in one indexing op. Either way
the whole gradient of a window goes to that one element, as in PyTorch, where
`Tensor.max` would split it among ties.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_lite import ShapeError, Tensor, block_max

from .conv import ntuple, pad, unfold
from .helpers import as_tensor


def pool_geometry(
    name: str,
    x: Tensor,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
) -> tuple[tuple[int, ...], ...]:
    """Checked (kernel, stride, padding, dilation, output size) pairs for a 2-D pooling."""
    if x.ndim not in (3, 4):
        raise ShapeError(
            f"{name}: expected a 3D (C, H, W) or 4D (N, C, H, W) input, got input of shape "
            f"{x.shape}"
        )
    kernel = ntuple(name, "kernel_size", kernel_size, 2, 1)
    stride = kernel if stride is None or stride == () else ntuple(name, "stride", stride, 2, 1)
    padding = ntuple(name, "padding", padding, 2, 0)
    dilation = ntuple(name, "dilation", dilation, 2, 1)
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(2 * p > span for p, span in zip(padding, spans)):
        raise ValueError(
            f"{name}: padding {padding} should be at most half of the kernel's extent {spans} "
            f"(kernel_size {kernel}, dilation {dilation})"
        )
    sizes = []
    for size, s, p, span in zip(x.shape[-2:], stride, padding, spans):
        extra = s - 1 if ceil_mode else 0
        out = (size + 2 * p - span + extra) // s + 1
        if ceil_mode and (out - 1) * s >= size + p:
            out -= 1  # the last window must start inside the input or its left padding
        if out < 1:
            raise ShapeError(
                f"{name}: kernel_size {kernel} (extent {spans}) is larger than the padded "
                f"input {tuple(n + 2 * q for n, q in zip(x.shape[-2:], padding))} (input "
                f"shape {x.shape}, padding {padding})"
            )
        sizes.append(out)
    return kernel, stride, padding, dilation, tuple(sizes)


def _positions(out: int, kernel: int, stride: int, padding: int, dilation: int) -> np.ndarray:
    """Input coordinate of every (output position, kernel offset) of one axis."""
    return (np.arange(out) * stride - padding)[:, None] + np.arange(kernel) * dilation


def _max_indices(
    data: np.ndarray,
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
    out_size: tuple[int, ...],
) -> np.ndarray:
    """The flat H*W index of the element each window takes, as PyTorch's CPU kernel.

    Its loop, vectorised over every window at once and run over the kernel offsets in
    row-major order: start at -inf with the window's first element inside the input; an
    element inside the input replaces the current one when it is larger or is NaN.
    """
    batch, channels, height, width = data.shape
    (out_h, out_w), (sh, sw) = out_size, stride
    rows = _positions(out_h, kernel[0], sh, padding[0], dilation[0])  # (OH, KH)
    cols = _positions(out_w, kernel[1], sw, padding[1], dilation[1])  # (OW, KW)
    row_in, col_in = (rows >= 0) & (rows < height), (cols >= 0) & (cols < width)
    # padded with -inf on every side a window reaches past (padding, ceil_mode's overhang)
    low_h, low_w = int(-rows.min()), int(-cols.min())
    high_h, high_w = int(rows.max()) - height + 1, int(cols.max()) - width + 1
    padded = data
    if max(low_h, low_w, high_h, high_w) > 0:
        low_h, low_w, high_h, high_w = (max(n, 0) for n in (low_h, low_w, high_h, high_w))
        padded = np.full(
            (batch, channels, height + low_h + high_h, width + low_w + high_w),
            -np.inf,
            dtype=data.dtype,
        )
        padded[:, :, low_h : low_h + height, low_w : low_w + width] = data
    inside = row_in[:, None, :, None] & col_in[None, :, None, :]  # (OH, OW, KH, KW)
    inside = inside.reshape(out_h, out_w, -1)
    any_outside = not inside.all()
    # the flat index is a window's start plus an offset: track the offset of the element taken
    start = rows[:, 0, None] * width + cols[None, :, 0]  # (OH, OW)
    offsets = (np.arange(kernel[0])[:, None] * dilation[0] * width).astype(np.int64)
    offsets = (offsets + np.arange(kernel[1]) * dilation[1]).ravel()  # per kernel position
    # PyTorch starts at -inf with the window's first element inside the input
    taken = np.broadcast_to(offsets[inside.argmax(axis=-1)], (batch, channels, out_h, out_w))
    taken = taken.copy()
    best = np.full((batch, channels, out_h, out_w), -np.inf, dtype=data.dtype)
    with np.errstate(invalid="ignore", over="ignore"):  # a sum that is not finite: look closer
        has_nan = not np.isfinite(np.add.reduce(data, axis=None))
    for u in range(kernel[0]):
        top = int(rows[0, u]) + low_h
        row_slice = slice(top, top + sh * (out_h - 1) + 1, sh)
        for v in range(kernel[1]):
            left = int(cols[0, v]) + low_w
            values = padded[:, :, row_slice, left : left + sw * (out_w - 1) + 1 : sw]
            better = values > best
            if has_nan:
                better |= np.isnan(values)
            if any_outside:
                better &= inside[:, :, u * kernel[1] + v]
            np.copyto(taken, offsets[u * kernel[1] + v], where=better)
            np.maximum(best, values, out=best)  # NaN stays, as in PyTorch's loop
    taken += start
    return taken


def max_pool2d(
    input: Any,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
    *,
    name: str = "max_pool2d",
) -> Any:
    """The maximum of each window, PyTorch's ``F.max_pool2d``.

    Args:
        input: (N, C, H, W), or (C, H, W) unbatched.
        kernel_size: the window, an int or a pair.
        stride: the step between windows (default: kernel_size).
        padding: implicit -inf on both sides, at most half the kernel's extent.
        dilation: the step between a window's elements.
        ceil_mode: round the output size up (a last partial window).
        return_indices: also return, for every output, its element's index in the
            flattened H*W plane of its channel (an int64 NumPy array).

    Returns:
        (N, C, OH, OW), OH = (H + 2*padding - dilation*(KH-1) - 1) // stride + 1; and the
        indices with ``return_indices``. The gradient of each output goes to the one input
        element it took (the first maximum of its window).

    Example:
        >>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
        >>> max_pool2d(x, 2).numpy()
        array([[[[ 5.,  7.],
                 [13., 15.]]]])
    """
    x = as_tensor(input)
    kernel, steps, pads, spread, (out_h, out_w) = pool_geometry(
        name, x, kernel_size, stride, padding, dilation, ceil_mode
    )
    height, width = x.shape[-2:]
    if (
        not return_indices
        and steps == kernel
        and (out_h, out_w) == (height // kernel[0], width // kernel[1])
        and pads == (0, 0)
        and spread == (1, 1)
    ):
        # [fast path: pooling blocks] windows that tile the input (stride = kernel, no
        # padding or dilation): the maximum of the kernel's strided slices, its gradient
        # assigned to each block's first maximum (`block_max`), where the general path
        # below finds the element of every window and scatters the gradient with np.add.at
        return block_max(x, kernel)
    batched = x.ndim == 4
    data = x.data if batched else x.data[None]
    indices = _max_indices(data, kernel, steps, pads, spread, (out_h, out_w))
    batch, channels, height, width = data.shape
    planes = np.arange(batch * channels).reshape(batch, channels, 1, 1) * (height * width)
    out = x.reshape(-1)[planes + indices]
    if not batched:
        out, indices = out.reshape(channels, out_h, out_w), indices[0]
    return (out, indices) if return_indices else out


def avg_pool2d(
    input: Any,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
    *,
    name: str = "avg_pool2d",
) -> Tensor:
    """The mean of each window, PyTorch's ``F.avg_pool2d``.

    Args:
        input: (N, C, H, W), or (C, H, W) unbatched.
        kernel_size: the window, an int or a pair.
        stride: the step between windows (default: kernel_size).
        padding: implicit zeros on both sides, at most half the kernel size.
        ceil_mode: round the output size up (a last partial window).
        count_include_pad: divide by the window size including the zero padding (else by
            the number of input elements in the window).
        divisor_override: divide every window's sum by this instead.

    Returns:
        (N, C, OH, OW), OH = (H + 2*padding - KH) // stride + 1.

    Example:
        >>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
        >>> avg_pool2d(x, 2).numpy()
        array([[[[ 2.5,  4.5],
                 [10.5, 12.5]]]])
    """
    x = as_tensor(input)
    kernel, steps, pads, _, (out_h, out_w) = pool_geometry(
        name, x, kernel_size, stride, padding, 1, ceil_mode
    )
    if divisor_override is not None and (
        isinstance(divisor_override, bool) or int(divisor_override) != divisor_override
    ):
        raise TypeError(f"{name}: divisor_override must be an integer, got {divisor_override!r}")
    if divisor_override is not None and divisor_override == 0:
        raise ValueError(f"{name}: divisor_override must not be zero")
    batched = x.ndim == 4
    if not batched:
        x = x.reshape(1, *x.shape)
    height, width = x.shape[2:]
    # zeros around the input, and past its bottom/right edge for ceil_mode's last windows
    below = max(pads[0], (out_h - 1) * steps[0] + kernel[0] - height - pads[0])
    right = max(pads[1], (out_w - 1) * steps[1] + kernel[1] - width - pads[1])
    if any((pads[0], pads[1], below, right)):
        x = pad(x, (pads[1], right, pads[0], below))
    sums = unfold(x, kernel, steps)[:, :, :out_h, :out_w].sum(axis=(-2, -1))
    if divisor_override is not None:
        divisor = np.full((out_h, out_w), float(divisor_override))
    else:
        divisor = np.multiply.outer(
            _window_counts(out_h, kernel[0], steps[0], pads[0], height, count_include_pad),
            _window_counts(out_w, kernel[1], steps[1], pads[1], width, count_include_pad),
        )
    out = sums / Tensor(divisor.astype(sums.dtype))
    return out if batched else out.reshape(*out.shape[1:])


def _window_counts(
    out: int, kernel: int, stride: int, padding: int, size: int, count_include_pad: bool
) -> np.ndarray:
    """Per output position of one axis, the length PyTorch divides by (its formula)."""
    start = np.arange(out) * stride - padding
    end = np.minimum(start + kernel, size + padding)
    if count_include_pad:
        return (end - start).astype(float)
    return (np.minimum(end, size) - np.maximum(start, 0)).astype(float)
