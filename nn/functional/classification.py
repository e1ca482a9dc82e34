"""Class-target losses and helpers: `cross_entropy`, `nll_loss`, `one_hot`, as PyTorch's.

Layouts: logits (or log-probabilities) of shape (N, C), (C,) for one sample, or
(N, C, d1, ..., dk) with the class axis second; class-index targets of the shape without
the class axis ((N,), (), (N, d1, ..., dk)); for `cross_entropy` also class-probability
targets of the logits' own shape.

Class indices are NumPy integer arrays (or lists of ints), or Tensors holding whole numbers
(a Tensor always holds floats). A float array of the index shape is refused: PyTorch reads a
float target as class probabilities, which must have the logits' shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_lite import ShapeError, Tensor, softmax_cross_entropy

from .helpers import as_tensor, check_number, check_reduction


def _class_layout(name: str, scores: Tensor) -> tuple[tuple[int, ...], int]:
    """(shape of the class-index target, number of classes) for logits of this shape."""
    if scores.ndim == 0:
        raise ShapeError(f"{name}: input must have a class axis, shape (N, C) or (C,), got ()")
    if scores.ndim == 1:
        return (), scores.shape[0]
    return (scores.shape[0], *scores.shape[2:]), scores.shape[1]


def _rows(scores: Tensor) -> Tensor:
    """The scores as (samples, C): the class axis moved last, every other axis flattened."""
    if scores.ndim == 1:
        return scores.reshape(1, -1)
    if scores.ndim > 2:
        scores = scores.transpose(0, *range(2, scores.ndim), 1)
    return scores.reshape(-1, scores.shape[-1])


def _class_indices(
    name: str,
    target: Any,
    index_shape: tuple[int, ...],
    scores_shape: tuple[int, ...],
    classes: int,
    ignore_index: int,
) -> np.ndarray:
    """The target as an int64 array of ``index_shape``, every entry a class or ignore_index."""
    if isinstance(target, Tensor):
        array = target.data
        # a Tensor always holds floats: whole numbers in it are class indices (API.md)
        whole = np.isfinite(array) & (array == np.round(array))
        if not np.all(whole):
            bad = array[~whole].ravel()[:3].tolist()
            raise TypeError(
                f"{name}: target must hold integer class indices, got a Tensor of dtype "
                f"{array.dtype} with non-integer values such as {bad} (class probabilities "
                f"need the logits' shape {scores_shape})"
            )
        array = array.astype(np.int64)
    else:
        array = np.asarray(target)
        if array.dtype.kind not in "iu":
            hint = "pass an integer array, e.g. np.array(target, dtype=np.int64)"
            if array.dtype.kind == "f":  # refused, not rounded: [0.0, 1.0] is ambiguous
                hint += (
                    f"; a float target is read as class probabilities only when it has the "
                    f"logits' shape {scores_shape}, as PyTorch"
                )
            raise TypeError(
                f"{name}: target must hold integer class indices, got dtype {array.dtype}; " + hint
            )
    if index_shape == () and array.size == 1:
        array = array.reshape(())  # one sample: a single index, given bare or as [k]
    if array.shape != index_shape:
        if index_shape == ():
            raise ShapeError(
                f"{name}: logits of shape {scores_shape} are one sample and take one class "
                f"index, got a target of shape {array.shape} (pass the logits first, shape "
                "(N, C) for N samples, then N class indices)"
            )
        raise ShapeError(
            f"{name}: target shape {array.shape} does not match the input shape "
            f"{scores_shape}: expected {index_shape[0]} samples, one class index each, shape "
            f"{index_shape}"
        )
    kept = array[array != ignore_index] if (array == ignore_index).any() else array
    if kept.size and not _indices_below(kept, classes):
        raise IndexError(
            f"{name}: target class indices must be in [0, {classes - 1}], got values from "
            f"{kept.min()} to {kept.max()} (ignore_index={ignore_index} is skipped)"
        )
    return array.astype(np.int64, copy=False)


def _indices_below(indices: np.ndarray, limit: int) -> bool:
    """True when every entry of a non-empty integer array is in [0, limit).

    A few indices (a small batch) are compared as a Python list: NumPy's min and max have
    a fixed cost per call that dominates for a handful of indices.
    """
    if indices.size <= 64:
        values = indices.ravel().tolist()
        return min(values) >= 0 and max(values) < limit
    return bool(np.minimum.reduce(indices, axis=None) >= 0) and bool(
        np.maximum.reduce(indices, axis=None) < limit
    )


def _class_weights(name: str, weight: Any, classes: int, dtype: np.dtype) -> np.ndarray | None:
    if weight is None:
        return None
    if isinstance(weight, str):
        raise TypeError(
            f"{name}: weight must be an array of {classes} class weights, got the string "
            f"{weight!r}; pass reduction={weight!r} by name"
        )
    array = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name}: weight must hold numbers, got dtype {array.dtype}")
    if array.shape != (classes,):
        raise ShapeError(
            f"{name}: weight must have one entry per class, shape ({classes},), got shape "
            f"{array.shape}"
        )
    return array.astype(dtype, copy=False)


def _weighted_nll(
    log_probs: Tensor,
    indices: np.ndarray,
    weight: np.ndarray | None,
    ignore_index: int,
    reduction: str,
    label_smoothing: float,
    index_shape: tuple[int, ...],
) -> Tensor:
    """PyTorch's nll (and label smoothing) on rows of log-probabilities (samples, C)."""
    samples, classes = log_probs.shape
    flat = indices.reshape(-1)
    valid = flat != ignore_index
    safe = np.where(valid, flat, 0)
    class_weight = np.ones(classes, log_probs.dtype) if weight is None else weight
    sample_weight = np.where(valid, class_weight[safe], 0.0).astype(log_probs.dtype)
    losses = -(log_probs[np.arange(samples), safe] * sample_weight)
    if label_smoothing > 0.0:
        # PyTorch: (1 - e) nll + e / C * sum_c -w_c log p_c, the latter 0 at ignored targets
        smooth = -(log_probs * class_weight).sum(axis=1) * valid.astype(log_probs.dtype)
        losses = losses * (1.0 - label_smoothing) + smooth * (label_smoothing / classes)
    if reduction == "none":
        return losses.reshape(index_shape)
    total = losses.sum()
    if reduction == "sum":
        return total
    denominator = sample_weight.sum()
    if denominator == 0:  # every target ignored: NaN with zero gradients, as PyTorch
        return total * 0.0 + np.nan
    return total / denominator


