"""`BatchNorm1d`, `BatchNorm2d` and `LayerNorm`, with PyTorch's arguments, state and numbers.

A BatchNorm layer keeps ``running_mean``, ``running_var`` and ``num_batches_tracked`` as
buffers: they are in `state_dict()` and saved files (PyTorch's names and order: weight,
bias, running_mean, running_var, num_batches_tracked), never in `parameters()`, so a model
saved and loaded normalises exactly as before.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from autograd_lite import ShapeError, Tensor

from . import init
from .functional.normalization import batch_norm, layer_norm
from .module import Module
from .parameter import Parameter, layer_dtype


class BatchNormNd(Module):
    """What BatchNorm1d and BatchNorm2d share; ``input_dims`` are the accepted ndims."""

    input_dims: tuple[int, ...] = ()
    layout = ""
    num_features: int
    eps: float
    momentum: float | None
    affine: bool
    track_running_stats: bool

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: Any = np.float64,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if not isinstance(num_features, numbers.Integral) or isinstance(num_features, bool):
            raise TypeError(f"{name}: num_features must be an integer, got {num_features!r}")
        if num_features < 1:
            raise ValueError(f"{name}: num_features must be positive, got {num_features}")
        dtype = layer_dtype(name, dtype)
        self.num_features, self.eps = int(num_features), float(eps)
        self.momentum = None if momentum is None else float(momentum)
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        self.weight: Parameter | None = None
        self.bias: Parameter | None = None
        if affine:
            self.weight = Parameter(np.ones(num_features), dtype=dtype)
            if bias:
                self.bias = Parameter(np.zeros(num_features), dtype=dtype)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            for buffer in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(buffer, None)

    def reset_running_stats(self) -> None:
        """running_mean = 0, running_var = 1, num_batches_tracked = 0."""
        if self.track_running_stats:
            self.running_mean.data = np.zeros_like(self.running_mean.data)
            self.running_var.data = np.ones_like(self.running_var.data)
            self.num_batches_tracked = np.array(0, dtype=np.int64)

    def reset_parameters(self) -> None:
        """Reset the running statistics, and weight = 1, bias = 0."""
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        name = type(self).__name__
        x = input if isinstance(input, Tensor) else Tensor(input)
        if x.ndim not in self.input_dims:
            wanted = " or ".join(f"{n}D" for n in self.input_dims)
            raise ShapeError(
                f"{name}: expected {wanted} input {self.layout}, got {x.ndim}D input of "
                f"shape {x.shape}"
            )
        if x.shape[1] != self.num_features:
            raise ShapeError(
                f"{name}: input has {x.shape[1]} channels (input shape {x.shape}) but "
                f"num_features={self.num_features}"
            )
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked = self.num_batches_tracked + 1
            if self.momentum is None:  # a cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked)
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return batch_norm(
            x,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
            name=name,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(BatchNormNd):
    """Batch normalisation of (N, C) or (N, C, L) inputs, PyTorch's ``nn.BatchNorm1d``.

    In training mode each channel is normalised by the batch's mean and biased variance
    (over N and L), y = (x - mean) / sqrt(var + eps) * weight + bias, and the running
    statistics move: running = (1 - momentum) * running + momentum * batch value, with
    the unbiased variance for ``running_var`` (momentum None: a cumulative average over
    ``num_batches_tracked`` batches). In eval mode the running statistics are used.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance.
        momentum: the running statistics' update factor, or None for a cumulative average.
        affine: learn ``weight`` (starts at 1) and ``bias`` (starts at 0).
        bias: (keyword) with affine, False leaves the bias out (PyTorch 2.13's argument).
        track_running_stats: keep the running statistics as buffers; without them the
            batch's statistics are used in eval mode too.
        dtype: float64 (default) or float32 parameters and running statistics.

    Example:
        >>> bn = BatchNorm1d(2)
        >>> y = bn(Tensor([[1.0, 2.0], [3.0, 6.0]]))
        >>> bn.running_mean.numpy(), int(bn.num_batches_tracked)
        (array([0.2, 0.4]), 1)
    """

    input_dims = (2, 3)
    layout = "(N, C) or (N, C, L)"


class BatchNorm2d(BatchNormNd):
    """Batch normalisation of (N, C, H, W) inputs, PyTorch's ``nn.BatchNorm2d``.

    The statistics of channel c are over N, H and W; otherwise as `BatchNorm1d`.

    Example:
        >>> BatchNorm2d(3)(Tensor(np.ones((2, 3, 4, 4)))).shape
        (2, 3, 4, 4)
    """

    input_dims = (4,)
    layout = "(N, C, H, W)"


class LayerNorm(Module):
    """Normalise over the last axes of each sample, PyTorch's ``nn.LayerNorm``.

    y = (x - mean) / sqrt(var + eps) * weight + bias, the mean and biased variance taken
    over the trailing ``normalized_shape`` axes; the same in training and eval mode.

    Args:
        normalized_shape: an int (the last axis) or the trailing shape.
        eps: added to the variance.
        elementwise_affine: learn ``weight`` (starts at 1) of shape normalized_shape.
        bias: with elementwise_affine, also learn ``bias`` (starts at 0).
        dtype: float64 (default) or float32 parameters.

    Example:
        >>> LayerNorm(2)(Tensor([[1.0, 3.0]])).numpy().round(4)
        array([[-1.,  1.]])
    """

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        given: Any = normalized_shape
        shape: tuple[Any, ...] = (given,) if isinstance(given, numbers.Integral) else tuple(given)
        if not shape or not all(
            isinstance(n, numbers.Integral) and not isinstance(n, bool) and int(n) > 0
            for n in shape
        ):
            raise ValueError(
                f"LayerNorm: normalized_shape must be a positive int or a tuple of them, got "
                f"{normalized_shape!r}"
            )
        dtype = layer_dtype("LayerNorm", dtype)
        self.normalized_shape = tuple(int(n) for n in shape)
        self.eps, self.elementwise_affine = float(eps), bool(elementwise_affine)
        self.weight: Parameter | None = None
        self.bias: Parameter | None = None
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape), dtype=dtype)
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape), dtype=dtype)

    def reset_parameters(self) -> None:
        """weight = 1, bias = 0."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return layer_norm(
            input, self.normalized_shape, self.weight, self.bias, self.eps, name="LayerNorm"
        )

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )
