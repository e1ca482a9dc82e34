"""The fused ops of nn's layers as module functions: gelu, attention and layer_norm.

Each is one op where the composed Tensor operations would record several (see its op in
``ops/``): fewer recorded ops, fewer arrays, and a backward rule in closed form. Each
checks its arguments, then applies the op; each is differentiable twice and more.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .errors import ShapeError
from .ops.activations import Gelu
from .ops.attention import Attention
from .ops.normalization import LayerNorm
from .tensor import Tensor, as_tensor


def gelu(x: Any, approximate: str = "none") -> Any:
    """The Gaussian error linear unit x Phi(x) (Phi the standard normal CDF), as one op.

    One op instead of the five of ``x * 0.5 * ((x / sqrt 2).erf() + 1)``: the forward keeps
    Phi(x) for the backward rule, which then needs no erf (``nn.GELU`` and
    ``nn.functional.gelu`` use it). Differentiable twice and more, as every op.

    Args:
        x: input tensor.
        approximate: "none", the exact 0.5 x (1 + erf(x / sqrt 2)); or "tanh",
            0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3))). PyTorch's two forms.

    Raises:
        ValueError: for another ``approximate``.

    Example:
        >>> round(gelu(Tensor([1.0])).item(), 6)   # 1 * Phi(1)
        0.841345
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return Gelu.apply(x, approximate=approximate)


def attention(
    query: Any, key: Any, value: Any, mask: Any = None, scale: float | None = None
) -> Any:
    """softmax(query @ key^T * scale + mask) @ value over the last axis, as one op.

    The core of scaled dot-product attention (``nn.functional.scaled_dot_product_attention``
    and ``nn.MultiheadAttention`` use it): one recorded op instead of six, the weights kept
    for the backward rule. A query row whose every key is masked gets weights 0 and output
    0 (PyTorch's "safe softmax"), not NaN. Differentiable twice and more, as every op.

    Args:
        query: shape (..., L, E).
        key: shape (..., S, E).
        value: shape (..., S, Ev); the leading axes of the three broadcast together.
        mask: None; a bool array, True where a query attends to a key; or a float array
            added to the scores (-inf excludes). It broadcasts to (..., L, S) and gets no
            gradient.
        scale: the factor of the scores (default 1 / sqrt(E)).

    Returns:
        A Tensor of shape (..., L, Ev).

    Raises:
        ShapeError: for inputs of fewer than 2 axes, E or S that differ, or a mask that
            does not broadcast to the scores. TypeError: for a mask that requires grad,
            or a scale that is not a number.

    Example:
        >>> q = Tensor(np.ones((2, 3, 4)))
        >>> attention(q, q, q, mask=np.tril(np.ones((3, 3), dtype=bool))).shape
        (2, 3, 4)
    """
    query, key, value = as_tensor(query), as_tensor(key), as_tensor(value)
    shapes = f"query {query.shape}, key {key.shape}, value {value.shape}"
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise ShapeError(f"attention: query, key and value need at least 2 axes, got {shapes}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ShapeError(
            f"attention: query (..., L, E) and key (..., S, E) must share E, and key and "
            f"value (..., S, Ev) must share S; got {shapes}"
        )
    try:
        lead = np.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    except ValueError:
        raise ShapeError(f"attention: the leading axes do not broadcast: {shapes}") from None
    if scale is None and query.shape[-1] == 0:
        raise ShapeError(f"attention: the default scale 1 / sqrt(E) needs E >= 1; got {shapes}")
    if scale is not None and not isinstance(scale, numbers.Real):
        raise TypeError(
            f"attention: scale must be a real number or None, got {type(scale).__name__} {scale!r}"
        )
    factor = 1.0 / float(np.sqrt(query.shape[-1])) if scale is None else float(scale)
    return Attention.apply(
        query,
        key,
        value,
        mask=_mask(mask, lead + (query.shape[-2], key.shape[-2]), query.dtype),
        scale=factor,
    )


