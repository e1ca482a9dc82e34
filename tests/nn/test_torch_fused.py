"""The fused layers in float32 against PyTorch (skipped without torch): GELU (whose float32
erf is a fitted rational of its own), LayerNorm, scaled_dot_product_attention and
MultiheadAttention's packed self-attention, outputs and every gradient to float32
round-off. float64 is covered by test_torch_nn and test_torch_sequences."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd_lite import Tensor

from .torch_compare import close, compare_module, copy_weights, run_both

torch = pytest.importorskip("torch")
F = nn.functional


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(23)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_float32_matches_torch(approximate: str, rng: np.random.Generator) -> None:
    x = (rng.standard_normal((64, 33)) * 3).astype(np.float32)
    x[0, :6] = [0.0, -0.0, 5.0, -5.0, 12.0, -12.0]
    run_both(
        lambda t: F.gelu(t, approximate=approximate),
        lambda t: torch.nn.functional.gelu(t, approximate=approximate),
        x,
        rng=rng,
    )


def test_layer_norm_float32_matches_torch(rng: np.random.Generator) -> None:
    ours, theirs = nn.LayerNorm(16, dtype=np.float32), torch.nn.LayerNorm(16)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(rng.standard_normal(16)))
        theirs.bias.copy_(torch.tensor(rng.standard_normal(16)))
    copy_weights(ours, theirs)
    compare_module(ours, theirs, (rng.standard_normal((4, 5, 16)) * 2 + 1).astype(np.float32), rng)


def test_sdpa_float32_matches_torch(rng: np.random.Generator) -> None:
    arrays = [rng.standard_normal((2, 4, 6, 8)).astype(np.float32) for _ in range(3)]
    run_both(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
        lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True),
        *arrays,
        rng=rng,
    )


@pytest.mark.parametrize("batch_first", [True, False])
def test_self_attention_without_weights_float32_matches_torch(
    batch_first: bool, rng: np.random.Generator
) -> None:
    ours = nn.MultiheadAttention(16, 4, batch_first=batch_first, dtype=np.float32)
    theirs = torch.nn.MultiheadAttention(16, 4, batch_first=batch_first)
    with torch.no_grad():
        theirs.in_proj_bias.copy_(torch.tensor(rng.standard_normal(48)))
    copy_weights(ours, theirs)
    x = rng.standard_normal((3, 7, 16) if batch_first else (7, 3, 16)).astype(np.float32)
    mask = np.triu(np.ones((7, 7), dtype=bool), 1)
    ours_x, theirs_x = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours_out, none = ours(ours_x, ours_x, ours_x, attn_mask=mask, need_weights=False)
    theirs_out = theirs(
        theirs_x, theirs_x, theirs_x, attn_mask=torch.tensor(mask), need_weights=False
    )[0]
    assert none is None
    close(ours_out, theirs_out, "output")
    weights = rng.standard_normal(x.shape).astype(np.float32)
    (ours_out * Tensor(weights)).sum().backward()
    (theirs_out * torch.tensor(weights)).sum().backward()
    close(ours_x.grad, theirs_x.grad, "input gradient")
    theirs_params = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        close(parameter.grad, theirs_params[name].grad, name)
