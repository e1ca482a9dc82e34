"""Convolution and padding: `conv1d`, `conv2d`, `pad`, and `unfold`, the windows they share.

A convolution is computed as im2col and one matrix product, on the input seen as
(C, H, W, N): the batch innermost. The (KH, KW) windows of the padded input, shape
(C, OH, OW, N, KH, KW), are laid out as one matrix of C*KH*KW rows and OH*OW*N columns
(the one copy), which the weight reshaped to (out_channels, C*KH*KW) multiplies from the
left; the result (out_channels, OH, OW, N) is handed on as its (N, out_channels, OH, OW)
transposed view. Groups split the rows and the weight into ``groups`` blocks of the same
product. Every step is a Tensor operation, so the gradients are the engine's: the
transposed products for the weight and the columns, and the window view's backward adds
each column back where it was cut from. `conv1d` is `conv2d` on a height of 1. `unfold`
(the windows of an (N, C, H, W) tensor) serves average pooling.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograd_lite import ShapeError, Tensor, sliding_window_view

from .helpers import as_tensor

PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def ntuple(name: str, argument: str, value: Any, n: int, minimum: int) -> tuple[int, ...]:
    """``value`` (an integer, or a tuple/list of ``n`` integers) as a tuple of ``n`` ints.

    Raises:
        TypeError: for anything else. ValueError: for an entry below ``minimum``.
    """

    def is_int(v: Any) -> bool:
        return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))

    if is_int(value):
        values = (int(value),) * n
    elif isinstance(value, (tuple, list)) and len(value) == n and all(is_int(v) for v in value):
        values = tuple(int(v) for v in value)
    else:
        raise TypeError(
            f"{name}: {argument} must be an integer or a tuple of {n} integers, got {value!r}"
        )
    if min(values) < minimum:
        raise ValueError(f"{name}: {argument} must be >= {minimum}, got {value!r}")
    return values


def unfold(
    x: Tensor,
    kernel_size: tuple[int, ...],
    stride: tuple[int, ...] = (1, 1),
    dilation: tuple[int, ...] = (1, 1),
) -> Tensor:
    """The (KH, KW) windows of an (N, C, H, W) tensor, shape (N, C, OH, OW, KH, KW).

    ``windows[n, c, i, j, u, v] = x[n, c, i*sH + u*dH, j*sW + v*dW]``, with
    OH = (H - dH*(KH-1) - 1) // sH + 1 (OW alike): `sliding_window_view` (a view, no
    copy; its gradient adds each window back in place, one slice-add per kernel offset),
    sliced for stride and dilation. Average pooling sums them (convolution takes the
    same windows of its (C, H, W, N) view).

    Example:
        >>> unfold(Tensor(np.arange(16.0).reshape(1, 1, 4, 4)), (2, 2), (2, 2)).shape
        (1, 1, 2, 2, 2, 2)
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    spans = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    windows = sliding_window_view(x, spans, axis=(2, 3))
    if (sh, sw, dh, dw) != (1, 1, 1, 1):
        windows = windows[:, :, ::sh, ::sw, ::dh, ::dw]
    return windows