def _mask(mask: Any, scores: tuple[int, ...], dtype: Any) -> Any:
    """None, a bool array (True: takes part), or a float array of ``dtype`` to add to
    scores of shape ``scores``."""
    if mask is None:
        return None
    if isinstance(mask, Tensor):
        if mask.requires_grad:
            raise TypeError(
                "attention: mask gets no gradient; a mask that requires grad needs the "
                "composed form (softmax(q @ k^T * scale + mask) @ v)"
            )
        mask = mask.data
    array = np.asarray(mask)
    if array.dtype.kind not in "bf":
        raise TypeError(f"attention: mask must be bool or floating, got dtype {array.dtype}")
    try:
        fits = np.broadcast_shapes(array.shape, scores) == scores
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(
            f"attention: mask of shape {array.shape} does not broadcast to the scores' "
            f"shape {scores} (..., L, S)"
        )
    if array.dtype == np.bool_:
        return array
    return array.astype(dtype if np.dtype(dtype).kind == "f" else np.float64, copy=False)


def layer_norm(
    x: Any,
    normalized_shape: int | tuple[int, ...],
    weight: Any = None,
    bias: Any = None,
    eps: float = 1e-5,
    *,
    name: str = "layer_norm",
) -> Any:
    """(x - mean) / sqrt(var + eps) * weight + bias over the last axes, as one op.

    PyTorch's ``layer_norm``: the mean and the biased variance over the trailing
    ``normalized_shape`` (each a sum divided by the count, as np.mean), one recorded op
    instead of about ten (``nn.LayerNorm`` and ``nn.functional.layer_norm`` use it).

    Args:
        x: shape (..., *normalized_shape).
        normalized_shape: the trailing shape normalised over (an int for one axis).
        weight, bias: shape ``normalized_shape``, or None.
        eps: added to the variance.
        name: what the error messages call the caller (``nn.LayerNorm`` passes its name).

    Raises:
        ShapeError: when x's shape does not end in ``normalized_shape`` (or it holds a 0),
            or weight or bias has another shape. TypeError: for a normalized_shape that
            is neither an int nor a sequence of ints.

    Example:
        >>> layer_norm(Tensor([[1.0, 3.0]]), 2).numpy().round(4)
        array([[-1.,  1.]])
    """
    x = as_tensor(x)
    shape = _normalized_shape(normalized_shape, name)
    count = len(shape)
    if count == 0 or count > x.ndim or x.shape[x.ndim - count :] != shape:
        raise ShapeError(f"{name}: input shape {x.shape} does not end in normalized_shape {shape}")
    if 0 in shape:
        raise ShapeError(f"{name}: cannot normalise over an empty shape {shape}")
    affine = []
    for argument, value in (("weight", weight), ("bias", bias)):
        if value is None:
            continue
        value = as_tensor(value)
        if value.shape != shape:
            raise ShapeError(
                f"{name}: {argument} has shape {value.shape}, expected normalized_shape {shape}"
            )
        affine.append(value)
    axes = tuple(range(x.ndim - count, x.ndim))
    return LayerNorm.apply(x, *affine, axes=axes, eps=float(eps), has_weight=weight is not None)


def _normalized_shape(value: Any, name: str) -> tuple[int, ...]:
    """``normalized_shape`` as a tuple of ints (an int is one axis); a TypeError naming
    the caller otherwise (a string would otherwise pass as its digits: "45" as (4, 5))."""
    if isinstance(value, numbers.Integral):
        return (int(value),)
    if not isinstance(value, (str, bytes)):
        try:
            items = tuple(value)
        except TypeError:  # not iterable
            items = None
        if items is not None and all(isinstance(n, numbers.Integral) for n in items):
            return tuple(int(n) for n in items)
    raise TypeError(
        f"{name}: normalized_shape must be an int or a tuple of ints, got "
        f"{type(value).__name__} {value!r}"
    )
