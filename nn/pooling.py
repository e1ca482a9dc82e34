"""`MaxPool2d` and `AvgPool2d`: pooling layers with PyTorch's arguments and printout."""

from __future__ import annotations

from typing import Any

from autograd_lite import Tensor

from .functional.conv import ntuple
from .functional.pooling import avg_pool2d, max_pool2d
from .module import Module


def _check(name: str, kernel_size: Any, stride: Any, padding: Any, dilation: Any = 1) -> None:
    """Refuse bad pooling arguments when the layer is built, with the layer's name."""
    ntuple(name, "kernel_size", kernel_size, 2, 1)
    ntuple(name, "stride", stride, 2, 1)
    ntuple(name, "padding", padding, 2, 0)
    ntuple(name, "dilation", dilation, 2, 1)


class MaxPool2d(Module):
    """The maximum of each window of (N, C, H, W) inputs, PyTorch's ``nn.MaxPool2d``.

    The gradient of each output goes to the one element it took (the first maximum of its
    window, in row-major order), as in PyTorch. See `nn.functional.max_pool2d`.

    Args:
        kernel_size: an int or a pair.
        stride: the step between windows (default: kernel_size).
        padding: implicit -inf on both sides (at most half the kernel's extent).
        dilation: the step between a window's elements.
        return_indices: also return each output's flat index in its H*W plane (an int64
            NumPy array).
        ceil_mode: round the output size up (a last partial window).

    Example:
        >>> MaxPool2d(2)(Tensor(np.arange(16.0).reshape(1, 1, 4, 4))).numpy()
        array([[[[ 5.,  7.],
                 [13., 15.]]]])
    """

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = bool(return_indices), bool(ceil_mode)
        _check("MaxPool2d", kernel_size, self.stride, padding, dilation)

    def forward(self, input: Tensor) -> Any:
        return max_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
            name=type(self).__name__,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class AvgPool2d(Module):
    """The mean of each window of (N, C, H, W) inputs, PyTorch's ``nn.AvgPool2d``.

    See `nn.functional.avg_pool2d` for the divisor rules.

    Args:
        kernel_size: an int or a pair.
        stride: the step between windows (default: kernel_size).
        padding: implicit zeros on both sides (at most half the kernel size).
        ceil_mode: round the output size up (a last partial window).
        count_include_pad: divide by the window size including the zero padding.
        divisor_override: divide every sum by this instead.

    Example:
        >>> AvgPool2d(2)(Tensor(np.arange(16.0).reshape(1, 1, 4, 4))).numpy()
        array([[[[ 2.5,  4.5],
                 [10.5, 12.5]]]])
    """

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, bool(ceil_mode)
        self.count_include_pad, self.divisor_override = bool(count_include_pad), divisor_override
        _check("AvgPool2d", kernel_size, self.stride, padding)

    def forward(self, input: Tensor) -> Tensor:
        return avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
            name=type(self).__name__,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
