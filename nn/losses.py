"""Loss modules: thin wrappers that hold ``reduction`` and call `nn.functional`.

Each is called as ``loss_fn(prediction, target)`` and returns a 0-d Tensor (or the
unreduced values for ``reduction="none"``).
"""

from __future__ import annotations

from typing import Any

from autograd_lite import Tensor

from . import functional as F
from .module import Module


class _Loss(Module):
    _function: Any = None
    _default_reduction = "mean"

    def __init__(self, reduction: str | None = None) -> None:
        super().__init__()
        reduction = self._default_reduction if reduction is None else reduction
        F._check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        return type(self)._function(prediction, target, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """(prediction - target)**2 averaged ("mean") or summed ("sum") over all elements.

    Args:
        reduction: "mean" (default), "sum" or "none".

    Example:
        >>> MSELoss()(Tensor([1.0, 3.0]), [0.0, 0.0]).item()
        5.0
    """

    _function = staticmethod(F.mse_loss)


class HalfSquaredError(_Loss):
    """The documents' error: "sum" is 1/2 sum (T - a)**2, "mean" is 1/(2m) sum (T - a)**2.

    The first axis is the sample axis (m = prediction.shape[0]); see
    `nn.functional.half_squared_error`.

    Args:
        reduction: "mean" (default; documents 000 and 001), "sum" (document 002) or "none".

    Example:
        >>> HalfSquaredError("sum")(Tensor([[0.75, 0.77]]), [[0.01, 0.99]]).item() > 0
        True
    """

    _function = staticmethod(F.half_squared_error)


class BCELoss(_Loss):
    """Binary cross entropy of probabilities: -(t log p + (1 - t) log(1 - p)).

    Args:
        reduction: "mean" (default), "sum" or "none".
    """

    _function = staticmethod(F.binary_cross_entropy)


class BCEWithLogitsLoss(_Loss):
    """Binary cross entropy of sigmoid(logits), computed stably from the logits.

    Args:
        reduction: "mean" (default), "sum" or "none".
    """

    _function = staticmethod(F.binary_cross_entropy_with_logits)


class CrossEntropyLoss(_Loss):
    """-log softmax(logits)[class] from logits (N, C) and integer class targets (N,).

    Args:
        reduction: "mean" (default), "sum" or "none".

    Example:
        >>> round(CrossEntropyLoss()(Tensor([[0.0, 0.0]]), [0]).item(), 6)
        0.693147
    """

    _function = staticmethod(F.cross_entropy)
