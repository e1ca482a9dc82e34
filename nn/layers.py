"""Layers without parameters that are not activations: `Dropout`, `Flatten`, `Identity`."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_lite import ShapeError, Tensor

from . import functional as F
from .module import Module


class Dropout(Module):
    """Inverted dropout: in training, zero elements with probability p and scale by 1/(1-p).

    In eval mode it returns its input unchanged. Masks come from ``generator`` or, when it is
    None, from the global generator (seeded by `nn.manual_seed`).

    Args:
        p: drop probability in [0, 1].
        generator: a private numpy Generator for the masks.

    Raises:
        ValueError: for p outside [0, 1].

    Example:
        >>> drop = Dropout(0.5, np.random.default_rng(0)).eval()
        >>> drop(Tensor([1.0, 2.0])).numpy()
        array([1., 2.])
    """

    def __init__(self, p: float = 0.5, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = float(p)
        self.generator = generator

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace=False"  # PyTorch's text: this layer is never in place


class Flatten(Module):
    """Merge the axes start_dim..end_dim (inclusive) into one (default: all but the first).

    Args:
        start_dim: first axis merged (negative counts from the end).
        end_dim: last axis merged.

    Raises:
        ShapeError: (when called) for axes outside the input or start after end.

    Example:
        >>> Flatten()(Tensor(np.zeros((2, 3, 4)))).shape
        (2, 12)
        >>> Flatten(0, 1)(Tensor(np.zeros((2, 3, 4)))).shape
        (6, 4)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def forward(self, x: Tensor) -> Tensor:
        start = self.start_dim + x.ndim if self.start_dim < 0 else self.start_dim
        end = self.end_dim + x.ndim if self.end_dim < 0 else self.end_dim
        if not 0 <= start <= end < x.ndim:
            raise ShapeError(
                f"Flatten: cannot merge axes start_dim={self.start_dim} to "
                f"end_dim={self.end_dim} of an input of shape {x.shape}"
            )
        shape = x.shape
        merged = int(np.prod(shape[start : end + 1]))
        return x.reshape(*shape[:start], merged, *shape[end + 1 :])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """Returns its input unchanged; any constructor arguments are ignored, as PyTorch's.

    A placeholder where a layer is optional, e.g. ``Linear(...) if hidden else Identity()``.

    Example:
        >>> x = Tensor([1.0, 2.0]); Identity(54, unused="text")(x) is x
        True
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x