def nll_loss(
    log_probs: Tensor,
    target: Any,
    weight: Any = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood: -weight[t] * log_probs[n, t] for each sample's class t.

    "mean" divides the sum by the sum of the weights of the targets (the number of targets
    without ``weight``), leaving out targets equal to ``ignore_index``, as PyTorch.

    Args:
        log_probs: log-probabilities, (N, C), (C,) or (N, C, d1, ...), e.g. a log_softmax.
        target: class indices, (N,), () or (N, d1, ...).
        weight: one weight per class, shape (C,), or None.
        ignore_index: a target value that contributes nothing (not even to the mean).
        reduction: "mean" (default), "sum" or "none".

    Raises:
        ShapeError / TypeError / IndexError: for a target of the wrong shape, dtype or range.

    Example:
        >>> log_probs = Tensor(np.log([[0.25, 0.75], [0.5, 0.5]]))
        >>> round(nll_loss(log_probs, np.array([1, 0])).item(), 6)   # (log 4/3 + log 2) / 2
        0.490415
    """
    check_reduction("nll_loss", reduction)
    log_probs = as_tensor(log_probs)
    index_shape, classes = _class_layout("nll_loss", log_probs)
    indices = _class_indices(
        "nll_loss", target, index_shape, log_probs.shape, classes, ignore_index
    )
    weights = _class_weights("nll_loss", weight, classes, log_probs.dtype)
    rows = _rows(log_probs)
    return _weighted_nll(rows, indices, weights, ignore_index, reduction, 0.0, index_shape)


def _is_probability_target(target: Any, scores: Tensor) -> bool:
    if isinstance(target, Tensor):
        return target.shape == scores.shape
    shape = np.shape(target)
    return shape == scores.shape and np.asarray(target).dtype.kind == "f"


def cross_entropy(
    logits: Tensor,
    target: Any,
    weight: Any = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross entropy of softmax(logits) with class-index or class-probability targets.

    Class indices t (shape (N,)): loss_n = -w[t_n] log softmax(x_n)[t_n]; "mean" divides
    the sum by the sum of w[t_n] over targets that are not ``ignore_index``. With
    ``label_smoothing`` e the loss is (1 - e) times that plus e / C times
    -sum_c w_c log softmax(x_n)_c, reduced the same way (PyTorch's formula).

    Class probabilities p (float, the logits' shape): loss_n = -sum_c w_c p_nc log
    softmax(x_n)_c, with p smoothed to (1 - e) p + e / C; "mean" divides by N (not by the
    weights), and ``ignore_index`` does not apply, as PyTorch.

    The plain case (integer indices, no weight, no smoothing, nothing ignored) runs as one
    fused op, `autograd_lite.softmax_cross_entropy`.

    Args:
        logits: raw scores, (N, C), (C,) for one sample, or (N, C, d1, ..., dk).
        target: class indices (shape without the class axis) or probabilities (same shape).
        weight: one weight per class, shape (C,), or None.
        ignore_index: a class-index target value that contributes nothing.
        reduction: "mean" (default), "sum" or "none".
        label_smoothing: e in [0, 1].

    Raises:
        ShapeError: for a target or weight of the wrong shape. TypeError: for float class
            indices (a float array of the index shape) or non-integer values in a Tensor.
        IndexError: for a class index out of range (other than ``ignore_index``).
        ValueError: for an unknown reduction or label_smoothing outside [0, 1].

    Example:
        >>> round(cross_entropy(Tensor([[0.0, 0.0]]), [1]).item(), 6)   # log 2
        0.693147
        >>> round(cross_entropy(Tensor([[0.0, 0.0]]), np.array([[0.5, 0.5]])).item(), 6)
        0.693147
    """
    check_reduction("cross_entropy", reduction)
    label_smoothing = check_number("cross_entropy", "label_smoothing", label_smoothing, 0.0)
    if label_smoothing > 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    logits = as_tensor(logits)
    index_shape, classes = _class_layout("cross_entropy", logits)
    weights = _class_weights("cross_entropy", weight, classes, logits.dtype)
    if _is_probability_target(target, logits):
        return _probability_cross_entropy(logits, target, weights, reduction, label_smoothing)
    indices = _class_indices(
        "cross_entropy", target, index_shape, logits.shape, classes, ignore_index
    )
    rows = _rows(logits)
    plain = weights is None and label_smoothing == 0.0 and 0 not in rows.shape
    if plain and not (indices == ignore_index).any():
        loss = softmax_cross_entropy(rows, indices.reshape(-1), reduction)  # one fused op
        return loss.reshape(index_shape) if reduction == "none" else loss
    log_probs = rows.log_softmax(axis=1)
    return _weighted_nll(
        log_probs, indices, weights, ignore_index, reduction, label_smoothing, index_shape
    )


def _probability_cross_entropy(
    logits: Tensor,
    target: Any,
    weight: np.ndarray | None,
    reduction: str,
    label_smoothing: float,
) -> Tensor:
    class_axis = 0 if logits.ndim == 1 else 1
    classes = logits.shape[class_axis]
    probabilities = target if isinstance(target, Tensor) else Tensor(target, dtype=logits.dtype)
    if label_smoothing > 0.0:
        probabilities = probabilities * (1.0 - label_smoothing) + label_smoothing / classes
    pointwise = logits.log_softmax(axis=class_axis) * probabilities
    if weight is not None:
        pointwise = pointwise * weight.reshape((classes,) + (1,) * (logits.ndim - 2))
    if reduction == "none":
        return -pointwise.sum(axis=class_axis)
    total = -pointwise.sum()
    if reduction == "sum":
        return total
    samples = logits.size // classes if classes else 0
    if samples == 0:
        return total * 0.0 + np.nan  # PyTorch: NaN for an empty batch
    return total / samples


def one_hot(target: Any, num_classes: int = -1) -> np.ndarray:
    """Class indices of shape (*) as a NumPy int64 array (*, num_classes) of 0s and 1s.

    Args:
        target: class indices (an integer array or list, or a Tensor of whole numbers).
        num_classes: the length of the new last axis; -1 takes the largest index + 1.

    Raises:
        TypeError: for float arrays or non-integer values. ValueError: for a negative index,
            one >= num_classes, or num_classes=-1 with an empty target.

    Example:
        >>> one_hot(np.array([0, 2, 1]))
        array([[1, 0, 0],
               [0, 0, 1],
               [0, 1, 0]])
    """
    if isinstance(target, Tensor):
        array = target.data
        if not np.all(np.isfinite(array) & (array == np.round(array))):
            raise TypeError("one_hot: a Tensor target must hold whole numbers (class indices)")
        array = array.astype(np.int64)
    else:
        array = np.asarray(target)
        if array.dtype.kind not in "iu":
            raise TypeError(
                f"one_hot: target must hold integer class indices, got dtype {array.dtype}"
            )
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"one_hot: num_classes must be an int, got {num_classes!r}")
    if array.size and array.min() < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {array.min()}")
    if num_classes == -1:
        if array.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty target")
        num_classes = int(array.max()) + 1
    elif num_classes < 0 or (array.size and array.max() >= num_classes):
        raise ValueError(
            f"one_hot: class values must be smaller than num_classes={num_classes}, got "
            f"{array.max() if array.size else None}"
        )
    return (array[..., None] == np.arange(num_classes)).astype(np.int64)
