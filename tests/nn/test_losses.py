"""Losses against their formulas written in NumPy, gradients, stability and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd_lite import ShapeError, Tensor, gradcheck

F = nn.functional
RNG = np.random.default_rng(42)
PREDICTION = RNG.uniform(0.05, 0.95, size=(4, 3))
TARGET = RNG.uniform(0.0, 1.0, size=(4, 3))


@pytest.mark.parametrize(
    "loss, reference",
    [
        (nn.MSELoss(), lambda a, t: np.mean((a - t) ** 2)),
        (nn.MSELoss("sum"), lambda a, t: np.sum((a - t) ** 2)),
        (nn.HalfSquaredError("sum"), lambda a, t: 0.5 * np.sum((t - a) ** 2)),
        # 1/2m sum over the m = 4 samples (first axis) of all their squared errors
        (nn.HalfSquaredError("mean"), lambda a, t: np.sum((t - a) ** 2) / (2 * 4)),
        (nn.HalfSquaredError(), lambda a, t: np.sum((t - a) ** 2) / (2 * 4)),
        (nn.BCELoss(), lambda p, t: -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))),
        (nn.BCELoss("sum"), lambda p, t: -np.sum(t * np.log(p) + (1 - t) * np.log(1 - p))),
        (
            nn.BCEWithLogitsLoss(),
            lambda x, t: (
                -np.mean(
                    t * np.log(1 / (1 + np.exp(-x))) + (1 - t) * np.log(1 - 1 / (1 + np.exp(-x)))
                )
            ),
        ),
    ],
)
def test_loss_matches_its_formula(loss, reference):
    value = loss(Tensor(PREDICTION), TARGET)
    assert value.shape == ()
    np.testing.assert_allclose(value.item(), reference(PREDICTION, TARGET), rtol=1e-13)


def test_reduction_none_keeps_the_elements():
    halves = F.half_squared_error(Tensor(PREDICTION), TARGET, reduction="none")
    np.testing.assert_allclose(halves.numpy(), 0.5 * (TARGET - PREDICTION) ** 2, rtol=1e-15)
    assert nn.MSELoss("none")(Tensor(PREDICTION), TARGET).shape == (4, 3)


def test_half_squared_error_counts_samples_along_the_first_axis():
    # a 1-D prediction: each element is one sample; a 0-d prediction is one sample
    a, t = np.array([0.2, 0.4, 0.9]), np.array([0.0, 1.0, 1.0])
    mean = F.half_squared_error(Tensor(a), t, reduction="mean").item()
    assert mean == pytest.approx(np.sum((t - a) ** 2) / 6, rel=1e-15)
    single = F.half_squared_error(Tensor(0.7), 0.25).item()
    assert single == pytest.approx(0.5 * 0.45**2, rel=1e-15)


@pytest.mark.parametrize(
    "function",
    [F.mse_loss, F.half_squared_error, F.binary_cross_entropy, F.binary_cross_entropy_with_logits],
)
def test_loss_gradients_pass_gradcheck(function):
    prediction = Tensor(PREDICTION, requires_grad=True)
    assert gradcheck(lambda p: function(p, TARGET), (prediction,))


def test_half_squared_error_gradient_is_a_minus_t_over_m():
    prediction = Tensor(PREDICTION, requires_grad=True)
    nn.HalfSquaredError("mean")(prediction, TARGET).backward()
    np.testing.assert_allclose(prediction.grad.numpy(), (PREDICTION - TARGET) / 4, rtol=1e-14)


def test_bce_with_logits_is_stable_for_huge_logits():
    logits = Tensor([1000.0, -1000.0, 1000.0, -1000.0], requires_grad=True)
    target = np.array([1.0, 0.0, 0.0, 1.0])
    losses = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    np.testing.assert_allclose(losses.numpy(), [0.0, 0.0, 1000.0, 1000.0])
    losses.sum().backward()
    # d/dx = sigmoid(x) - t
    np.testing.assert_allclose(logits.grad.numpy(), [0.0, 0.0, 1.0, -1.0])


def test_bce_clamps_log_at_minus_100_and_has_finite_gradient():
    prediction = Tensor([0.0, 1.0, 1.0], requires_grad=True)
    target = np.array([0.0, 1.0, 0.0])
    losses = F.binary_cross_entropy(prediction, target, reduction="none")
    np.testing.assert_array_equal(losses.numpy(), [0.0, 0.0, 100.0])
    losses.sum().backward()
    assert np.all(np.isfinite(prediction.grad.numpy()))


def test_bce_rejects_values_that_are_not_probabilities():
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*1.5"):
        nn.BCELoss()(Tensor([0.5, 1.5]), [0.0, 1.0])


def test_cross_entropy_matches_minus_log_softmax_at_the_target():
    logits = RNG.normal(size=(5, 4))
    target = np.array([0, 3, 1, 1, 2])
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    per_sample = -log_probs[np.arange(5), target]
    loss = nn.CrossEntropyLoss(reduction="none")(Tensor(logits), target)
    np.testing.assert_allclose(loss.numpy(), per_sample, rtol=1e-14)
    mean = nn.CrossEntropyLoss()(Tensor(logits), target).item()
    assert mean == pytest.approx(per_sample.mean(), rel=1e-14)


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    logits_array = RNG.normal(size=(3, 4))
    target = np.array([2, 0, 3])
    logits = Tensor(logits_array, requires_grad=True)
    nn.CrossEntropyLoss(reduction="sum")(logits, target).backward()
    softmax = np.exp(logits_array) / np.exp(logits_array).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(logits.grad.numpy(), softmax - np.eye(4)[target], rtol=1e-12)
    assert gradcheck(lambda x: F.cross_entropy(x, target), (logits,))


def test_cross_entropy_is_stable_for_huge_logits():
    loss = F.cross_entropy(Tensor([[1000.0, 0.0], [0.0, 1000.0]]), [0, 0], reduction="none")
    np.testing.assert_allclose(loss.numpy(), [0.0, 1000.0])


def test_cross_entropy_single_sample_and_bad_targets():
    assert F.cross_entropy(Tensor([0.0, 0.0]), 1).item() == pytest.approx(np.log(2), rel=1e-15)
    logits = Tensor(np.zeros((2, 3)))
    with pytest.raises(IndexError, match=r"\[0, 2\].*3"):
        F.cross_entropy(logits, [0, 3])
    with pytest.raises(ShapeError, match="2 samples"):
        F.cross_entropy(logits, [0, 1, 2])
    with pytest.raises(TypeError, match="integer class"):
        F.cross_entropy(logits, [0.5, 1.0])


def test_shape_mismatch_and_bad_reduction_are_errors():
    with pytest.raises(ShapeError, match=r"mse_loss: prediction shape \(3, 1\).*\(3,\)"):
        nn.MSELoss()(Tensor(np.zeros((3, 1))), np.zeros(3))
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.HalfSquaredError("average")
    assert repr(nn.HalfSquaredError("sum")) == "HalfSquaredError()"  # PyTorch prints no settings


def test_bce_with_logits_gradient_at_a_logit_of_exactly_zero():
    # d/dx = sigmoid(x) - t, and sigmoid(0) = 0.5 (PyTorch gives [-0.5, 0.5] here too)
    logits = Tensor([0.0, 0.0], requires_grad=True)
    F.binary_cross_entropy_with_logits(logits, np.array([1.0, 0.0]), reduction="sum").backward()
    np.testing.assert_allclose(logits.grad.numpy(), [-0.5, 0.5], rtol=1e-15)
    at_zero = Tensor([0.0, 0.0, 0.0], requires_grad=True)
    target = np.array([1.0, 0.0, 0.3])
    assert gradcheck(lambda x: F.binary_cross_entropy_with_logits(x, target), (at_zero,))


def test_cross_entropy_one_sample_logits_with_several_targets_is_a_shape_error():
    with pytest.raises(ShapeError, match=r"cross_entropy.*\(3,\).*\(2,\)"):
        nn.CrossEntropyLoss()(Tensor([1.0, 2.0, 3.0]), [2, 1])


def test_cross_entropy_with_swapped_arguments_names_both_shapes():
    logits = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises((ShapeError, TypeError), match=r"cross_entropy.*\(2,\).*\(3,\)"):
        nn.CrossEntropyLoss()([2, 0], logits)


def test_cross_entropy_one_sample_accepts_a_scalar_or_one_element_target():
    logits = Tensor([1.0, 2.0, 3.0])
    expected = -np.log(np.exp(3.0) / np.exp([1.0, 2.0, 3.0]).sum())
    for target in (2, [2], np.array([2])):
        assert F.cross_entropy(logits, target).item() == pytest.approx(expected, rel=1e-12)
