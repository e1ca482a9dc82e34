"""Parameter initialisation driven by a seedable `numpy.random.Generator`.

Every function fills a Tensor in place (the trailing underscore, as in PyTorch) and returns
the tensor. The values go in through the ``.data`` assignment, which gives the tensor a new
version stamp: a graph that saved the old values refuses to backward instead of silently
using the new ones. Random draws come from the ``generator`` argument or, when it is None,
from the engine's global generator, which `manual_seed` (``autograd_lite.manual_seed``, the
same function) resets: two runs that call ``nn.manual_seed(0)`` first build identical models
and shuffle identically.
"""

from __future__ import annotations

import math

import numpy as np

# manual_seed and default_generator are the engine's own (autograd_lite.rng), re-exported:
# nn.manual_seed is autograd_lite.manual_seed, one global generator for both packages
from autograd_lite import Tensor, default_generator, manual_seed

__all__ = [
    "calculate_fans",
    "calculate_gain",
    "constant_",
    "default_generator",
    "kaiming_normal_",
    "kaiming_uniform_",
    "manual_seed",
    "normal_",
    "ones_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]


def _rng(generator: np.random.Generator | None) -> np.random.Generator:
    return default_generator() if generator is None else generator


def _fill(tensor: Tensor, values: np.ndarray) -> Tensor:
    """Give ``tensor`` the fresh array ``values`` (its shape) through the versioned setter."""
    # ``tensor.data[...] = values`` would write the old array without a new version stamp
    tensor.data = values.astype(tensor.dtype, copy=False)
    return tensor


def calculate_fans(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel), as PyTorch computes them.

    Raises:
        ValueError: for a tensor with fewer than two dimensions.
    """
    if tensor.ndim < 2:
        raise ValueError(
            f"init: fan in and fan out need a tensor with at least 2 dimensions, got shape "
            f"{tensor.shape}"
        )
    receptive_field = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for ``nonlinearity`` (PyTorch's table).

    Args:
        nonlinearity: "linear", "sigmoid", "tanh", "relu" or "leaky_relu".
        param: the negative slope of leaky_relu (default 0.01).

    Returns:
        1 for linear/sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope**2))
        for leaky_relu.

    Raises:
        ValueError: for an unknown nonlinearity.
    """
    if nonlinearity in ("linear", "sigmoid", "identity"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope**2))
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}")


def uniform_(
    tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: np.random.Generator | None = None
) -> Tensor:
    """Fill ``tensor`` with draws from U(a, b).

    Example:
        >>> w = uniform_(Tensor(np.zeros(3)), -1.0, 1.0, np.random.default_rng(0))
    """
    if not a <= b:
        raise ValueError(f"uniform_: need a <= b, got a={a}, b={b}")
    return _fill(tensor, _rng(generator).uniform(a, b, size=tensor.shape))


def normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Fill ``tensor`` with draws from N(mean, std**2).

    Example:
        >>> w = normal_(Tensor(np.zeros(3)), 0.0, 0.1, np.random.default_rng(0))
    """
    if std < 0:
        raise ValueError(f"normal_: std must be non-negative, got {std}")
    return _fill(tensor, _rng(generator).normal(mean, std, size=tensor.shape))


def zeros_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with 0."""
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with 1."""
    return constant_(tensor, 1.0)


def constant_(tensor: Tensor, value: float) -> Tensor:
    """Fill ``tensor`` with ``value``.

    Example:
        >>> constant_(Tensor(np.zeros(2)), 0.35).numpy()
        array([0.35, 0.35])
    """
    return _fill(tensor, np.full(tensor.shape, value))


def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None
) -> Tensor:
    """Glorot uniform: U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(
    tensor: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None
) -> Tensor:
    """Glorot normal: N(0, std**2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = calculate_fans(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: np.random.Generator | None = None,
) -> Tensor:
    """He uniform: U(-bound, bound), bound = sqrt(3) * gain / sqrt(fan).

    With ``a = sqrt(5)`` (what `Linear` uses, as PyTorch) the bound is 1 / sqrt(fan_in).
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: np.random.Generator | None = None,
) -> Tensor:
    """He normal: N(0, std**2), std = gain / sqrt(fan)."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)
