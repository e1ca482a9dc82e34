"""scaled_dot_product_attention and MultiheadAttention without torch: NumPy by hand, masks,
gradcheck at float64, PyTorch's names, init, layouts and returned weights, bad input."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import nn
from autograd_lite import ShapeError, Tensor, gradcheck, gradgradcheck
from tests.nn.sequence_helpers import arrays, np_softmax, parameter_inputs, randomize, swapped

F = nn.functional
RNG = np.random.default_rng(7)
TIGHT = {"rtol": 0, "atol": 1e-14}


def raises(exc, *words):
    return pytest.raises(exc, match=".*".join(re.escape(w) for w in words))


def np_attention(q, k, v, bias=0.0, scale=None):
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    return np_softmax(q @ np.swapaxes(k, -1, -2) * scale + bias) @ v


# ---------------------------------------------------------------- scaled_dot_product_attention
def qkv(*batch, length=3, source=4, e=5, ev=2):
    return (
        RNG.normal(size=(*batch, length, e)),
        RNG.normal(size=(*batch, source, e)),
        RNG.normal(size=(*batch, source, ev)),
    )


def test_sdpa_equals_softmax_of_scaled_scores_times_value() -> None:
    q, k, v = qkv(2, 3)
    out = F.scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v))
    np.testing.assert_allclose(out.numpy(), np_attention(q, k, v), **TIGHT)
    out = F.scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), scale=0.3)
    np.testing.assert_allclose(out.numpy(), np_attention(q, k, v, scale=0.3), **TIGHT)


def test_sdpa_bool_mask_true_takes_part_and_float_mask_is_added() -> None:
    q, k, v = qkv(2)
    keep = RNG.random((3, 4)) > 0.4
    keep[:, 0] = True
    out = F.scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), attn_mask=keep)
    np.testing.assert_allclose(
        out.numpy(), np_attention(q, k, v, np.where(keep, 0, -np.inf)), **TIGHT
    )
    bias = RNG.normal(size=(3, 4))
    out = F.scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), attn_mask=bias)
    np.testing.assert_allclose(out.numpy(), np_attention(q, k, v, bias), **TIGHT)


def test_sdpa_is_causal_is_the_lower_triangle() -> None:
    q, k, v = qkv(2, length=4, source=4)
    causal = F.scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), is_causal=True)
    tril = np.tril(np.ones((4, 4), dtype=bool))
    masked = F.scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), attn_mask=tril)
    np.testing.assert_array_equal(causal.numpy(), masked.numpy())
    np.testing.assert_allclose(causal.numpy()[:, 0], v[:, 0], **TIGHT)  # the first sees itself


def test_sdpa_gives_zeros_not_nan_where_every_key_is_masked() -> None:
    q, k, v = (Tensor(a, requires_grad=True) for a in qkv(2))
    keep = np.ones((3, 4), dtype=bool)
    keep[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
    np.testing.assert_array_equal(out.numpy()[:, 1], 0.0)
    out.sum().backward()
    assert np.isfinite(q.grad.numpy()).all() and np.isfinite(k.grad.numpy()).all()
    np.testing.assert_array_equal(q.grad.numpy()[:, 1], 0.0)


def test_sdpa_passes_gradcheck_for_query_key_value_and_a_float_mask() -> None:
    q, k, v = (Tensor(a, requires_grad=True) for a in qkv(2))
    mask = Tensor(RNG.normal(size=(3, 4)), requires_grad=True)
    assert gradcheck(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, m), (q, k, v, mask))
    keep = RNG.random((2, 3, 4)) > 0.3
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, keep), (q, k, v))


def test_sdpa_is_twice_differentiable() -> None:
    q, k, v = (Tensor(a, requires_grad=True) for a in qkv(2, length=3, source=3, e=2, ev=2))
    assert gradgradcheck(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), (q, k, v)
    )


def test_sdpa_float32_stays_float32_and_dropout_scales_weights() -> None:
    q, k, v = (Tensor(a, dtype=np.float32) for a in qkv(2))
    assert F.scaled_dot_product_attention(q, k, v, is_causal=True).dtype == np.float32
    nn.manual_seed(0)
    dropped = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5).numpy()
    assert not np.allclose(dropped, F.scaled_dot_product_attention(q, k, v).numpy())


def test_sdpa_bad_input_is_named() -> None:
    q, k, v = (Tensor(a) for a in qkv(2))
    name = "scaled_dot_product_attention"
    with raises(ShapeError, name, "attn_mask of shape (3, 5)", "(2, 3, 4)"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((3, 5), dtype=bool))
    with raises(ValueError, name, "attn_mask must be None when is_causal=True"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((3, 4)), is_causal=True)
    with raises(TypeError, name, "attn_mask must be a bool or floating mask", "int64"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((3, 4), dtype=np.int64))
    with raises(ShapeError, name, "must share E", "(2, 3, 5), (2, 4, 2)"):
        F.scaled_dot_product_attention(q, v, v)
    with raises(ValueError, name, "dropout_p must be in [0, 1]"):
        F.scaled_dot_product_attention(q, k, v, dropout_p=2.0)


# ---------------------------------------------------------------- MultiheadAttention by hand
def np_mha(p, heads, query, key, value, bias=0.0):
    """PyTorch's MultiheadAttention in NumPy, (L, N, E) layout: (output, per-head weights)."""
    length, batch, e = query.shape
    hd = e // heads
    w, b = p["in_proj_weight"], p["in_proj_bias"]
    q, k, v = (
        x @ w[i * e : (i + 1) * e].T + b[i * e : (i + 1) * e]
        for i, x in enumerate((query, key, value))
    )

    def split(t):  # (S, N, E) -> (N, heads, S, hd)
        return t.reshape(t.shape[0], batch, heads, hd).transpose(1, 2, 0, 3)

    weights = np_softmax(split(q) @ np.swapaxes(split(k), -1, -2) / math.sqrt(hd) + bias)
    out = (weights @ split(v)).transpose(2, 0, 1, 3).reshape(length, batch, e)
    return out @ p["out_proj.weight"].T + p["out_proj.bias"], weights


