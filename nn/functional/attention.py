"""Scaled dot-product attention and the masks it takes, PyTorch's semantics.

``scaled_dot_product_attention`` follows ``torch.nn.functional.scaled_dot_product_attention``:
a bool ``attn_mask`` marks with True the positions that take part, a float one is added to
the scores, ``is_causal`` masks the upper triangle, and a query row whose every key is masked
gets zero weights (PyTorch's "safe softmax"), not NaN. `canonical_mask` turns a mask of
`nn.MultiheadAttention`'s convention (bool True = masked out) into the additive form.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd_lite import ShapeError, Tensor, attention, where

from .activations import dropout as _dropout
from .helpers import as_tensor, check_number


def mask_array(name: str, argument: str, mask: Any) -> Any:
    """A mask as a bool NumPy array, or a float Tensor / array (kept, to be added).

    Raises:
        TypeError: for a mask that is neither bool nor floating (PyTorch refuses integers).
    """
    if isinstance(mask, Tensor):
        if mask.dtype == np.bool_:
            return mask.numpy()
        return mask
    array = np.asarray(mask)
    if array.dtype.kind not in "bf":
        raise TypeError(
            f"{name}: {argument} must be a bool or floating mask, got dtype {array.dtype} "
            "(integer masks are refused as PyTorch does: use mask.astype(bool))"
        )
    return array


def additive(mask: Any, dtype: np.dtype, masked_when: bool) -> Any:
    """A bool mask as 0 / -inf of ``dtype`` (-inf where the mask equals ``masked_when``);
    a float mask is returned as it is (a NumPy array cast to ``dtype``)."""
    if isinstance(mask, np.ndarray) and mask.dtype == np.bool_:
        masked = mask if masked_when else ~mask
        return np.where(masked, -np.inf, 0.0).astype(dtype)
    if isinstance(mask, np.ndarray):
        return mask.astype(dtype, copy=False)
    return mask


def check_mask_shape(name: str, argument: str, mask: Any, target: tuple[int, ...]) -> None:
    """Raise ShapeError naming the function unless ``mask`` broadcasts to ``target``."""
    shape = tuple(mask.shape)
    try:
        fits = np.broadcast_shapes(shape, target) == target
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(
            f"{name}: {argument} of shape {shape} does not broadcast to the attention "
            f"scores' shape {target} (..., L, S)"
        )


def causal_mask(length: int, source: int) -> np.ndarray:
    """The bool (L, S) mask of causal attention: True on and below the diagonal."""
    return np.tril(np.ones((length, source), dtype=bool))


def swap_last(t: Tensor) -> Tensor:
    """``t`` with its last two axes exchanged."""
    axes = list(range(t.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return t.transpose(*axes)


def safe_softmax(scores: Tensor) -> Tensor:
    """softmax over the last axis, with rows whose every score is -inf set to 0 (not NaN)."""
    dead = np.all(scores.numpy() == -np.inf, axis=-1, keepdims=True)
    if not dead.any():
        return scores.softmax(-1)
    weights = where(dead, 0.0, scores).softmax(-1)
    return where(dead, 0.0, weights)


def scaled_dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value, PyTorch's semantics.

    Args:
        query: shape (..., L, E).
        key: shape (..., S, E).
        value: shape (..., S, Ev). The leading axes of the three broadcast together.
        attn_mask: None; a bool mask where True means "takes part" (False positions get
            weight 0); or a float mask added to the scores (-inf excludes). Its shape must
            broadcast to (..., L, S).
        dropout_p: probability of dropping an attention weight (always applied when > 0,
            as PyTorch's: pass ``dropout_p if training else 0.0``); masks come from the
            global generator (`nn.manual_seed`).
        is_causal: mask the keys after each query (the upper triangle of (L, S)); not
            together with ``attn_mask``.
        scale: the factor of the scores (default 1 / sqrt(E)).

    Returns:
        A Tensor of shape (..., L, Ev). A query whose keys are all masked out gets zeros.

    Raises:
        ShapeError: for inputs of fewer than 2 axes, feature sizes or key/value lengths
            that differ, or a mask that does not broadcast to (..., L, S).
        ValueError: for attn_mask given with is_causal=True, or dropout_p outside [0, 1].
        TypeError: for an integer mask.

    Example:
        >>> q = Tensor(np.ones((1, 2, 3, 4)))   # (N, heads, L, E)
        >>> scaled_dot_product_attention(q, q, q, is_causal=True).shape
        (1, 2, 3, 4)
    """
    name = "scaled_dot_product_attention"
    query, key, value = as_tensor(query), as_tensor(key), as_tensor(value)
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise ShapeError(
            f"{name}: query, key and value need at least 2 axes (..., L, E), got shapes "
            f"{query.shape}, {key.shape}, {value.shape}"
        )
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ShapeError(
            f"{name}: query (..., L, E) and key (..., S, E) must share E, and key and value "
            f"(..., S, Ev) must share S; got shapes {query.shape}, {key.shape}, {value.shape}"
        )
    if not 0.0 <= check_number(name, "dropout_p", dropout_p) <= 1.0:
        raise ValueError(f"{name}: dropout_p must be in [0, 1], got {dropout_p}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{name}: attn_mask must be None when is_causal=True (one or the other)")
    factor = (
        1.0 / math.sqrt(query.shape[-1]) if scale is None else check_number(name, "scale", scale)
    )
    if is_causal:
        attn_mask = causal_mask(query.shape[-2], key.shape[-2])
    mask = None
    if attn_mask is not None:
        mask = mask_array(name, "attn_mask", attn_mask)
        lead = _leading_shape(name, query, key)
        check_mask_shape(name, "attn_mask", mask, lead + (query.shape[-2], key.shape[-2]))
    if dropout_p == 0.0 and not (isinstance(mask, Tensor) and mask.requires_grad):
        # [fast path: fused attention] one op, the same formula (`autograd_lite.attention`)
        return attention(query, key, value, mask, factor)
    scores = (query @ swap_last(key)) * factor
    if isinstance(mask, np.ndarray) and mask.dtype == np.bool_:
        scores = where(mask, scores, -np.inf)
    elif mask is not None:
        scores = scores + additive(mask, scores.dtype, True)
    return attend(scores, value, dropout_p)[0]


def _leading_shape(name: str, query: Tensor, key: Tensor) -> tuple[int, ...]:
    """The broadcast leading axes of query and key (those of the scores (..., L, S))."""
    try:
        return tuple(np.broadcast_shapes(query.shape[:-2], key.shape[:-2]))
    except ValueError:
        raise ShapeError(
            f"{name}: the leading axes of query {query.shape} and key {key.shape} do not broadcast"
        ) from None


def attend(
    scores: Tensor,
    value: Tensor,
    dropout_p: float = 0.0,
    generator: np.random.Generator | None = None,
    safe: bool = True,
) -> tuple[Tensor, Tensor]:
    """(weights @ value, weights) for masked scores: weights = softmax(scores) over the last
    axis (rows of only -inf: zeros when ``safe``, NaN otherwise), then dropout when > 0."""
    if safe:
        weights = safe_softmax(scores)
    else:
        with np.errstate(invalid="ignore"):  # -inf - (-inf): the NaN rows PyTorch gives too
            weights = scores.softmax(-1)
    if dropout_p > 0.0:
        weights = _dropout(weights, dropout_p, True, generator)
    return weights @ value, weights
