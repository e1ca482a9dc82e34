"""Normalisation: `batch_norm` and `layer_norm`, PyTorch's formulas and numbers.

Both compute y = (x - mean) * (1 / sqrt(var + eps)) * weight + bias with the biased
variance (the mean of squared deviations) of the statistics' axes; the gradient is the
engine's, through the mean and the variance (`layer_norm` is one engine op,
`autograd_lite.layer_norm`, with the same formula). `batch_norm` in training mode also moves the
running statistics: running = (1 - momentum) * running + momentum * batch value, with the
unbiased variance (n / (n - 1) times the biased one) for ``running_var``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_lite import ShapeError, Tensor
from autograd_lite import layer_norm as _layer_norm

from .helpers import as_tensor


def normalize(x: Tensor, axes: tuple[int, ...], eps: float) -> Tensor:
    """(x - mean) / sqrt(var + eps) over ``axes``, with the biased variance."""
    deviation = x - x.mean(axis=axes, keepdims=True)
    var = (deviation * deviation).mean(axis=axes, keepdims=True)
    return deviation * (1.0 / (var + eps).sqrt())


def _affine(y: Tensor, weight: Any, bias: Any, shape: tuple[int, ...]) -> Tensor:
    """y * weight + bias, the two reshaped to ``shape`` (no reshape op when they have it)."""
    if weight is not None:
        weight = as_tensor(weight)
        y = y * (weight if weight.shape == shape else weight.reshape(shape))
    if bias is not None:
        bias = as_tensor(bias)
        y = y + (bias if bias.shape == shape else bias.reshape(shape))
    return y


def _update(running: Any, new: np.ndarray, momentum: float) -> None:
    """running <- (1 - momentum) * running + momentum * new, in the running array's dtype."""
    old = running.data if isinstance(running, Tensor) else np.asarray(running)
    value = (momentum * new + (1.0 - momentum) * old).astype(old.dtype)
    if isinstance(running, Tensor):
        running.data = value  # the same Tensor (e.g. a module's buffer) holds the new values
    else:
        old[...] = value


def batch_norm(
    input: Any,
    running_mean: Any,
    running_var: Any,
    weight: Any = None,
    bias: Any = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
    *,
    name: str = "batch_norm",
) -> Tensor:
    """Normalise each channel (axis 1) of an (N, C, ...) input, PyTorch's ``F.batch_norm``.

    Args:
        input: (N, C) or (N, C, *spatial).
        running_mean, running_var: (C,) Tensors (or arrays), or None. In training they are
            updated in place; in evaluation they are the statistics used.
        weight, bias: (C,) scale and shift, or None.
        training: normalise by the batch's statistics (over N and the spatial axes) and
            update the running ones; False uses the running statistics.
        momentum: the running statistics' update factor.
        eps: added to the variance.

    Returns:
        A Tensor shaped as ``input``.

    Raises:
        ShapeError: for fewer than 2 dimensions or statistics that do not have C entries.
        ValueError: for training on a single value per channel.

    Example:
        >>> mean, var = Tensor(np.zeros(2)), Tensor(np.ones(2))
        >>> y = batch_norm(Tensor([[1.0, 2.0], [3.0, 6.0]]), mean, var, training=True)
        >>> mean.numpy(), np.round(var.numpy(), 6)
        (array([0.2, 0.4]), array([1.1, 1.7]))
    """
    x = as_tensor(input)
    if x.ndim < 2:
        raise ShapeError(f"{name}: expected an input of shape (N, C, ...), got {x.shape}")
    channels = x.shape[1]
    for argument, value in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if value is not None and np.shape(value.data if isinstance(value, Tensor) else value) != (
            channels,
        ):
            raise ShapeError(
                f"{name}: input has {channels} channels (input shape {x.shape}) but "
                f"{argument} has shape {np.shape(getattr(value, 'data', value))}"
            )
    axes = (0, *range(2, x.ndim))
    shape = (1, channels) + (1,) * (x.ndim - 2)
    use_batch = training or running_mean is None or running_var is None
    if use_batch:
        count = int(np.prod(x.shape)) // channels
        if training and count <= 1:
            raise ValueError(
                f"{name}: expected more than 1 value per channel when training, got input "
                f"of shape {x.shape}"
            )
        y = normalize(x, axes, eps)
        if training:
            data = x.data
            mean = data.mean(axis=axes)
            var = ((data - mean.reshape(shape)) ** 2).sum(axis=axes) / max(count - 1, 1)
            if running_mean is not None:
                _update(running_mean, mean, momentum)
            if running_var is not None:
                _update(running_var, var, momentum)
    else:
        mean = getattr(running_mean, "data", running_mean)
        var = getattr(running_var, "data", running_var)
        scale = 1.0 / np.sqrt(np.asarray(var) + eps)
        y = (x - Tensor(np.asarray(mean, dtype=x.dtype).reshape(shape))) * Tensor(
            scale.astype(x.dtype).reshape(shape)
        )
    return _affine(y, weight, bias, shape)


def layer_norm(
    input: Any,
    normalized_shape: int | tuple[int, ...],
    weight: Any = None,
    bias: Any = None,
    eps: float = 1e-5,
    *,
    name: str = "layer_norm",
) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` axes, PyTorch's ``F.layer_norm``.

    Args:
        input: (..., *normalized_shape).
        normalized_shape: the trailing shape normalised over (an int for one axis).
        weight, bias: elementwise scale and shift of shape ``normalized_shape``, or None.
        eps: added to the variance.

    Returns:
        A Tensor shaped as ``input``.

    Raises:
        ShapeError: when the input's shape does not end in ``normalized_shape``, or weight
            or bias has another shape. TypeError: for a normalized_shape that is neither an
            int nor a sequence of ints.

    Example:
        >>> layer_norm(Tensor([[1.0, 3.0]]), 2).numpy().round(4)
        array([[-1.,  1.]])
    """
    # [fast path: fused layer norm] one op (`autograd_lite.layer_norm`, which checks the
    # arguments), the formula of normalize() and _affine() (pinned in
    # tests/fast_paths/test_fused_layers.py)
    return _layer_norm(input, normalized_shape, weight, bias, eps, name=name)
