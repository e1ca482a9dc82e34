"""Registry entries of the elementwise math, reductions and einsum (issue 17, part A).

See `registry` for what an entry is; these are added to its `REGISTRY`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..functions import einsum, minimum
from ..functions_fused import attention, gelu, layer_norm
from .op_entry import OpEntry


def _erf(x: np.ndarray) -> np.ndarray:
    """math.erf elementwise: a reference independent of the engine's own erf."""
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _gelu(x: np.ndarray) -> np.ndarray:
    """x Phi(x) with math.erf: the exact GELU, independent of the engine's erf."""
    return x * 0.5 * (1.0 + _erf(x * math.sqrt(0.5)))


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    """PyTorch's tanh form of GELU, in NumPy."""
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def _attention(q: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """softmax(q q^T / sqrt(E) + mask) q: self-attention of (L, E) rows, in NumPy."""
    scores = q @ q.T / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return weights / weights.sum(axis=-1, keepdims=True) @ q


def _causal(x: Any) -> np.ndarray:
    """The bool (L, L) causal mask of (L, E) rows: True on and below the diagonal (for
    input of another shape, the mask of its first axis; attention refuses the input)."""
    length = x.shape[0] if x.ndim else 1
    return np.tril(np.ones((length, length), dtype=bool))


def _layer_norm(x: np.ndarray) -> np.ndarray:
    """(x - mean) / sqrt(var + 1e-5) over the last axis, in NumPy."""
    deviation = x - x.mean(axis=-1, keepdims=True)
    return deviation / np.sqrt((deviation**2).mean(axis=-1, keepdims=True) + 1e-5)


def _norm_reference(x: np.ndarray, ord: Any, axis: Any, keepdims: bool) -> np.ndarray:
    """sqrt(sum(x**2)): what ord None, 2 (one axis) and 'fro' all mean (np.linalg.norm
    refuses some axis tuples the engine takes, such as three axes)."""
    return np.sqrt(np.sum(np.square(x), axis=axis, keepdims=keepdims))


def _reduction(
    name: str, reference: Callable[..., Any], domain: str = "real", kwargs: str = "reduce"
) -> OpEntry:
    """An entry for ``x.name(axis=..., keepdims=..., [more])`` with its NumPy reference."""
    return OpEntry(
        name,
        lambda x, **options: getattr(x, name)(**options),
        reference,
        (domain,),
        covers=(f"Tensor.{name}",),
        kwargs=kwargs,
    )


def _step(name: str, reference: Callable[..., Any]) -> OpEntry:
    """A step function: gradient 0, checked away from its jumps; no second derivative."""
    return OpEntry(
        name,
        lambda x: getattr(x, name)(),
        reference,
        ("off_steps",),
        covers=(f"Tensor.{name}",),
        twice_differentiable=False,
    )


def _einsum_entry(name: str, n_operands: int) -> OpEntry:
    return OpEntry(
        name,
        lambda *xs, subscripts: einsum(subscripts, *xs),
        lambda *xs, subscripts: np.einsum(subscripts, *xs),
        ("real",) * n_operands,
        covers=("autograd_lite.einsum",),
        shapes="einsum",
    )


def _unary(name: str, reference: Callable[..., Any], domain: str = "real") -> OpEntry:
    return OpEntry(
        name, lambda x: getattr(x, name)(), reference, (domain,), covers=(f"Tensor.{name}",)
    )


MATH_ENTRIES: tuple[OpEntry, ...] = (
    _unary("sin", np.sin),
    _unary("cos", np.cos),
    _unary("tan", np.tan, "small"),
    _unary("log1p", np.log1p, "positive"),
    _unary("expm1", np.expm1),
    _unary("square", np.square),
    _unary("erf", _erf),
    OpEntry("gelu", gelu, _gelu, ("real",), covers=("autograd_lite.gelu",)),
    OpEntry(
        "gelu_tanh",
        lambda x: gelu(x, approximate="tanh"),
        _gelu_tanh,
        ("real",),
        covers=("autograd_lite.gelu",),
    ),
    # one (L, E) input as query, key and value, so every path of the rule is checked
    OpEntry(
        "attention",
        lambda x: attention(x, x, x),
        _attention,
        ("real",),
        covers=("autograd_lite.attention",),
        shapes="logits",
    ),
    OpEntry(
        "attention_causal",
        lambda x: attention(x, x, x, mask=_causal(x)),
        lambda x: _attention(x, _causal(x)),
        ("real",),
        covers=("autograd_lite.attention",),
        shapes="logits",
    ),
    OpEntry(
        "layer_norm",
        lambda x: layer_norm(x, x.shape[-1:]),
        _layer_norm,
        ("real",),
        covers=("autograd_lite.layer_norm",),
        shapes="logits",
    ),
    _step("sign", np.sign),
    _step("floor", np.floor),
    _step("ceil", np.ceil),
    _step("round", np.round),
    OpEntry(
        "clip",
        lambda x, low, high: x.clip(low, high),
        lambda x, low, high: np.clip(x, low, high),
        ("distinct",),
        covers=("Tensor.clip",),
        kwargs="clip",
    ),
    OpEntry(
        "clamp",
        lambda x, low, high: x.clamp(min=low, max=high),
        lambda x, low, high: np.clip(x, low, high),
        ("distinct",),
        covers=("Tensor.clamp",),
        kwargs="clip",
    ),
    OpEntry(
        "pow_method",
        lambda x, exponent: x.pow(exponent),
        lambda x, exponent: np.power(x, exponent),
        ("positive",),
        covers=("Tensor.pow",),
        kwargs="exponent",
    ),
    OpEntry(
        "pow_method_tensor",
        lambda a, b: a.pow(b),
        np.power,
        ("positive", "real"),
        covers=("Tensor.pow",),
        shapes="broadcast",
    ),
    OpEntry(
        "minimum",
        minimum,
        np.minimum,
        ("distinct", "distinct"),
        covers=("autograd_lite.minimum",),
        shapes="broadcast",
    ),
    _reduction("min", np.min, "distinct"),
    _reduction("prod", np.prod),
    _reduction("var", np.var, kwargs="variance"),
    _reduction("std", np.std, "distinct", kwargs="variance"),
    _reduction("norm", _norm_reference, "nonzero", kwargs="norm"),
    _reduction("cumsum", np.cumsum, kwargs="cumsum"),
    _einsum_entry("einsum", 2),
    _einsum_entry("einsum_one", 1),
    _einsum_entry("einsum_three", 3),
)
