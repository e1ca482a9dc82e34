"""Pooling: `max_pool2d` and `avg_pool2d` over (N, C, H, W), PyTorch's sizes and numbers.

Average pooling sums the windows that `conv.unfold` cuts out of the zero-padded input and
divides by PyTorch's divisor for each window. Max pooling picks, with NumPy and without
recording anything, the one element each window takes (the first maximum in the window's
row-major order, as PyTorch's kernel: a NaN wins, the last one if several), and then
gathers those elements from the input in one indexing op: the whole gradient of a window
goes to that one element, as in PyTorch, where `Tensor.max` would split it among ties.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_lite import ShapeError, Tensor

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
) -> tuple[tuple[int, int], ...]:
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
    kernel, stride, padding, dilation, (out_h, out_w) = pool_geometry(
        name, x, kernel_size, stride, padding, dilation, ceil_mode
    )
    batched = x.ndim == 4
    data = x.data if batched else x.data[None]
    batch, channels, height, width = data.shape
    rows = _positions(out_h, kernel[0], stride[0], padding[0], dilation[0])  # (OH, KH)
    cols = _positions(out_w, kernel[1], stride[1], padding[1], dilation[1])  # (OW, KW)
    # (OH, OW, KH, KW) grids: window element -> input row / column, and not padding
    row_grid, col_grid = rows[:, None, :, None], cols[None, :, None, :]
    inside = (row_grid >= 0) & (row_grid < height) & (col_grid >= 0) & (col_grid < width)
    inside = inside.reshape(out_h, out_w, -1)
    # the window values by direct indexing (padding positions clipped, then masked)
    values = data[:, :, row_grid.clip(0, height - 1), col_grid.clip(0, width - 1)]
    values = values.reshape(batch, channels, out_h, out_w, -1)
    scores = np.where(inside, values, -np.inf)
    choice = scores.argmax(axis=-1)
    first_inside = inside.argmax(axis=-1)  # when every element is -inf, PyTorch's start
    at_minus_inf = ~np.take_along_axis(scores > -np.inf, choice[..., None], -1)[..., 0]
    choice = np.where(at_minus_inf, first_inside, choice)
    nan = np.isnan(scores)
    if nan.any():  # PyTorch's kernel takes a NaN over everything, the last NaN it meets
        last_nan = nan.shape[-1] - 1 - nan[..., ::-1].argmax(axis=-1)
        choice = np.where(nan.any(axis=-1), last_nan, choice)
    at_row = rows[np.arange(out_h)[:, None], choice // kernel[1]]
    at_col = cols[np.arange(out_w), choice % kernel[1]]
    indices = (at_row * width + at_col).astype(np.int64)  # (N, C, OH, OW) in each H*W plane
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
    kernel, stride, padding, _, (out_h, out_w) = pool_geometry(
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
    below = max(padding[0], (out_h - 1) * stride[0] + kernel[0] - height - padding[0])
    right = max(padding[1], (out_w - 1) * stride[1] + kernel[1] - width - padding[1])
    if any((padding[0], padding[1], below, right)):
        x = pad(x, (padding[1], right, padding[0], below))
    sums = unfold(x, kernel, stride)[:, :, :out_h, :out_w].sum(axis=-1)
    if divisor_override is not None:
        divisor = np.full((out_h, out_w), float(divisor_override))
    else:
        divisor = np.multiply.outer(
            _window_counts(out_h, kernel[0], stride[0], padding[0], height, count_include_pad),
            _window_counts(out_w, kernel[1], stride[1], padding[1], width, count_include_pad),
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
