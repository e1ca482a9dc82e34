"""Stateless functions behind the layers and losses: ``nn.functional.mse_loss(a, t)`` etc.

Losses take the prediction first and the target second, as PyTorch. ``reduction`` is
"mean", "sum" or "none" (the elementwise or per-sample values).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_lite import ShapeError, Tensor, softmax_cross_entropy, where

from . import init  # at module level: an import inside dropout() ran on every call

_REDUCTIONS = ("mean", "sum", "none")


def _as_tensor(value: Any) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor(value)


def _check_reduction(name: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _same_shape(name: str, prediction: Tensor, target: Tensor) -> None:
    # broadcasting a (N,) target against an (N, 1) prediction silently gives an (N, N) loss
    if prediction.shape != target.shape:
        raise ShapeError(
            f"{name}: prediction shape {prediction.shape} and target shape {target.shape} "
            "differ; reshape one so they match"
        )


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


# -------------------------------------------------------------------- activations
def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)) elementwise."""
    return _as_tensor(x).sigmoid()


def tanh(x: Tensor) -> Tensor:
    """tanh(x) elementwise."""
    return _as_tensor(x).tanh()


def relu(x: Tensor) -> Tensor:
    """max(x, 0) elementwise."""
    return _as_tensor(x).relu()


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, negative_slope * x elsewhere."""
    x = _as_tensor(x)
    return where(x > 0, x, x * negative_slope)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``."""
    return _as_tensor(x).softmax(axis=axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along ``axis``."""
    return _as_tensor(x).log_softmax(axis=axis)


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
    x = _as_tensor(x)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    rng = init.default_generator() if generator is None else generator
    keep = rng.random(x.shape) >= p
    return x * (keep.astype(x.dtype) / (1.0 - p))


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
        ValueError: for a probability outside [0, 1] or NaN (the message counts the NaNs).
            ShapeError: when the shapes differ.

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


def _class_indices(target: Any, samples: int, classes: int) -> np.ndarray:
    array = target.data if isinstance(target, Tensor) else np.asarray(target)
    if isinstance(target, Tensor) and array.dtype.kind == "f":
        # a Tensor always holds floats: integer-valued ones are class indices (API.md)
        whole = np.isfinite(array) & (array == np.round(array))
        if not np.all(whole):
            bad = array[~whole].ravel()[:3].tolist()
            raise TypeError(
                f"cross_entropy: target must hold integer class indices, got a Tensor of dtype "
                f"{array.dtype} with non-integer values such as {bad}"
            )
        array = array.astype(np.int64)
    elif array.dtype.kind not in "iu":
        # floats such as [0.0, 1.0] are refused, not rounded: PyTorch reads a float target as
        # class probabilities of the logits' shape, never as class indices
        raise TypeError(
            f"cross_entropy: target must hold integer class indices, got dtype {array.dtype}; "
            "pass an integer array, e.g. np.array(target, dtype=np.int64) (class "
            "probabilities as targets are not supported)"
        )
    if array.shape != (samples,):
        raise ShapeError(
            f"cross_entropy: target shape {array.shape} does not match {samples} samples "
            "(expected one class index per row of the logits)"
        )
    if array.size and not _indices_below(array, classes):
        raise IndexError(
            f"cross_entropy: target class indices must be in [0, {classes - 1}], got values "
            f"from {array.min()} to {array.max()}"
        )
    return array


def _indices_below(indices: np.ndarray, limit: int) -> bool:
    """True when every entry of a non-empty integer array is in [0, limit).

    A few indices (a small batch) are compared as a Python list: NumPy's min and max cost
    ~1 us each however small the array, tolist() plus Python's min/max ~0.25 us for one.
    """
    if indices.size <= 64:
        values = indices.ravel().tolist()
        return min(values) >= 0 and max(values) < limit
    return bool(np.minimum.reduce(indices, axis=None) >= 0) and bool(
        np.maximum.reduce(indices, axis=None) < limit
    )


def cross_entropy(logits: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """-log softmax(logits)[target] per sample, from logits and integer class indices.

    Args:
        logits: shape (N, C) (or (C,) for one sample), raw scores.
        target: N integer class indices in [0, C) (a single index for (C,) logits).
        reduction: "mean", "sum" or "none" (one loss per sample).

    Returns:
        The reduced loss.

    Raises:
        ShapeError: for logits not 1-D/2-D or a target of the wrong length.
        IndexError: for a class index out of range. TypeError: for a target that is not
            integer class indices: a float array or list (even [0.0, 1.0]), bools, or a
            Tensor with non-integer values (an integer-valued Tensor is accepted).

    Example:
        >>> round(cross_entropy(Tensor([[0.0, 0.0]]), [1]).item(), 6)   # log 2
        0.693147
    """
    _check_reduction("cross_entropy", reduction)
    logits = _as_tensor(logits)
    if logits.ndim == 1:  # one sample: a single class index
        if not isinstance(target, Tensor):  # (a Tensor stays one: its dtype is checked below)
            target = np.asarray(target)
        if target.size != 1:
            raise ShapeError(
                f"cross_entropy: logits of shape {logits.shape} are one sample and take one "
                f"class index, got a target of shape {target.shape} (pass the logits first, "
                "shape (N, C) for N samples, then N class indices)"
            )
        logits = logits.reshape(1, -1)
        target = target.reshape(1)
    if logits.ndim != 2:
        raise ShapeError(f"cross_entropy: logits must have shape (N, C), got {logits.shape}")
    samples, classes = logits.shape
    indices = _class_indices(target, samples, classes)
    if samples == 0 or classes == 0:  # nothing to normalise: the general ops' behaviour
        picked = logits.log_softmax(axis=1)[np.arange(samples), indices]
        return _reduce(-picked, reduction)
    return softmax_cross_entropy(logits, indices, reduction)  # one fused, stable op