def mha(**kwargs):
    layer = nn.MultiheadAttention(8, 2, **kwargs)
    randomize(layer, RNG)  # non-zero biases too
    return layer


def test_mha_equals_the_heads_written_out_with_both_masks() -> None:
    layer = mha()
    query, key = RNG.normal(size=(3, 2, 8)), RNG.normal(size=(5, 2, 8))
    padding = np.zeros((2, 5), dtype=bool)
    padding[1, 3:] = True  # sample 1's last two keys are padding
    future = np.triu(np.ones((3, 5), dtype=bool), 1)
    out, weights = layer(
        Tensor(query), Tensor(key), Tensor(key), key_padding_mask=padding, attn_mask=future
    )
    bias = np.where(future, -np.inf, 0.0) + np.where(padding, -np.inf, 0.0)[:, None, None, :]
    want_out, want_weights = np_mha(arrays(layer), 2, query, key, key, bias)
    np.testing.assert_allclose(out.numpy(), want_out, **TIGHT)
    np.testing.assert_allclose(weights.numpy(), want_weights.mean(axis=1), **TIGHT)
    _, per_head = layer(Tensor(query), Tensor(key), Tensor(key), average_attn_weights=False)
    np.testing.assert_allclose(
        per_head.numpy(), np_mha(arrays(layer), 2, query, key, key)[1], **TIGHT
    )
    assert per_head.shape == (2, 2, 3, 5)


