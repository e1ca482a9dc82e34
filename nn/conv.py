"""`Conv1d` and `Conv2d`: convolution layers with PyTorch's arguments, layout and init."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from autograd_lite import Tensor

from . import init
from .functional.conv import conv_padding, convolution, ntuple, pad
from .module import Module
from .parameter import Parameter, layer_dtype

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class ConvNd(Module):
    """What Conv1d and Conv2d share: arguments, parameters, init, forward and printout."""

    dims = 0

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] = 1,
        padding: int | tuple[int, ...] | str = 0,
        dilation: int | tuple[int, ...] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        dtype: np.dtype | type | str = np.float64,
        generator: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        name, dims = type(self).__name__, self.dims
        for argument, value in (
            ("in_channels", in_channels),
            ("out_channels", out_channels),
            ("groups", groups),
        ):
            if not isinstance(value, numbers.Integral) or isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{name}: {argument} must be an integer, got {value!r}")
            if value < 1:
                raise ValueError(f"{name}: {argument} must be positive, got {value}")
        for argument, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if value % groups:
                raise ValueError(f"{name}: {argument}={value} must be divisible by groups={groups}")
        if padding_mode not in PADDING_MODES:
            raise ValueError(
                f"{name}: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}"
            )
        dtype = layer_dtype(name, dtype)
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = ntuple(name, "kernel_size", kernel_size, dims, 1)
        self.stride = ntuple(name, "stride", stride, dims, 1)
        self.dilation = ntuple(name, "dilation", dilation, dims, 1)
        pairs = conv_padding(name, padding, self.kernel_size, self.dilation, self.stride)
        self.padding: tuple[int, ...] | str = (
            padding if isinstance(padding, str) else tuple(p for p, _ in pairs)
        )
        self._pad_pairs = pairs
        self.groups, self.padding_mode = int(groups), padding_mode
        self.weight = Parameter(
            np.zeros((out_channels, in_channels // groups, *self.kernel_size)), dtype=dtype
        )
        self.bias: Parameter | None
        self.bias = Parameter(np.zeros(out_channels), dtype=dtype) if bias else None
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        """Draw the weight and bias again from PyTorch's default: U(-b, b), b = 1/sqrt(fan_in).

        fan_in = in_channels / groups * prod(kernel_size); the weight comes from
        ``kaiming_uniform_(a=sqrt(5))``, then the bias, in that order.
        """
        init.kaiming_uniform_(self.weight, a=math.sqrt(5.0), generator=generator)
        if self.bias is not None:
            fan_in, _ = init.calculate_fans(self.weight)
            bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound, generator)

    def forward(self, input: Tensor) -> Tensor:
        name = type(self).__name__
        padding_arg: Any = self.padding
        if self.padding_mode != "zeros":
            x = input if isinstance(input, Tensor) else Tensor(input)
            if x.ndim in (self.dims + 1, self.dims + 2):
                flat = [p for pair in reversed(self._pad_pairs) for p in pair]
                input, padding_arg = pad(x, flat, mode=self.padding_mode), 0
        return convolution(
            name,
            input,
            self.weight,
            self.bias,
            self.stride,
            padding_arg,
            self.dilation,
            self.groups,
            self.dims,
        )

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * self.dims:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.dims:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv2d(ConvNd):
    """2-D convolution over (N, C, H, W) inputs, PyTorch's ``nn.Conv2d``.

    out = conv2d(x, weight, bias, stride, padding, dilation, groups) with weight of shape
    (out_channels, in_channels / groups, KH, KW); see `nn.functional.conv2d` for the
    formula and how it is computed (im2col and one matrix product). The weight and bias
    start as PyTorch's: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
    fan_in = in_channels / groups * KH * KW.

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size: an int or a pair (KH, KW).
        stride, dilation: an int or a pair.
        padding: an int, a pair, "valid" (none) or "same" (output size = input size,
            stride 1 only; an odd total puts the extra row/column at the end).
        groups: in_channels and out_channels must both be divisible by it.
        bias: add a learnable bias of shape (out_channels,).
        padding_mode: "zeros", "reflect", "replicate" or "circular".
        dtype: float64 (default) or float32 parameters.
        generator: draws the initial values (default: the global one, `nn.manual_seed`).

    Raises:
        TypeError / ValueError: for bad arguments (when built); ShapeError (when called) for
        an input that is not (N, C, H, W) / (C, H, W), has the wrong number of channels or
        is smaller than the kernel after padding.

    Example:
        >>> layer = Conv2d(1, 4, 3, padding=1)
        >>> layer(Tensor(np.zeros((2, 1, 8, 8)))).shape
        (2, 4, 8, 8)
    """

    dims = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] | str = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        dtype: Any = np.float64,
        generator: np.random.Generator | None = None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            dtype,
            generator,
        )


class Conv1d(ConvNd):
    """1-D convolution over (N, C, L) inputs, PyTorch's ``nn.Conv1d``.

    The weight has shape (out_channels, in_channels / groups, kernel_size); arguments,
    initialisation and errors are those of `Conv2d` with one number per argument.

    Example:
        >>> Conv1d(3, 5, kernel_size=3, padding="same")(Tensor(np.zeros((2, 3, 10)))).shape
        (2, 5, 10)
    """

    dims = 1

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int],
        stride: int | tuple[int] = 1,
        padding: int | tuple[int] | str = 0,
        dilation: int | tuple[int] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        dtype: Any = np.float64,
        generator: np.random.Generator | None = None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            dtype,
            generator,
        )
