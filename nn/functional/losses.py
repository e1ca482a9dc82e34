"""Losses comparing a prediction with a target of the same shape, elementwise.

Losses take the prediction first and the target second, as PyTorch. ``reduction`` is
"mean", "sum" or "none" (the elementwise values). Prediction and target must have the same
shape (PyTorch broadcasts them with a warning; here a mismatch is an error).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from autograd_lite import ShapeError, Tensor, where

from .helpers import as_tensor as _as_tensor
from .helpers import check_number
from .helpers import check_reduction as _check_reduction
from .helpers import reduce as _reduce
from .helpers import same_shape as _same_shape


# -------------------------------------------------------------------- losses
def mse_loss(prediction: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error: (prediction - target)**2, averaged over all elements.

    Args:
        prediction: the model output.
        target: same shape as ``prediction``.
        reduction: "mean" (default), "sum" or "none".

    Returns:
        A 0-d tensor ("mean"/"sum") or the elementwise squared errors ("none").

    Raises:
        ShapeError: when the shapes differ. ValueError: for an unknown reduction.

    Example:
        >>> mse_loss(Tensor([1.0, 3.0]), [0.0, 0.0]).item()
        5.0
    """
    _check_reduction("mse_loss", reduction)
    prediction, target = _as_tensor(prediction), _as_tensor(target)
    _same_shape("mse_loss", prediction, target)
    return _reduce((prediction - target) ** 2, reduction)