def test_mha_float_masks_and_a_3d_mask_per_head() -> None:
    layer = mha()
    x = RNG.normal(size=(4, 2, 8))
    bias = RNG.normal(size=(2 * 2, 4, 4))
    padding = RNG.normal(size=(2, 4))
    out, _ = layer(Tensor(x), Tensor(x), Tensor(x), attn_mask=bias, key_padding_mask=padding)
    total = bias.reshape(2, 2, 4, 4) + padding[:, None, None, :]
    np.testing.assert_allclose(out.numpy(), np_mha(arrays(layer), 2, x, x, x, total)[0], **TIGHT)


def test_mha_layouts_batch_first_and_unbatched() -> None:
    layer = mha()
    x = RNG.normal(size=(4, 3, 8))
    out, weights = layer(Tensor(x), Tensor(x), Tensor(x))
    bf = nn.MultiheadAttention(8, 2, batch_first=True)
    bf.load_state_dict(layer.state_dict())
    x_bf = Tensor(x.transpose(1, 0, 2))
    out_bf, weights_bf = bf(x_bf, x_bf, x_bf)
    np.testing.assert_allclose(out_bf.numpy(), out.numpy().transpose(1, 0, 2), **TIGHT)
    np.testing.assert_allclose(weights_bf.numpy(), weights.numpy(), **TIGHT)
    single = Tensor(x[:, 1])
    out_1, weights_1 = layer(single, single, single, average_attn_weights=False)
    assert out_1.shape == (4, 8) and weights_1.shape == (2, 4, 4)
    np.testing.assert_allclose(out_1.numpy(), out.numpy()[:, 1], rtol=0, atol=1e-13)


def test_mha_is_causal_without_a_mask_builds_the_causal_mask() -> None:
    layer = mha(batch_first=True)
    x = Tensor(RNG.normal(size=(2, 4, 8)))
    out, weights = layer(x, x, x, is_causal=True)
    future = np.triu(np.ones((4, 4), dtype=bool), 1)
    want, _ = layer(x, x, x, attn_mask=future)
    np.testing.assert_array_equal(out.numpy(), want.numpy())
    assert (weights.numpy()[:, future] == 0).all()


def test_mha_fully_masked_rows_are_nan_with_weights_and_zero_without() -> None:
    layer = mha()
    x = Tensor(RNG.normal(size=(3, 2, 8)))
    padding = np.array([[False, False, False], [True, True, True]])
    out, weights = layer(x, x, x, key_padding_mask=padding)
    assert np.isnan(out.numpy()[:, 1]).all() and np.isfinite(out.numpy()[:, 0]).all()
    out, none = layer(x, x, x, key_padding_mask=padding, need_weights=False)
    assert none is None
    np.testing.assert_allclose(
        out.numpy()[:, 1], np.broadcast_to(layer.out_proj.bias.numpy(), (3, 8))
    )


def test_mha_passes_gradcheck() -> None:
    layer = mha(batch_first=True)
    query, key = (
        Tensor(RNG.normal(size=(2, 3, 8)), requires_grad=True),
        Tensor(RNG.normal(size=(2, 4, 8)), requires_grad=True),
    )
    names, params = parameter_inputs(layer)
    padding = np.array([[False] * 4, [False, False, False, True]])

    def fn(q, k, *tensors):
        with swapped(layer, names, tensors):
            out, weights = layer(q, k, k, key_padding_mask=padding)
            return out.sum(axis=2) + weights.sum(axis=2)

    assert gradcheck(fn, (query, key, *params))


def test_mha_kdim_vdim_bias_kv_and_zero_attn_shapes() -> None:
    layer = nn.MultiheadAttention(8, 4, kdim=3, vdim=5, add_bias_kv=True, add_zero_attn=True)
    assert [(n, p.shape) for n, p in layer.named_parameters()] == [
        ("q_proj_weight", (8, 8)),
        ("k_proj_weight", (8, 3)),
        ("v_proj_weight", (8, 5)),
        ("in_proj_bias", (24,)),
        ("bias_k", (1, 1, 8)),
        ("bias_v", (1, 1, 8)),
        ("out_proj.weight", (8, 8)),
        ("out_proj.bias", (8,)),
    ]
    q, k, v = RNG.normal(size=(2, 3, 8)), RNG.normal(size=(6, 3, 3)), RNG.normal(size=(6, 3, 5))
    out, weights = layer(Tensor(q), Tensor(k), Tensor(v), key_padding_mask=np.zeros((3, 6), bool))
    assert out.shape == (2, 3, 8) and weights.shape == (3, 2, 8)  # two keys appended
    np.testing.assert_allclose(weights.numpy().sum(axis=-1), 1.0, rtol=0, atol=1e-14)


