"""Smoke test of the network benchmarks (sections cnn, lstm, gpt): correct baselines, runs.

No timing is asserted. What is asserted: the hand-written NumPy CNN computes the engine's
loss and gradients (and a wrong one is caught), the GPT and LSTM models are the networks
the issue names, and the three sections run end to end in ``--quick`` mode.
"""

from __future__ import annotations

import numpy as np
import pytest

import nn
from benchmarks import layers_conv, layers_rnn, run
from benchmarks.handwritten_cnn import HandwrittenCNN
from benchmarks.training import engine_gradients, relative_difference


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_handwritten_cnn_gradients_equal_the_engines(dtype: type) -> None:
    nn.manual_seed(3)
    model = layers_conv.build(nn, dtype)
    x, targets = layers_conv.make_batch(5, dtype, seed=2)
    hand = HandwrittenCNN.copy_of(model, lr=0.1)
    loss, grads = engine_gradients(model, x, targets)
    hand_loss, hand_grads = hand.loss_and_grads(x, targets)
    assert hand_loss == pytest.approx(loss, rel=1e-5 if dtype == np.float32 else 1e-12)
    for mine, theirs in zip(hand_grads, grads, strict=True):
        assert mine.dtype == np.dtype(dtype) and mine.shape == theirs.shape
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-6)
    assert layers_conv.check_handwritten(model, hand, x, targets) < 1e-5


def test_a_wrong_handwritten_cnn_is_rejected() -> None:
    nn.manual_seed(3)
    model = layers_conv.build(nn, np.float64)
    x, targets = layers_conv.make_batch(4, np.float64)
    hand = HandwrittenCNN.copy_of(model, lr=0.1)
    hand.w2[0, 0, 1, 1] += 0.01  # one weight of the second convolution differs
    with pytest.raises(AssertionError, match="hand-written CNN differs"):
        layers_conv.check_handwritten(model, hand, x, targets)


def test_handwritten_cnn_step_is_sgd_on_its_gradients() -> None:
    nn.manual_seed(4)
    hand = HandwrittenCNN.copy_of(layers_conv.build(nn, np.float64), lr=0.5)
    x, targets = layers_conv.make_batch(3, np.float64)
    _, grads = hand.loss_and_grads(x, targets)
    before = [p.copy() for p in hand.parameters()]
    hand.step(x, targets)
    for old, grad, new in zip(before, grads, hand.parameters(), strict=True):
        np.testing.assert_allclose(new, old - 0.5 * grad, rtol=1e-12, atol=1e-15)


def test_relative_difference_sees_a_change_and_a_shape_mismatch() -> None:
    a = np.array([1.0, 2.0])
    assert relative_difference([a], [a]) == 0.0
    assert relative_difference([a], [a + [0.0, 0.3]]) == pytest.approx(0.3 / 3.3)  # 1 + max
    with pytest.raises(AssertionError, match="shapes differ"):
        relative_difference([a], [a[:1]])


def test_the_gpt_and_lstm_are_the_issues_networks() -> None:
    nn.manual_seed(0)
    gpt = layers_rnn.gpt_model(nn, np.float32)
    shapes = dict((name, p.shape) for name, p in gpt.named_parameters())
    assert shapes["tokens.weight"] == (64, 64) and shapes["positions.weight"] == (32, 64)
    assert shapes["blocks.1.attn.in_proj_weight"] == (192, 64)
    assert shapes["blocks.1.mlp.0.weight"] == (256, 64) and shapes["head.weight"] == (64, 64)
    assert "blocks.2.norm1.weight" not in shapes and shapes["norm.weight"] == (64,)
    tokens, targets = layers_rnn.make_data("gpt", (2, 32), np.float32)
    loss, grads = engine_gradients(gpt, tokens, targets, flatten=True)
    assert np.isfinite(loss) and all(np.isfinite(g).all() for g in grads)
    # causal: the logits at position 3 do not depend on later tokens
    changed = tokens.copy()
    changed[:, 4:] = (changed[:, 4:] + 1) % 64
    first, second = gpt(tokens).numpy(), gpt(changed).numpy()
    np.testing.assert_array_equal(first[:, :4], second[:, :4])
    assert not np.allclose(first[:, 4:], second[:, 4:])
    lstm = layers_rnn.lstm_model(nn, np.float64)
    x, labels = layers_rnn.make_data("lstm", (32, 3, 16), np.float64)
    from autograd_lite import Tensor

    assert lstm(Tensor(x)).shape == (3, 10)
    assert labels.shape == (3,)


def test_quick_network_sections_run_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--quick", "--only", "cnn,lstm,gpt", "--repeats", "1", "--warmup", "0"]
    assert run.main([*argv, "--min-time", "0"]) == 0
    printed = capsys.readouterr().out
    for title in ("CNN training step", "LSTM training step", "GPT training step"):
        assert f"## {title}" in printed
    assert "peak memory CNN batch 8 float32" in printed
    assert "section time" in printed