def half_squared_error(prediction: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """The documents' error: E = 1/2 * sum (T - a)**2, or 1/(2m) * sum (T - a)**2.

    The first axis is the sample axis: for a prediction of shape (m, k), "mean" sums the
    squared errors of all k outputs of a sample and averages over the m samples, so one
    sample with two outputs gives the document-002 total error under both reductions.
    A 0-d prediction counts as one sample.

    Args:
        prediction: the model output ``a``.
        target: the ground truth ``T``, same shape.
        reduction: "mean" (1/2m sum, documents 000 and 001), "sum" (1/2 sum, document 002)
            or "none" (elementwise 1/2 (T - a)**2).

    Returns:
        A 0-d tensor, or the elementwise halves of squared errors for "none".

    Raises:
        ShapeError: when the shapes differ, or for "mean" over 0 samples. ValueError: for an
            unknown reduction.

    Example:
        >>> half_squared_error(Tensor([[0.5], [1.0]]), [[0.0], [0.0]]).item()  # (0.25+1)/4
        0.3125
    """
    _check_reduction("half_squared_error", reduction)
    prediction, target = _as_tensor(prediction), _as_tensor(target)
    _same_shape("half_squared_error", prediction, target)
    halves = 0.5 * (target - prediction) ** 2
    if reduction == "none":
        return halves
    total = halves.sum()
    if reduction == "sum":
        return total
    samples = prediction.shape[0] if prediction.ndim > 0 else 1
    if samples == 0:  # 0 / 0: NaN, where the other losses' mean raises
        raise ShapeError(
            f"half_squared_error: reduction 'mean' cannot average over 0 samples (prediction "
            f"shape {prediction.shape}); use reduction='sum' for an empty batch"
        )
    return total / samples


def binary_cross_entropy(prediction: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p; each log clamped at -100.

    The clamp (PyTorch's) keeps the loss finite when p is exactly 0 or 1.

    Args:
        prediction: probabilities in [0, 1].
        target: same shape, values in [0, 1].
        reduction: "mean", "sum" or "none".

    Returns:
        The reduced loss.

    Raises:
        ValueError: for a probability outside [0, 1]. ShapeError: when the shapes differ.

    Example:
        >>> round(binary_cross_entropy(Tensor([0.5]), [1.0]).item(), 6)   # log 2
        0.693147
    """
    _check_reduction("binary_cross_entropy", reduction)
    prediction, target = _as_tensor(prediction), _as_tensor(target)
    _same_shape("binary_cross_entropy", prediction, target)
    _check_probabilities(prediction.data)
    log_p = _clamped_log(prediction)
    log_not_p = _clamped_log(1.0 - prediction)
    return _reduce(-(target * log_p + (1.0 - target) * log_not_p), reduction)


def _clamped_log(x: Tensor) -> Tensor:
    # where() sends no gradient to the branch not taken, so log(0)'s inf slope is dropped
    safe = where(x > 0, x, 1.0)
    return where(x.data > np.exp(-100.0), safe.log(), -100.0)


def binary_cross_entropy_with_logits(
    logits: Tensor, target: Any, reduction: str = "mean"
) -> Tensor:
    """BCE of sigmoid(x) computed from the logits x without overflow.

    Uses softplus(x) - x t, which equals -(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x)));
    `Tensor.softplus` never exponentiates a positive number, and its derivative is
    sigmoid(x) everywhere, so d loss / dx = sigmoid(x) - t holds at x = 0 too.

    Args:
        logits: raw scores x.
        target: same shape, values in [0, 1].
        reduction: "mean", "sum" or "none".

    Returns:
        The reduced loss.

    Raises:
        ShapeError: when the shapes differ.

    Example:
        >>> round(binary_cross_entropy_with_logits(Tensor([0.0]), [1.0]).item(), 6)
        0.693147
    """
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    logits, target = _as_tensor(logits), _as_tensor(target)
    _same_shape("binary_cross_entropy_with_logits", logits, target)
    return _reduce(logits.softplus() - logits * target, reduction)


def l1_loss(prediction: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error: |prediction - target|, averaged over all elements.

    The slope at a zero difference is 0, as PyTorch's.

    Args:
        prediction: the model output.
        target: same shape as ``prediction``.
        reduction: "mean" (default), "sum" or "none".

    Raises:
        ShapeError: when the shapes differ. ValueError: for an unknown reduction.

    Example:
        >>> l1_loss(Tensor([1.0, -3.0]), [0.0, 0.0]).item()
        2.0
    """
    _check_reduction("l1_loss", reduction)
    prediction, target = _as_tensor(prediction), _as_tensor(target)
    _same_shape("l1_loss", prediction, target)
    return _reduce((prediction - target).abs(), reduction)


def smooth_l1_loss(
    prediction: Tensor, target: Any, reduction: str = "mean", beta: float = 1.0
) -> Tensor:
    """0.5 d**2 / beta where |d| < beta, else |d| - 0.5 beta, for d = prediction - target.

    ``beta = 0`` is `l1_loss` (PyTorch's special case).

    Args:
        prediction: the model output.
        target: same shape as ``prediction``.
        reduction: "mean" (default), "sum" or "none".
        beta: where the quadratic part ends; non-negative.

    Raises:
        ShapeError: when the shapes differ. ValueError: for a negative beta or an unknown
            reduction.

    Example:
        >>> smooth_l1_loss(Tensor([0.5, 3.0]), [0.0, 0.0], reduction="none").numpy()
        array([0.125, 2.5  ])
    """
    _check_reduction("smooth_l1_loss", reduction)
    beta = check_number("smooth_l1_loss", "beta", beta, minimum=0.0)
    prediction, target = _as_tensor(prediction), _as_tensor(target)
    _same_shape("smooth_l1_loss", prediction, target)
    size = (prediction - target).abs()
    if beta == 0.0:
        return _reduce(size, reduction)
    return _reduce(where(size < beta, size * size * (0.5 / beta), size - 0.5 * beta), reduction)


def huber_loss(
    prediction: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0
) -> Tensor:
    """0.5 d**2 where |d| < delta, else delta (|d| - 0.5 delta), for d = prediction - target.

    Equals ``delta * smooth_l1_loss(..., beta=delta)``.

    Args:
        prediction: the model output.
        target: same shape as ``prediction``.
        reduction: "mean" (default), "sum" or "none".
        delta: where the quadratic part ends; positive.

    Raises:
        ShapeError: when the shapes differ. ValueError: for delta <= 0 or an unknown
            reduction.

    Example:
        >>> huber_loss(Tensor([0.5, 3.0]), [0.0, 0.0], reduction="none", delta=2.0).numpy()
        array([0.125, 4.   ])
    """
    _check_reduction("huber_loss", reduction)
    delta = check_number("huber_loss", "delta", delta)
    if not delta > 0.0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    prediction, target = _as_tensor(prediction), _as_tensor(target)
    _same_shape("huber_loss", prediction, target)
    size = (prediction - target).abs()
    return _reduce(where(size < delta, size * size * 0.5, (size - 0.5 * delta) * delta), reduction)


def kl_div(
    prediction: Tensor, target: Any, reduction: str = "mean", log_target: bool = False
) -> Tensor:
    """Kullback-Leibler divergence of log-probabilities ``prediction`` from ``target``.

    Pointwise ``target * (log(target) - prediction)`` (0 where target is 0), or with
    ``log_target`` ``exp(target) * (target - prediction)``. "batchmean" divides the sum by
    the first dimension (the KL divergence per sample); "mean" divides by the number of
    elements and warns as PyTorch does.

    Args:
        prediction: log-probabilities (e.g. a log_softmax).
        target: probabilities (or log-probabilities with ``log_target``), same shape.
        reduction: "mean" (default), "batchmean", "sum" or "none".
        log_target: the target is given as log-probabilities.

    Raises:
        ShapeError: when the shapes differ. ValueError: for a negative probability in the
            target or an unknown reduction.

    Example:
        >>> p = Tensor(np.log([[0.5, 0.5]]))
        >>> round(kl_div(p, [[0.25, 0.75]], reduction="batchmean").item(), 6)
        0.130812
    """
    _check_reduction("kl_div", reduction, ("mean", "batchmean", "sum", "none"))
    prediction, target = _as_tensor(prediction), _as_tensor(target)
    _same_shape("kl_div", prediction, target)
    if log_target:
        pointwise = target.exp() * (target - prediction)
    else:
        probabilities = target.data
        if np.any(probabilities < 0):
            raise ValueError(
                f"kl_div: target must hold probabilities >= 0 (or pass log_target=True), got "
                f"values down to {probabilities.min()}"
            )
        positive = probabilities > 0
        # target * log(target) with 0 for 0, as PyTorch's xlogy: no log(0) in either pass
        entropy_term = where(positive, target * where(positive, target, 1.0).log(), 0.0)
        pointwise = entropy_term - target * prediction
    if reduction == "mean":
        warnings.warn(
            "kl_div: reduction 'mean' divides the total loss by both the batch size and the "
            "support size; 'batchmean' divides only by the batch size, and aligns with the "
            "KL divergence's definition (PyTorch warns the same)",
            stacklevel=2,
        )
    if reduction == "batchmean":
        total = pointwise.sum()
        return total / prediction.shape[0] if prediction.ndim > 0 else total
    return _reduce(pointwise, reduction)


def _check_probabilities(probabilities: np.ndarray) -> None:
    """Raise ValueError naming NaNs and values outside [0, 1] in a BCE prediction."""
    nan = np.isnan(probabilities)
    outside = (probabilities < 0) | (probabilities > 1)
    if not (np.any(nan) or np.any(outside)):
        return
    problems = []
    if np.any(nan):
        first = tuple(int(i) for i in np.argwhere(nan)[0])
        problems.append(
            f"NaN in {int(nan.sum())} of {probabilities.size} values (first at index {first})"
        )
    numbers = probabilities[~nan]
    if np.any(outside):
        problems.append(f"values from {numbers.min()} to {numbers.max()}")
    raise ValueError(
        "binary_cross_entropy: prediction must hold probabilities in [0, 1], got "
        f"{' and '.join(problems)} (use binary_cross_entropy_with_logits for raw scores)"
    )