def test_mha_init_names_printout_and_dtype() -> None:
    layer = nn.MultiheadAttention(8, 2, generator=np.random.default_rng(0))
    assert list(layer.state_dict()) == [
        "in_proj_weight",
        "in_proj_bias",
        "out_proj.weight",
        "out_proj.bias",
    ]
    bound = math.sqrt(6 / (8 + 24))  # xavier_uniform_ of (3E, E)
    w = layer.in_proj_weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert not layer.in_proj_bias.numpy().any() and not layer.out_proj.bias.numpy().any()
    assert np.abs(layer.out_proj.weight.numpy()).max() <= 1 / math.sqrt(8)
    assert repr(layer) == (
        "MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, "
        "out_features=8, bias=True)\n)"
    )
    small = nn.MultiheadAttention(4, 2, dtype=np.float32)
    x = Tensor(np.ones((3, 1, 4), dtype=np.float32))
    out, weights = small(x, x, x)
    assert out.dtype == weights.dtype == np.float32
    assert {p.dtype for p in small.parameters()} == {np.dtype(np.float32)}
    assert nn.MultiheadAttention(4, 2, bias=False).in_proj_bias is None


def test_mha_dropout_only_in_training() -> None:
    layer = nn.MultiheadAttention(4, 2, dropout=0.5, generator=np.random.default_rng(2))
    x = Tensor(RNG.normal(size=(5, 2, 4)))
    train = layer(x, x, x)[0].numpy()
    layer.eval()
    assert not np.allclose(train, layer(x, x, x)[0].numpy())
    np.testing.assert_array_equal(layer(x, x, x)[0].numpy(), layer(x, x, x)[0].numpy())


def test_mha_bad_input_is_named() -> None:
    name = "MultiheadAttention"
    with raises(
        ValueError, name, "embed_dim must be divisible by num_heads", "embed_dim=10, num_heads=3"
    ):
        nn.MultiheadAttention(10, 3)
    layer = nn.MultiheadAttention(8, 2)
    x = Tensor(np.zeros((3, 2, 8)))
    with raises(ShapeError, name, "key has 6 features (shape (3, 2, 6))", "kdim=8"):
        layer(x, Tensor(np.zeros((3, 2, 6))), x)
    with raises(ShapeError, name, "all be 3-D (batched) or all 2-D", "(3, 2, 8), (3, 8)"):
        layer(x, Tensor(np.zeros((3, 8))), x)
    with raises(ShapeError, name, "attn_mask has shape (3, 4)", "(3, 3)", "(4, 3, 3)"):
        layer(x, x, x, attn_mask=np.zeros((3, 4), dtype=bool))
    with raises(ShapeError, name, "key_padding_mask has shape (3, 2)", "(N, S) = (2, 3)"):
        layer(x, x, x, key_padding_mask=np.zeros((3, 2), dtype=bool))
    with raises(ShapeError, name, "key and value must have the same sequence length"):
        layer(x, x, Tensor(np.zeros((4, 2, 8))))
    with raises(ShapeError, name, "different batch sizes"):
        layer(x, Tensor(np.zeros((3, 1, 8))), Tensor(np.zeros((3, 1, 8))))
    with raises(TypeError, name, "attn_mask must be a bool or floating mask"):
        layer(x, x, x, attn_mask=np.zeros((3, 3), dtype=np.int32))