def pad(
    input: Any, pad: Sequence[int], mode: str = "constant", value: float | None = None
) -> Tensor:
    """Pad the last ``len(pad) // 2`` axes of ``input``, PyTorch's ``F.pad``.

    Args:
        input: a Tensor (or array).
        pad: (before, after) pairs starting from the last axis: ``(left, right)`` pads the
            last axis, ``(left, right, top, bottom)`` the last two. Negative entries crop
            (constant mode).
        mode: "constant" (``value``, default 0), "reflect" (mirror without repeating the
            edge), "replicate" (repeat the edge) or "circular" (wrap around).
        value: the fill value of constant mode.

    Returns:
        The padded Tensor; the gradient flows back to the elements of ``input`` (the
        constant border gets none).

    Raises:
        TypeError / ValueError: for a malformed ``pad``, an unknown mode, ``value`` with a
            mode other than constant, or a reflect/circular pad wider than the input.

    Example:
        >>> pad(Tensor([[1.0, 2.0]]), (1, 2)).numpy()
        array([[0., 1., 2., 0., 0.]])
    """
    x = as_tensor(input)
    if not isinstance(pad, (tuple, list)) or len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(
            f"pad: pad must be a tuple of (before, after) pairs for at most {x.ndim} axes "
            f"(input shape {x.shape}), got {pad!r}"
        )
    pairs = ntuple("pad", "pad", tuple(pad), len(pad), -(2**62)) if pad else ()
    if mode not in PAD_MODES:
        raise ValueError(f"pad: mode must be one of {tuple(PAD_MODES)}, got {mode!r}")
    if mode != "constant" and value is not None:
        raise ValueError(f'pad: padding mode "{mode}" does not take a value argument')
    widths = [(pairs[2 * k], pairs[2 * k + 1]) for k in range(len(pairs) // 2)][::-1]
    widths = [(0, 0)] * (x.ndim - len(widths)) + widths  # (before, after) per axis
    for axis, ((before, after), size) in enumerate(zip(widths, x.shape)):
        if size + before + after < 0 or (mode != "constant" and min(before, after) < 0):
            raise ValueError(
                f"pad: padding ({before}, {after}) of axis {axis} (size {size}, input shape "
                f"{x.shape}) would leave a negative size or crops in mode {mode!r}"
            )
    if mode == "constant":
        if any(min(pair) < 0 for pair in widths):  # negative widths crop first
            x = x[tuple(slice(max(-b, 0), n - max(-a, 0)) for (b, a), n in zip(widths, x.shape))]
            widths = [(max(b, 0), max(a, 0)) for b, a in widths]
        if any(max(pair) > 0 for pair in widths):
            x = x.pad(widths, 0.0 if value is None else float(value))
        return x
    for axis, ((before, after), size) in enumerate(zip(widths, x.shape)):
        if not before and not after:
            continue
        widest = size - 1 if mode == "reflect" else size
        if max(before, after) > widest:
            raise ValueError(
                f"pad: {mode} padding ({before}, {after}) of axis {axis} must be at most "
                f"{widest} for its size {size} (input shape {x.shape})"
            )
        index = np.pad(np.arange(size), (before, after), mode=PAD_MODES[mode])  # type: ignore
        x = x[(slice(None),) * axis + (index,)]
    return x


def conv_padding(
    name: str, padding: Any, kernel: tuple[int, ...], dilation: tuple[int, ...], stride: Any
) -> tuple[tuple[int, int], ...]:
    """(before, after) per spatial axis for an int/tuple padding, "valid" or "same"."""
    if padding == "valid":
        return tuple((0, 0) for _ in kernel)
    if padding == "same":
        if any(s != 1 for s in stride):
            raise ValueError(f"{name}: padding='same' is not supported for strided convolutions")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((total // 2, total - total // 2) for total in totals)  # extra at the end
    if isinstance(padding, str):
        raise ValueError(f"{name}: padding must be 'valid', 'same' or integers, got {padding!r}")
    return tuple((p, p) for p in ntuple(name, "padding", padding, len(kernel), 0))


def convolution(
    name: str,
    input: Any,
    weight: Any,
    bias: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
    dims: int,
) -> Tensor:
    """conv1d (``dims`` 1) or conv2d (``dims`` 2); errors name ``name`` (function or layer)."""
    x, weight = as_tensor(input), as_tensor(weight)
    input_shape = x.shape
    layout = "(C, L) or (N, C, L)" if dims == 1 else "(C, H, W) or (N, C, H, W)"
    if x.ndim not in (dims + 1, dims + 2):
        raise ShapeError(
            f"{name}: expected a {dims + 1}D (unbatched) or {dims + 2}D (batched) input "
            f"{layout}, got input of shape {x.shape}"
        )
    if weight.ndim != dims + 2:
        raise ShapeError(
            f"{name}: weight must have {dims + 2} dimensions (out_channels, in_channels / "
            f"groups, *kernel_size), got shape {weight.shape}"
        )
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
    groups = int(groups)
    stride = ntuple(name, "stride", stride, dims, 1)
    dilation = ntuple(name, "dilation", dilation, dims, 1)
    kernel: tuple[int, ...] = tuple(weight.shape[2:])
    pads = conv_padding(name, padding, kernel, dilation, stride)
    batched = x.ndim == dims + 2
    if not batched:
        x = x.reshape(1, *x.shape)
    channels, out_channels = x.shape[1], weight.shape[0]
    if out_channels % groups:
        raise ValueError(
            f"{name}: out_channels={out_channels} (weight shape {weight.shape}) is not "
            f"divisible by groups={groups}"
        )
    if channels != weight.shape[1] * groups:
        raise ShapeError(
            f"{name}: input has {channels} channels (input shape {input_shape}) but "
            f"in_channels is {weight.shape[1] * groups} (weight shape {weight.shape}, "
            f"groups={groups})"
        )
    if bias is not None:
        bias = as_tensor(bias)
        if bias.shape != (out_channels,):
            raise ShapeError(f"{name}: bias must have shape ({out_channels},), got {bias.shape}")
    spatial = x.shape[2:]
    padded = tuple(size + before + after for size, (before, after) in zip(spatial, pads))
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(span > size for span, size in zip(spans, padded)):
        raise ShapeError(
            f"{name}: kernel_size {tuple(kernel)} with dilation {dilation} spans {spans}, "
            f"larger than the padded input {padded} (input shape {input_shape}, "
            f"padding {tuple(p for p, _ in pads) if padding != 'same' else padding!r})"
        )
    if dims == 1:  # a height of 1
        x = x.reshape(x.shape[0], channels, 1, x.shape[2])
        kernel, stride, dilation = (1, *kernel), (1, *stride), (1, *dilation)
        pads = ((0, 0), *pads)
    batch = x.shape[0]
    # [fast path: batch-innermost columns] the convolution runs on the (C, H, W, N) view of
    # the input, the batch innermost: every copy (padding, im2col, the gradient's scatter
    # back) and every element-wise pass then runs along rows of OW*N elements, not OW (4 at
    # the benchmark's second layer), and the product is one matrix (C*KH*KW, OH*OW*N) for
    # the whole batch from the left. Its result, (O, OH, OW, N), is handed on as the
    # (N, O, OH, OW) transposed view, not copied; layers after it (ReLU, pooling, the next
    # convolution) keep that memory order, and the next convolution's view is contiguous.
    lanes = x.transpose(1, 2, 3, 0)
    if any(before or after for before, after in pads):
        lanes = pad(lanes, [0, 0, *pads[1], *pads[0]])
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    windows = sliding_window_view(lanes, spans, axis=(1, 2))  # (C, OH', OW', N, KH', KW')
    if (*stride, *dilation) != (1, 1, 1, 1):
        windows = windows[:, :: stride[0], :: stride[1], :, :: dilation[0], :: dilation[1]]
    out_h, out_w = windows.shape[1:3]
    per_group = channels // groups * kernel[0] * kernel[1]
    # im2col's matrices, one per group: rows in the weight's (C, KH, KW) order, a column per
    # (output position, sample); the reshape is the one copy
    columns = windows.transpose(0, 4, 5, 1, 2, 3).reshape(groups, per_group, out_h * out_w * batch)
    kernels = weight.reshape(groups, out_channels // groups, per_group)
    out = (kernels @ columns).reshape(out_channels, out_h, out_w, batch).transpose(3, 0, 1, 2)
    if bias is not None:
        out = out + bias.reshape(out_channels, 1, 1)
    if dims == 1:
        out = out.reshape(batch, out_channels, out_w)
    return out if batched else out.reshape(*out.shape[1:])


def conv2d(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] | str = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation of an (N, C, H, W) input, PyTorch's ``F.conv2d``.

    out[n, o, i, j] = bias[o] + sum over c, u, v of
    weight[o, c, u, v] * padded[n, g*C/groups + c, i*sH + u*dH, j*sW + v*dW], with g the
    group of o. Computed as im2col (`unfold`) and one matrix product.

    Args:
        input: (N, C, H, W), or (C, H, W) unbatched.
        weight: (out_channels, C / groups, KH, KW).
        bias: (out_channels,) or None.
        stride, padding, dilation: an int or a pair; padding may also be "valid" (none)
            or "same" (output as large as the input; stride 1 only).
        groups: split the channels into this many independent convolutions.

    Returns:
        (N, out_channels, OH, OW), OH = (H + 2*pH - dH*(KH-1) - 1) // sH + 1.

    Raises:
        ShapeError: for a wrong number of dimensions or channels, or a kernel larger than
            the padded input. ValueError / TypeError: for bad stride, padding, dilation or
            groups.

    Example:
        >>> x, w = Tensor(np.ones((1, 1, 3, 3))), Tensor(np.ones((1, 1, 2, 2)))
        >>> conv2d(x, w, padding=1).shape
        (1, 1, 4, 4)
    """
    return convolution("conv2d", input, weight, bias, stride, padding, dilation, groups, 2)


def conv1d(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: int | tuple[int] = 1,
    padding: int | tuple[int] | str = 0,
    dilation: int | tuple[int] = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation of an (N, C, L) input, PyTorch's ``F.conv1d``.

    Args:
        input: (N, C, L), or (C, L) unbatched.
        weight: (out_channels, C / groups, K).
        bias: (out_channels,) or None.
        stride, padding, dilation, groups: as `conv2d`, one number each.

    Returns:
        (N, out_channels, L_out), L_out = (L + 2*padding - dilation*(K-1) - 1) // stride + 1.

    Example:
        >>> conv1d(Tensor(np.ones((2, 3, 5))), Tensor(np.ones((4, 3, 3)))).shape
        (2, 4, 3)
    """
    return convolution("conv1d", input, weight, bias, stride, padding, dilation, groups, 1)
