"""Losses of issue 18 against hand computations at small sizes, gradcheck at float64 and their
refusals: L1Loss, SmoothL1Loss, HuberLoss, KLDivLoss, NLLLoss, CrossEntropyLoss (weight,
ignore_index, label_smoothing, probability targets, K-dimensional), one_hot."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autograd_lite import ShapeError, Tensor, gradcheck

F = nn.functional
LN = np.log


# ---------------------------------------------------------------- elementwise losses
def test_l1_loss_reductions_and_slope() -> None:
    prediction = Tensor([1.0, -2.0, 0.5], requires_grad=True)
    target = np.array([0.0, 0.0, 1.0])
    assert nn.L1Loss()(prediction, target).item() == pytest.approx(3.5 / 3, rel=1e-15)
    assert nn.L1Loss(reduction="sum")(prediction, target).item() == 3.5
    np.testing.assert_array_equal(nn.L1Loss("none")(prediction, target).numpy(), [1, 2, 0.5])
    nn.L1Loss(reduction="sum")(prediction, target).backward()
    np.testing.assert_array_equal(prediction.grad.numpy(), [1.0, -1.0, -1.0])
    at_zero = Tensor([1.0], requires_grad=True)
    F.l1_loss(at_zero, [1.0]).backward()
    assert at_zero.grad.item() == 0.0  # sign(0) = 0, as PyTorch


def test_smooth_l1_loss_is_quadratic_inside_beta_and_linear_outside() -> None:
    prediction = Tensor([0.5, -2.0, 1.0, 0.0], requires_grad=True)
    target = np.zeros(4)
    # |d| < 1: 0.5 d^2; else |d| - 0.5 (|d| = beta is on the linear side, as PyTorch)
    expected = [0.125, 1.5, 0.5, 0.0]
    loss = nn.SmoothL1Loss(reduction="none")(prediction, target)
    np.testing.assert_array_equal(loss.numpy(), expected)
    loss.sum().backward()
    np.testing.assert_array_equal(prediction.grad.numpy(), [0.5, -1.0, 1.0, 0.0])
    wide = F.smooth_l1_loss(Tensor([0.5, 3.0]), [0.0, 0.0], reduction="none", beta=2.0)
    np.testing.assert_array_equal(wide.numpy(), [0.0625, 2.0])  # 0.5 * 0.25 / 2, 3 - 1
    zero_beta = F.smooth_l1_loss(Tensor([0.5, -3.0]), [0.0, 0.0], beta=0.0)
    assert zero_beta.item() == F.l1_loss(Tensor([0.5, -3.0]), [0.0, 0.0]).item()


def test_huber_loss_is_delta_times_smooth_l1() -> None:
    prediction = Tensor([1.0, -3.0], requires_grad=True)
    loss = nn.HuberLoss(reduction="none", delta=2.0)(prediction, [0.0, 0.0])
    np.testing.assert_array_equal(loss.numpy(), [0.5, 4.0])  # 0.5 * 1, 2 * (3 - 1)
    loss.sum().backward()
    np.testing.assert_array_equal(prediction.grad.numpy(), [1.0, -2.0])
    x = np.random.default_rng(1).normal(size=10) * 3
    huber = F.huber_loss(Tensor(x), np.zeros(10), delta=1.5).item()
    smooth = F.smooth_l1_loss(Tensor(x), np.zeros(10), beta=1.5).item()
    assert huber == pytest.approx(1.5 * smooth, rel=1e-14)


def test_kl_div_reductions_zero_targets_and_log_target() -> None:
    log_p = Tensor(LN([[0.5, 0.5], [0.25, 0.75]]), requires_grad=True)
    q = np.array([[0.25, 0.75], [0.0, 1.0]])  # a zero probability contributes 0
    pointwise = [
        [0.25 * LN(0.25 / 0.5), 0.75 * LN(0.75 / 0.5)],
        [0.0, LN(1 / 0.75)],
    ]
    np.testing.assert_allclose(
        nn.KLDivLoss(reduction="none")(log_p, q).numpy(), pointwise, rtol=1e-15
    )
    total = np.sum(pointwise)
    assert nn.KLDivLoss(reduction="sum")(log_p, q).item() == pytest.approx(total, rel=1e-15)
    batchmean = nn.KLDivLoss(reduction="batchmean")
    assert batchmean(log_p, q).item() == pytest.approx(total / 2, rel=1e-15)
    with pytest.warns(UserWarning, match="'mean' divides the total loss by both"):
        assert nn.KLDivLoss()(log_p, q).item() == pytest.approx(total / 4, rel=1e-15)
    batchmean(log_p, q).backward()
    np.testing.assert_allclose(log_p.grad.numpy(), -q / 2)  # d/dx of -q x, over 2 samples
    log_q = np.log([[0.25, 0.75], [0.5, 0.5]])
    as_logs = F.kl_div(log_p, log_q, reduction="sum", log_target=True).item()
    direct = F.kl_div(log_p, np.exp(log_q), reduction="sum").item()
    assert as_logs == pytest.approx(direct, rel=1e-14)


def test_nll_loss_with_weights_and_ignore_index() -> None:
    log_probs = Tensor(LN([[0.25, 0.75], [0.5, 0.5], [0.9, 0.1]]), requires_grad=True)
    target = np.array([1, 0, -100])
    weight = np.array([1.0, 3.0])
    losses = [-3 * LN(0.75), -LN(0.5), 0.0]
    loss_fn = nn.NLLLoss(weight=weight, reduction="none")
    np.testing.assert_allclose(loss_fn(log_probs, target).numpy(), losses, rtol=1e-15)
    mean = nn.NLLLoss(weight=weight)(log_probs, target)
    assert mean.item() == pytest.approx(sum(losses) / 4, rel=1e-15)  # weights 3 + 1
    mean.backward()
    np.testing.assert_allclose(log_probs.grad.numpy(), [[0, -0.75], [-0.25, 0], [0, 0]])
    only_first = F.nll_loss(log_probs, np.array([1, 0, 1]), ignore_index=0)
    assert only_first.item() == pytest.approx(-(LN(0.75) + LN(0.1)) / 2, rel=1e-15)
    assert F.nll_loss(log_probs, target, reduction="sum").item() == pytest.approx(
        -(LN(0.75) + LN(0.5)), rel=1e-15
    )


# ---------------------------------------------------------------- cross entropy
SCORES = LN([[1.0, 3.0], [2.0, 2.0], [1.0, 1.0]])  # softmax rows: (.25 .75) (.5 .5) (.5 .5)


def test_cross_entropy_weighted_mean_divides_by_the_target_weights() -> None:
    logits = Tensor(SCORES, requires_grad=True)
    target = np.array([1, 0, -100])
    loss = nn.CrossEntropyLoss(weight=np.array([2.0, 1.0]))(logits, target)
    assert loss.item() == pytest.approx((-LN(0.75) - 2 * LN(0.5)) / 3, rel=1e-15)
    loss.backward()
    # (softmax - one_hot) * w[t] / sum of w[t]; the ignored row gets nothing
    expected = [[0.25 / 3, -0.25 / 3], [-2 * 0.5 / 3, 2 * 0.5 / 3], [0, 0]]
    np.testing.assert_allclose(logits.grad.numpy(), expected, rtol=1e-14)


def test_cross_entropy_label_smoothing_formula_with_and_without_weights() -> None:
    e, target = 0.2, np.array([1, 0])
    probs = np.array([[0.25, 0.75], [0.5, 0.5]])
    logits = Tensor(LN(probs))
    plain = [(1 - e) * -LN(probs[n, target[n]]) + e / 2 * -LN(probs[n]).sum() for n in range(2)]
    smoothed = F.cross_entropy(logits, target, label_smoothing=e, reduction="none")
    np.testing.assert_allclose(smoothed.numpy(), plain, rtol=1e-15)
    w = np.array([2.0, 3.0])
    weighted = [
        (1 - e) * w[target[n]] * -LN(probs[n, target[n]]) + e / 2 * -(w * LN(probs[n])).sum()
        for n in range(2)
    ]
    mean = F.cross_entropy(logits, target, w, label_smoothing=e).item()
    assert mean == pytest.approx(sum(weighted) / (3.0 + 2.0), rel=1e-15)


def test_cross_entropy_with_probability_targets() -> None:
    logits = Tensor(LN([[1.0, 3.0], [1.0, 1.0]]), requires_grad=True)
    p = np.array([[0.2, 0.8], [1.0, 0.0]])
    rows = [-(0.2 * LN(0.25) + 0.8 * LN(0.75)), -LN(0.5)]
    np.testing.assert_allclose(F.cross_entropy(logits, p, reduction="none").numpy(), rows)
    loss = nn.CrossEntropyLoss()(logits, p)
    assert loss.item() == pytest.approx(sum(rows) / 2, rel=1e-15)
    loss.backward()
    np.testing.assert_allclose(logits.grad.numpy(), ([[0.25, 0.75], [0.5, 0.5]] - p) / 2)
    # weights scale each class; "mean" still divides by N, not by the weights (PyTorch)
    w = np.array([2.0, 1.0])
    weighted = F.cross_entropy(logits, p, w).item()
    assert weighted == pytest.approx(-(0.4 * LN(0.25) + 0.8 * LN(0.75) + 2 * LN(0.5)) / 2)
    smoothed = F.cross_entropy(logits, p, label_smoothing=0.5, reduction="sum").item()
    q = p * 0.5 + 0.25
    assert smoothed == pytest.approx(-(q * LN([[0.25, 0.75], [0.5, 0.5]])).sum(), rel=1e-15)
    one = F.cross_entropy(Tensor(LN([1.0, 3.0])), np.array([0.2, 0.8]), reduction="none")
    assert one.shape == () and one.item() == pytest.approx(rows[0], rel=1e-15)


def test_cross_entropy_probability_target_tensor_gets_a_gradient() -> None:
    logits = Tensor(SCORES[:2])
    p = Tensor([[0.2, 0.8], [0.6, 0.4]], requires_grad=True)
    F.cross_entropy(logits, p, reduction="sum").backward()
    np.testing.assert_allclose(p.grad.numpy(), -SCORES[:2] + LN([[4.0], [4.0]]), rtol=1e-15)


def test_cross_entropy_k_dimensional_layout() -> None:
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(2, 3, 4))  # (N, C, L)
    target = rng.integers(0, 3, size=(2, 4))
    target[1, 2] = -100
    per_position = F.cross_entropy(Tensor(logits), target, reduction="none")
    assert per_position.shape == (2, 4)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    for n in range(2):
        for i in range(4):
            expected = 0.0 if target[n, i] == -100 else -log_probs[n, target[n, i], i]
            assert per_position.numpy()[n, i] == pytest.approx(expected, rel=1e-14, abs=0)
    mean = F.cross_entropy(Tensor(logits), target).item()
    assert mean == pytest.approx(per_position.numpy().sum() / 7, rel=1e-14)


def test_cross_entropy_one_sample_gives_a_0d_loss_for_none() -> None:
    loss = F.cross_entropy(Tensor(LN([1.0, 3.0])), 1, reduction="none")
    assert loss.shape == () and loss.item() == pytest.approx(-LN(0.75), rel=1e-15)


def test_cross_entropy_plain_case_keeps_the_fused_op() -> None:
    logits = Tensor(SCORES, requires_grad=True)
    assert "grad_fn=SoftmaxCrossEntropy" in repr(F.cross_entropy(logits, [1, 0, 1]))
    assert "SoftmaxCrossEntropy" in repr(F.cross_entropy(logits, [1, 0, 1], reduction="sum"))
    general = F.cross_entropy(logits, [1, 0, 1], np.ones(2))
    assert "SoftmaxCrossEntropy" not in repr(general)
    assert general.item() == pytest.approx(F.cross_entropy(logits, [1, 0, 1]).item(), rel=1e-15)


def test_every_target_ignored_gives_nan_with_zero_gradients_as_pytorch() -> None:
    logits = Tensor(SCORES, requires_grad=True)
    loss = F.cross_entropy(logits, np.full(3, -100))
    assert math.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(logits.grad.numpy(), np.zeros((3, 2)))
    assert F.cross_entropy(logits, np.full(3, -100), reduction="sum").item() == 0.0


# ---------------------------------------------------------------- gradcheck at float64
RNG = np.random.default_rng(7)
X = RNG.normal(size=(4, 3))
Y = RNG.normal(size=(4, 3))
TARGET = np.array([2, 0, -100, 1])
W = np.array([0.5, 2.0, 1.5])
PROBS = RNG.dirichlet(np.ones(3), size=4)


@pytest.mark.parametrize(
    "function",
    [
        lambda x: F.l1_loss(x, Y),
        lambda x: F.smooth_l1_loss(x, Y, beta=0.7),
        lambda x: F.huber_loss(x, Y, delta=0.7),
        lambda x: F.kl_div(x.log_softmax(axis=1), PROBS, reduction="batchmean"),
        lambda x: F.kl_div(x, Y, log_target=True, reduction="sum"),
        lambda x: F.nll_loss(x.log_softmax(axis=1), TARGET, W),
        lambda x: F.cross_entropy(x, TARGET, W, label_smoothing=0.3),
        lambda x: F.cross_entropy(x, TARGET, reduction="none"),
        lambda x: F.cross_entropy(x, PROBS, W, label_smoothing=0.1),
        lambda x: F.cross_entropy(x.reshape(2, 3, 2), np.array([[0, 2], [1, -100]])),
    ],
    ids=[
        "l1",
        "smooth_l1",
        "huber",
        "kl",
        "kl_log",
        "nll",
        "ce_w_smooth",
        "ce_none",
        "ce_prob",
        "ce_kdim",
    ],
)
def test_gradcheck_at_float64(function) -> None:
    assert gradcheck(function, (Tensor(X, requires_grad=True),))


def test_gradcheck_with_respect_to_the_targets() -> None:
    q = Tensor(PROBS, requires_grad=True)
    assert gradcheck(lambda t: F.cross_entropy(Tensor(X), t, label_smoothing=0.2), (q,))
    assert gradcheck(lambda t: F.kl_div(Tensor(X).log_softmax(axis=1), t, reduction="sum"), (q,))


# ---------------------------------------------------------------- one_hot
def test_one_hot_is_an_int64_array() -> None:
    codes = F.one_hot(np.array([[0, 2], [1, 0]]))
    assert codes.dtype == np.int64 and codes.shape == (2, 2, 3)
    np.testing.assert_array_equal(codes[0], [[1, 0, 0], [0, 0, 1]])
    np.testing.assert_array_equal(F.one_hot([1], num_classes=4), [[0, 1, 0, 0]])
    np.testing.assert_array_equal(F.one_hot(Tensor([2.0])), [[0, 0, 1]])
    assert F.one_hot(np.zeros(0, dtype=np.int64), num_classes=2).shape == (0, 2)


@pytest.mark.parametrize(
    "target, num_classes, error, message",
    [
        (np.array([0.0, 1.0]), -1, TypeError, "integer class indices, got dtype float64"),
        (Tensor([0.5]), -1, TypeError, "whole numbers"),
        (np.array([0, -1]), -1, ValueError, "non-negative, got -1"),
        (np.array([0, 3]), 3, ValueError, "smaller than num_classes=3, got 3"),
        (np.zeros(0, dtype=np.int64), -1, ValueError, "cannot infer num_classes"),
        (np.array([0]), 2.0, TypeError, "num_classes must be an int"),
    ],
)
def test_one_hot_refusals(target, num_classes, error, message) -> None:
    with pytest.raises(error, match=f"one_hot: .*{message}"):
        F.one_hot(target, num_classes)


# ---------------------------------------------------------------- bad input
def test_cross_entropy_refuses_float_class_indices_and_names_the_probability_form() -> None:
    logits = Tensor(np.zeros((2, 3)))
    with pytest.raises(TypeError) as info:
        nn.CrossEntropyLoss()(logits, np.array([0.0, 1.0]))
    message = str(info.value)
    assert message.startswith("cross_entropy: target must hold integer class indices")
    assert "dtype float64" in message and "logits' shape (2, 3)" in message
    with pytest.raises(TypeError, match="nll_loss: target must hold integer class indices"):
        F.nll_loss(logits, [0.0, 1.0])
    with pytest.raises(TypeError, match=r"cross_entropy: .*Tensor .*non-integer.*\[0\.5\]"):
        F.cross_entropy(logits, Tensor([0.5, 1.0]))
    ok = F.cross_entropy(logits, Tensor([2.0, 0.0]))  # whole numbers in a Tensor: indices
    assert ok.item() == pytest.approx(LN(3), rel=1e-15)


@pytest.mark.parametrize(
    "target, kwargs, error, message",
    [
        (np.array([0, -1]), {}, IndexError, r"must be in \[0, 2\], got values from -1 to 0"),
        (np.array([0, 3]), {}, IndexError, r"must be in \[0, 2\], got values from 0 to 3"),
        (np.array([0, -1]), {"ignore_index": -1}, None, None),
        (np.array([0, 1, 2]), {}, ShapeError, r"target shape \(3,\) .*input shape \(2, 3\)"),
        (np.array([[0, 1]]), {}, ShapeError, r"target shape \(1, 2\) .*expected 2 samples"),
        (np.array([0, 1]), {"weight": np.ones(2)}, ShapeError, r"weight .*\(3,\), got .*\(2,\)"),
        (np.array([0, 1]), {"weight": "sum"}, TypeError, "pass reduction='sum' by name"),
        (np.array([0, 1]), {"label_smoothing": 1.5}, ValueError, r"label_smoothing .*\[0, 1\]"),
        (np.array([0, 1]), {"label_smoothing": -0.1}, ValueError, "label_smoothing must be >="),
        (np.array([0, 1]), {"reduction": "batchmean"}, ValueError, "reduction must be one of"),
        (np.ones((2, 4)), {}, TypeError, "class probabilities only when it has the logits'"),
    ],
)
def test_cross_entropy_bad_input_names_the_argument(target, kwargs, error, message) -> None:
    logits = Tensor(np.zeros((2, 3)))
    if error is None:
        assert F.cross_entropy(logits, target, **kwargs).item() == pytest.approx(LN(3))
        return
    with pytest.raises(error, match=f"cross_entropy: .*{message}"):
        F.cross_entropy(logits, target, **kwargs)


def test_loss_modules_refuse_bad_settings_at_construction() -> None:
    with pytest.raises(TypeError, match="CrossEntropyLoss: weight must be .* reduction='sum'"):
        nn.CrossEntropyLoss("sum")
    with pytest.raises(TypeError, match=r"NLLLoss: weight must be a 1-d array .*\(2, 2\)"):
        nn.NLLLoss(np.ones((2, 2)))
    with pytest.raises(TypeError, match="NLLLoss: ignore_index must be an int"):
        nn.NLLLoss(ignore_index=1.5)
    with pytest.raises(ValueError, match="CrossEntropyLoss: label_smoothing must be in"):
        nn.CrossEntropyLoss(label_smoothing=2.0)
    with pytest.raises(ValueError, match="SmoothL1Loss: beta must be >= 0.0, got -1"):
        nn.SmoothL1Loss(beta=-1)
    with pytest.raises(ValueError, match="HuberLoss: delta must be positive, got 0"):
        nn.HuberLoss(delta=0)
    with pytest.raises(ValueError, match="huber_loss: delta must be positive"):
        F.huber_loss(Tensor([1.0]), [0.0], delta=-1.0)
    with pytest.raises(ValueError, match="KLDivLoss: reduction must be one of"):
        nn.KLDivLoss(reduction="average")
    with pytest.raises(ValueError, match="L1Loss: reduction must be one of"):
        nn.L1Loss(reduction="batchmean")


def test_elementwise_losses_refuse_mismatched_shapes_and_bad_targets() -> None:
    for function in (F.l1_loss, F.smooth_l1_loss, F.huber_loss, F.kl_div):
        name = function.__name__
        with pytest.raises(ShapeError, match=rf"{name}: prediction shape \(3, 1\).*\(3,\)"):
            function(Tensor(np.zeros((3, 1))), np.zeros(3))
    with pytest.raises(ValueError, match=r"kl_div: target must hold probabilities >= 0.*-0\.5"):
        F.kl_div(Tensor([0.0, 0.0]), [-0.5, 1.5])


def test_loss_modules_print_as_pytorch_and_keep_weight_as_a_buffer() -> None:
    loss_fn = nn.CrossEntropyLoss(weight=[1.0, 2.0], label_smoothing=0.1)
    assert repr(loss_fn) == "CrossEntropyLoss()" and repr(nn.KLDivLoss()) == "KLDivLoss()"
    assert list(loss_fn.state_dict()) == ["weight"]
    assert isinstance(loss_fn.weight, Tensor) and list(loss_fn.parameters()) == []
    loss_fn.to(np.float32)
    assert loss_fn.weight.dtype == np.float32
    assert nn.NLLLoss().state_dict() == {}
    assert loss_fn.ignore_index == -100 and loss_fn.label_smoothing == 0.1
