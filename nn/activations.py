"""Activation layers: elementwise functions (and softmax) as Modules, PyTorch's names.

Each calls its function in `nn.functional`; the settings print as PyTorch prints them.
"""

from __future__ import annotations

from autograd_lite import Tensor

from . import functional as F
from .functional.helpers import check_number
from .module import Module


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise (the documents' activation)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    """tanh(x) elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class ReLU(Module):
    """max(x, 0) elementwise; its derivative at 0 is taken as 0."""

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise.

    Args:
        negative_slope: the slope left of zero (PyTorch's default 0.01).
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        check_number("LeakyReLU", "negative_slope", negative_slope)
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Softmax(Module):
    """exp(x) / sum(exp(x)) along ``dim``: the values along it sum to one.

    Args:
        dim: the axis (negative counts from the end). None, PyTorch's default, is its
            deprecated implicit choice (axis 0 for 0-, 1- and 3-d input, else axis 1) with
            its warning: pass ``dim`` (usually -1).

    Example:
        >>> Softmax(dim=-1)(Tensor([[0.0, np.log(3.0)]])).numpy()
        array([[0.25, 0.75]])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = None if dim is None else int(dim)

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """x - logsumexp(x) along ``dim`` (log of `Softmax`, computed stably); pairs with NLLLoss.

    Args:
        dim: as for `Softmax`.
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.log_softmax(x, dim=self.dim)


class GELU(Module):
    """Gaussian error linear unit, x * Phi(x); see `nn.functional.gelu`.

    Args:
        approximate: "none" (exact, with erf) or "tanh" (PyTorch's tanh approximation).

    Raises:
        ValueError: for another ``approximate``.

    Example:
        >>> round(GELU(approximate="tanh")(Tensor([1.0])).item(), 6)
        0.841192
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x * sigmoid(x) elementwise (swish)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.silu(x)


class Softplus(Module):
    """log(1 + exp(beta x)) / beta, linear where beta x > threshold; see `F.softplus`.

    Args:
        beta: the sharpness (PyTorch's default 1.0).
        threshold: beyond it (in beta x) the layer returns x (default 20.0).

    Example:
        >>> Softplus(beta=2, threshold=10)
        Softplus(beta=2, threshold=10)
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        check_number("Softplus", "beta", beta)
        check_number("Softplus", "threshold", threshold)
        self.beta, self.threshold = beta, threshold  # kept as given: PyTorch prints them so

    def forward(self, x: Tensor) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class ELU(Module):
    """x for x > 0, alpha * (exp(x) - 1) otherwise.

    Args:
        alpha: the value approached for very negative x is -alpha (default 1.0).
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        check_number("ELU", "alpha", alpha)
        self.alpha = alpha

    def forward(self, x: Tensor) -> Tensor:
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"
