"""Loss modules: thin wrappers that hold ``reduction`` (and settings) and call `nn.functional`.

Each is called as ``loss_fn(prediction, target)`` and returns a 0-d Tensor (or the
unreduced values for ``reduction="none"``). As PyTorch's, they print without their settings
(``CrossEntropyLoss()``), and a class ``weight`` is a buffer, so it is in ``state_dict()``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_lite import Tensor

from . import functional as F
from .functional.helpers import check_number, check_reduction
from .module import Module


class _Loss(Module):
    _function: Any = None
    _default_reduction = "mean"
    _reductions: tuple[str, ...] = ("mean", "sum", "none")

    def __init__(self, reduction: str | None = None) -> None:
        super().__init__()
        reduction = self._default_reduction if reduction is None else reduction
        check_reduction(type(self).__name__, reduction, self._reductions)
        self.reduction = reduction

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        return type(self)._function(prediction, target, reduction=self.reduction)


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


class L1Loss(_Loss):
    """|prediction - target| averaged ("mean") or summed ("sum") over all elements.

    Args:
        reduction: "mean" (default), "sum" or "none".

    Example:
        >>> L1Loss()(Tensor([1.0, -3.0]), [0.0, 0.0]).item()
        2.0
    """

    _function = staticmethod(F.l1_loss)


class SmoothL1Loss(_Loss):
    """0.5 d**2 / beta where |d| < beta, else |d| - 0.5 beta; see `F.smooth_l1_loss`.

    Args:
        reduction: "mean" (default), "sum" or "none".
        beta: where the quadratic part ends (default 1.0; 0 gives `L1Loss`).

    Raises:
        ValueError: for a negative beta.
    """

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = check_number("SmoothL1Loss", "beta", beta, minimum=0.0)

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        return F.smooth_l1_loss(prediction, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """0.5 d**2 where |d| < delta, else delta (|d| - 0.5 delta); see `F.huber_loss`.

    Args:
        reduction: "mean" (default), "sum" or "none".
        delta: where the quadratic part ends (default 1.0); positive.

    Raises:
        ValueError: for delta <= 0.
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = check_number("HuberLoss", "delta", delta)
        if not self.delta > 0:
            raise ValueError(f"HuberLoss: delta must be positive, got {delta}")

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        return F.huber_loss(prediction, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(_Loss):
    """KL divergence of log-probabilities from a target distribution; see `F.kl_div`.

    Args:
        reduction: "mean" (default, with PyTorch's warning), "batchmean" (the divergence
            per sample: use this one), "sum" or "none".
        log_target: the target is given as log-probabilities.

    Example:
        >>> loss_fn = KLDivLoss(reduction="batchmean")
        >>> round(loss_fn(Tensor(np.log([[0.5, 0.5]])), [[0.25, 0.75]]).item(), 6)
        0.130812
    """

    _reductions: tuple[str, ...] = ("mean", "batchmean", "sum", "none")

    def __init__(self, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(reduction)
        self.log_target = bool(log_target)

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        return F.kl_div(prediction, target, reduction=self.reduction, log_target=self.log_target)


class _WeightedLoss(_Loss):
    """A loss with an optional weight per class, kept as the buffer ``weight``."""

    def __init__(self, weight: Any, ignore_index: int, reduction: str) -> None:
        super().__init__(reduction)
        name = type(self).__name__
        if isinstance(weight, str):
            raise TypeError(
                f"{name}: weight must be an array of class weights, got the string "
                f"{weight!r}; pass reduction={weight!r} by name"
            )
        if weight is not None:
            array = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
            if array.ndim != 1 or array.dtype.kind not in "biuf":
                raise TypeError(
                    f"{name}: weight must be a 1-d array of numbers (one per class), got "
                    f"shape {array.shape} of dtype {array.dtype}"
                )
            weight = weight if isinstance(weight, Tensor) else array.astype(np.float64)
        if isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)):
            raise TypeError(f"{name}: ignore_index must be an int, got {ignore_index!r}")
        self.register_buffer("weight", weight)
        self.ignore_index = int(ignore_index)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities and class indices; see `F.nll_loss`.

    Args:
        weight: one weight per class (shape (C,)), or None.
        ignore_index: a target value that contributes nothing (default -100).
        reduction: "mean" (default: divided by the summed weights of the targets), "sum"
            or "none".

    Example:
        >>> log_probs = LogSoftmax(dim=1)(Tensor([[0.0, 0.0]]))
        >>> round(NLLLoss()(log_probs, np.array([1])).item(), 6)
        0.693147
    """

    def __init__(
        self, weight: Any = None, *, ignore_index: int = -100, reduction: str = "mean"
    ) -> None:
        super().__init__(weight, ignore_index, reduction)

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        return F.nll_loss(
            prediction,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
        )


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy of softmax(logits) with class indices or class probabilities.

    Targets are integer class indices of shape (N,) (or (N, d1, ...) for logits
    (N, C, d1, ...)), or float class probabilities of the logits' own shape; see
    `nn.functional.cross_entropy` for PyTorch's formulas with weights, ignore_index and
    label smoothing. Float class indices are refused.

    Args:
        weight: one weight per class (shape (C,)), or None.
        ignore_index: a class-index target that contributes nothing (default -100).
        reduction: "mean" (default), "sum" or "none".
        label_smoothing: in [0, 1] (default 0.0).

    Example:
        >>> round(CrossEntropyLoss()(Tensor([[0.0, 0.0]]), [0]).item(), 6)
        0.693147
        >>> loss_fn = CrossEntropyLoss(weight=np.array([1.0, 3.0]), label_smoothing=0.1)
        >>> round(loss_fn(Tensor([[0.0, 0.0]]), [1]).item(), 6)  # (0.9*3 + 0.05*4)/3 * log 2
        0.670042
    """

    def __init__(
        self,
        weight: Any = None,
        *,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, ignore_index, reduction)
        smoothing = check_number("CrossEntropyLoss", "label_smoothing", label_smoothing, 0.0)
        if smoothing > 1.0:
            raise ValueError(
                f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing}"
            )
        self.label_smoothing = smoothing

    def forward(self, logits: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(
            logits,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )
