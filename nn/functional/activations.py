"""Activations and dropout: elementwise functions of a Tensor, PyTorch's formulas.

Each is built from Tensor operations (gelu is one engine op, `autograd_lite.gelu`), so its
gradient is the engine's; branches are chosen with `where`, whose untaken side gets no
gradient, and every branch is evaluated only on inputs where it stays finite.
"""

from __future__ import annotations

import warnings

import numpy as np

from autograd_lite import Tensor, where
from autograd_lite import gelu as _gelu

from .. import init  # at module level: an import inside dropout() ran on every call
from .helpers import as_tensor, check_number


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)) elementwise."""
    return as_tensor(x).sigmoid()


def tanh(x: Tensor) -> Tensor:
    """tanh(x) elementwise."""
    return as_tensor(x).tanh()


def relu(x: Tensor) -> Tensor:
    """max(x, 0) elementwise."""
    return as_tensor(x).relu()


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, negative_slope * x elsewhere."""
    x = as_tensor(x)
    return where(x > 0, x, x * negative_slope)


def _softmax_dim(name: str, ndim: int, dim: int | None) -> int:
    """``dim``, or PyTorch's deprecated implicit choice (with its warning) when None."""
    if dim is not None:
        return dim
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to "
        "include dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(x: Tensor, dim: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``.

    Args:
        x: input tensor.
        dim: the axis that sums to one. None is PyTorch's deprecated implicit choice
            (axis 0 for 0-, 1- and 3-d input, else axis 1), with PyTorch's warning.

    Example:
        >>> softmax(Tensor([[0.0, np.log(3.0)]]), dim=1).numpy()
        array([[0.25, 0.75]])
    """
    x = as_tensor(x)
    return x.softmax(axis=_softmax_dim("softmax", x.ndim, dim))


def log_softmax(x: Tensor, dim: int | None = None) -> Tensor:
    """x - logsumexp(x) along ``dim`` (None: as for `softmax`)."""
    x = as_tensor(x)
    return x.log_softmax(axis=_softmax_dim("log_softmax", x.ndim, dim))


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit: x * Phi(x), Phi the standard normal CDF.

    One op of the engine (`autograd_lite.gelu`): the forward keeps Phi(x) for the backward.

    Args:
        x: input tensor.
        approximate: "none" is exact, 0.5 x (1 + erf(x / sqrt 2)); "tanh" is
            0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).

    Raises:
        ValueError: for another ``approximate``.

    Example:
        >>> round(gelu(Tensor([1.0]), approximate="tanh").item(), 6)
        0.841192
    """
    return _gelu(as_tensor(x), approximate)


def silu(x: Tensor) -> Tensor:
    """x * sigmoid(x) (the swish function).

    Example:
        >>> round(silu(Tensor([1.0])).item(), 6)
        0.731059
    """
    x = as_tensor(x)
    return x * x.sigmoid()


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's).

    Args:
        x: input tensor.
        beta: the sharpness; larger is closer to relu.
        threshold: above it (in units of beta x) the function is taken as linear.

    Example:
        >>> round(softplus(Tensor([0.0]), beta=2.0).item(), 6)   # log(2) / 2
        0.346574
    """
    beta = check_number("softplus", "beta", beta)
    threshold = check_number("softplus", "threshold", threshold)
    x = as_tensor(x)
    scaled = x * beta
    return where(scaled > threshold, x, scaled.softplus() / beta)


def _expm1(x: Tensor) -> Tensor:
    """exp(x) - 1 without cancellation near 0: tanh(x/2) (exp(x) + 1) is the same number."""
    return (x * 0.5).tanh() * (x.exp() + 1.0)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x where x > 0, alpha * (exp(x) - 1) elsewhere.

    Example:
        >>> elu(Tensor([2.0, 0.0]), alpha=0.5).numpy()
        array([2., 0.])
    """
    alpha = check_number("elu", "alpha", alpha)
    x = as_tensor(x)
    positive = x > 0
    negative_part = where(positive, 0.0, x)  # exp of a large positive x would overflow
    return where(positive, x, _expm1(negative_part) * alpha)


def dropout(
    x: Tensor, p: float = 0.5, training: bool = True, generator: np.random.Generator | None = None
) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p).

    Args:
        x: input tensor.
        p: drop probability in [0, 1].
        training: when False the input is returned unchanged.
        generator: source of the mask (default: the global one of `nn.init`).

    Returns:
        A tensor of ``x``'s shape.

    Raises:
        ValueError: for p outside [0, 1].
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    x = as_tensor(x)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    rng = init.default_generator() if generator is None else generator
    keep = rng.random(x.shape) >= p
    return x * (keep.astype(x.dtype) / (1.0 - p))
