"""The fused ops of nn's layers against the composed Tensor operations they replace.

[fast path: fused gelu], [fast path: fused attention], [fast path: fused layer norm],
[fast path: float32 erf]: each test fails when the fused path gives other values or
gradients (first and second order) than the plain composition.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import nn
from autograd_lite import Tensor, attention, gelu, grad, gradgradcheck, layer_norm
from autograd_lite.ops.special_functions import erf, erf_float32
from nn.functional.normalization import _affine, normalize

F = nn.functional


def _composed_gelu(x: Tensor, approximate: str) -> Tensor:
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
        return x * 0.5 * (inner.tanh() + 1.0)
    return x * 0.5 * ((x * math.sqrt(0.5)).erf() + 1.0)


def _values_and_grads(fn: Any, arrays: list[np.ndarray], seed: int = 0) -> list[np.ndarray]:
    """fn's output, the gradients of a random weighting of it (on arrays, as in training,
    and on Tensors with create_graph), and the second-order gradients (of the sum of the
    squared first gradients)."""
    inputs = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*inputs)
    weights = Tensor(np.random.default_rng(seed).standard_normal(out.shape).astype(out.dtype))
    on_arrays = grad((out * weights).sum(), inputs, retain_graph=True)
    firsts = grad((out * weights).sum(), inputs, create_graph=True)
    total = sum((g * g).sum() for g in firsts)
    seconds = grad(total, inputs)
    return [out.data] + [g.data for g in on_arrays + firsts + seconds]


def _assert_same(fused: list[np.ndarray], plain: list[np.ndarray], rtol: float) -> None:
    for a, b in zip(fused, plain):
        scale = max(1.0, float(np.nanmax(np.abs(b), initial=0.0)))
        np.testing.assert_allclose(a, b, rtol=0, atol=rtol * scale)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_gelu_gives_the_composed_values_and_gradients(approximate: str, dtype: Any) -> None:
    x = (np.random.default_rng(1).standard_normal((3, 7)) * 3).astype(dtype)
    x[0, :3] = [0.0, 9.0, -9.0]
    fused = _values_and_grads(lambda t: gelu(t, approximate), [x])
    plain = _values_and_grads(lambda t: _composed_gelu(t, approximate), [x])
    _assert_same(fused, plain, 1e-13 if dtype == np.float64 else 2e-6)
    assert fused[0].dtype == dtype and fused[1].dtype == dtype


def test_nn_gelu_is_the_fused_op() -> None:
    x = Tensor(np.linspace(-3, 3, 7), requires_grad=True)
    assert F.gelu(x).grad_fn.name == "Gelu" and nn.GELU("tanh")(x).grad_fn.name == "Gelu"


def test_float32_erf_path_is_the_float64_erf_to_7_float32_ulp() -> None:
    x = np.linspace(-5, 5, 200001, dtype=np.float32)
    plain = erf(x.astype(np.float64))  # what float32 input got before: Cody in float64
    spacing = np.spacing(np.abs(plain).astype(np.float32)).astype(np.float64)
    assert (np.abs(erf_float32(x) - plain) / spacing).max() <= 7.0


def _composed_attention(q: Tensor, k: Tensor, v: Tensor, mask: Any, scale: float) -> Tensor:
    scores = (q @ k.swapaxes(-1, -2)) * scale
    if mask is not None:
        scores = scores + np.where(mask, 0.0, -np.inf) if mask.dtype == bool else scores + mask
    dead = np.all(scores.data == -np.inf, axis=-1, keepdims=True)
    return scores.masked_fill(dead, 0.0).softmax(-1).masked_fill(dead, 0.0) @ v


ATTENTION_CASES = {
    "plain": ((2, 3, 4), (2, 5, 4), (2, 5, 6), None),
    "causal": ((2, 4, 3), (2, 4, 3), (2, 4, 3), np.tril(np.ones((4, 4), dtype=bool))),
    "dead row": ((3, 4), (5, 4), (5, 2), np.array([[False] * 5] + [[True] * 5] * 2)),
    "float mask": ((1, 2, 3, 4), (2, 1, 5, 4), (5, 4), "float"),
}


@pytest.mark.parametrize("case", list(ATTENTION_CASES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_attention_gives_the_composed_values_and_gradients(case: str, dtype: Any) -> None:
    rng = np.random.default_rng(2)
    *shapes, mask = ATTENTION_CASES[case]
    arrays = [rng.standard_normal(shape).astype(dtype) for shape in shapes]
    if isinstance(mask, str):
        mask = rng.standard_normal((3, 5)).astype(dtype)
    fused = _values_and_grads(lambda q, k, v: attention(q, k, v, mask, 0.7), arrays)
    plain = _values_and_grads(lambda q, k, v: _composed_attention(q, k, v, mask, 0.7), arrays)
    _assert_same(fused, plain, 1e-12 if dtype == np.float64 else 1e-5)
    if case == "dead row":  # PyTorch's safe softmax: the fully masked row is 0, not NaN
        assert np.all(fused[0][0] == 0.0) and np.isfinite(np.concatenate(fused, axis=None)).all()


def test_fused_attention_is_twice_differentiable_with_a_mask() -> None:
    rng = np.random.default_rng(3)
    q, k, v = (Tensor(rng.standard_normal((2, 3, 2)), requires_grad=True) for _ in range(3))
    mask = np.tril(np.ones((3, 3), dtype=bool))
    assert gradgradcheck(lambda q, k, v: attention(q, k, v, mask), (q, k, v))


def test_sdpa_without_dropout_is_the_fused_op_and_gives_the_composed_numbers() -> None:
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal((2, 2, 4, 3)) for _ in range(3)]
    fused = _values_and_grads(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), arrays
    )
    causal = np.tril(np.ones((4, 4), dtype=bool))
    plain = _values_and_grads(
        lambda q, k, v: _composed_attention(q, k, v, causal, 1 / math.sqrt(3)), arrays
    )
    _assert_same(fused, plain, 1e-12)
    q = Tensor(arrays[0])
    assert F.scaled_dot_product_attention(q, q, q).grad_fn is None  # no grad: no node
    q.requires_grad = True
    assert F.scaled_dot_product_attention(q, q, q).grad_fn.name == "Attention"


MHA_CASES = [
    (True, (2, 5, 8), "causal"),
    (False, (5, 2, 8), "padding"),
    (True, (5, 8), None),  # unbatched
    (False, (4, 3, 8), "float"),
]


@pytest.mark.parametrize("batch_first, shape, masks", MHA_CASES)
def test_fused_self_attention_gives_the_general_paths_output_and_gradients(
    batch_first: bool, shape: tuple[int, ...], masks: Any
) -> None:
    rng = np.random.default_rng(5)
    nn.manual_seed(0)
    layer = nn.MultiheadAttention(8, 2, batch_first=batch_first)
    layer.in_proj_bias.data = rng.standard_normal(24)  # a nonzero bias is checked too
    length = shape[1] if batch_first and len(shape) == 3 else shape[0]
    call: dict[str, Any] = {}
    if masks == "causal":
        call = {"attn_mask": np.triu(np.ones((length, length), dtype=bool), 1), "is_causal": True}
    elif masks == "padding":
        padding = np.zeros((shape[1], length), dtype=bool)
        padding[0, -2:] = True
        call = {"key_padding_mask": padding}
    elif masks == "float":
        call = {"attn_mask": rng.standard_normal((length, length))}
    x = rng.standard_normal(shape)

    def run(need_weights: bool) -> list[np.ndarray]:
        layer.zero_grad()
        inputs = Tensor(x, requires_grad=True)
        out, _ = layer(inputs, inputs, inputs, need_weights=need_weights, **call)
        (out * Tensor(np.cos(np.arange(out.size)).reshape(out.shape))).sum().backward()
        return [out.data, inputs.grad.data] + [p.grad.data for p in layer.parameters()]

    fused = run(need_weights=False)  # the fast path: no weights returned
    plain = run(need_weights=True)  # the general path (it must return the weights)
    _assert_same(fused, plain, 1e-12)


def test_self_attention_without_weights_records_the_fused_op() -> None:
    layer = nn.MultiheadAttention(4, 2, batch_first=True)
    x = Tensor(np.ones((1, 3, 4)))
    out, weights = layer(x, x, x, need_weights=False)
    assert weights is None and out.grad_fn.name == "Linear"
    names = set()
    stack = [out.grad_fn]
    while stack:
        node = stack.pop()
        names.add(node.name)
        # a parent is a node, a leaf Tensor (its own vertex) or None (no gradient)
        stack.extend(p for p in node._parents if p is not None and not isinstance(p, Tensor))
    assert "Attention" in names and "Softmax" not in names


@pytest.mark.parametrize("affine", ["both", "weight", "bias", "none"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_layer_norm_gives_the_composed_numbers(affine: str, dtype: Any) -> None:
    rng = np.random.default_rng(6)
    x = (rng.standard_normal((2, 3, 4, 5)) * 3 + 1).astype(dtype)
    w, b = rng.standard_normal((4, 5)).astype(dtype), rng.standard_normal((4, 5)).astype(dtype)
    arrays = [x] + [w] * (affine in ("both", "weight")) + [b] * (affine in ("both", "bias"))

    def split(rest: tuple[Tensor, ...]) -> tuple[Any, Any]:
        weight = rest[0] if affine in ("both", "weight") else None
        bias = rest[-1] if affine in ("both", "bias") else None
        return weight, bias

    def fused_fn(x: Tensor, *rest: Tensor) -> Tensor:
        return layer_norm(x, (4, 5), *split(rest), eps=1e-3)

    def plain_fn(x: Tensor, *rest: Tensor) -> Tensor:
        return _affine(normalize(x, (2, 3), 1e-3), *split(rest), (4, 5))

    fused, plain = _values_and_grads(fused_fn, arrays), _values_and_grads(plain_fn, arrays)
    _assert_same(fused, plain, 1e-12 if dtype == np.float64 else 1e-5)


def test_fused_layer_norm_of_a_constant_row_is_exactly_zero() -> None:
    # sum / n (np.mean's form) leaves no rounding step for 1 / sqrt(eps) to magnify
    row = np.full((1, 3), 0.70921355, dtype=np.float32)
    np.testing.assert_array_equal(layer_norm(Tensor(row), 3).data, 0.0)


def test_nn_layer_norm_is_the_fused_op() -> None:
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    assert nn.LayerNorm(3)(x).grad_fn.name == "LayerNorm"
    assert F.layer_norm(x, 3).grad_fn.name == "LayerNorm"
