"""Losses refuse what they cannot mean, with a message naming the loss and the values (issue 24,
item 3): float class indices, a mean over zero samples, NaN probabilities."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import nn
from autograd_lite import ShapeError, Tensor

F = nn.functional


# ---------------------------------------------------------------- cross_entropy targets
@pytest.mark.parametrize(
    "target, dtype",
    [
        ([0.0, 1.0], "float64"),  # the example: was taken as classes 0 and 1
        (np.array([0.0, 1.0]), "float64"),
        (np.array([0.0, 1.0], dtype=np.float32), "float32"),
        (np.array([1.0, 0.0], dtype=np.float16), "float16"),
    ],
)
def test_cross_entropy_refuses_float_class_indices(target, dtype: str) -> None:
    logits = Tensor(np.zeros((2, 3)))
    with pytest.raises(TypeError) as info:
        nn.CrossEntropyLoss()(logits, target)
    message = str(info.value)
    assert message.startswith("cross_entropy: ")
    assert f"dtype {dtype}" in message
    assert "integer class indices" in message


def test_cross_entropy_refuses_a_float_scalar_for_one_sample() -> None:
    with pytest.raises(TypeError, match=r"cross_entropy: .*integer class indices.*float64"):
        F.cross_entropy(Tensor([0.0, 0.0]), 1.0)


def test_cross_entropy_refuses_bool_targets_naming_the_dtype() -> None:
    with pytest.raises(TypeError, match=r"cross_entropy: .*integer class indices.*dtype bool"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([True, False]))


def test_cross_entropy_takes_integer_valued_tensors_as_the_api_says() -> None:
    # API.md: class indices are "NumPy integer arrays or integer-valued Tensors" (a Tensor
    # always holds floats); a Tensor of non-integers is refused
    logits = Tensor(np.log([[1.0, 3.0], [1.0, 1.0]]))
    loss = F.cross_entropy(logits, Tensor([1.0, 0.0]), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [-np.log(0.75), np.log(2.0)], rtol=1e-14)
    with pytest.raises(TypeError, match=r"cross_entropy: .*integer class indices.*0\.5"):
        F.cross_entropy(logits, Tensor([0.5, 1.0]))


# ---------------------------------------------------------------- mean over zero samples
@pytest.mark.parametrize("shape", [(0,), (0, 3)])
def test_half_squared_error_mean_over_zero_samples_raises_like_the_other_losses(shape) -> None:
    empty = Tensor(np.zeros(shape))
    for other in (F.mse_loss, F.binary_cross_entropy, F.binary_cross_entropy_with_logits):
        with pytest.raises(ShapeError, match="empty"):
            other(empty, np.zeros(shape))
    # was Tensor(nan): 0 / 0 samples
    with pytest.raises(ShapeError, match=rf"half_squared_error: .*0 samples.*{shape}"):
        F.half_squared_error(empty, np.zeros(shape), reduction="mean")
    assert F.half_squared_error(empty, np.zeros(shape), reduction="sum").item() == 0.0


def test_half_squared_error_mean_over_samples_without_outputs_is_zero() -> None:
    # 3 samples with 0 outputs each: a sum of nothing per sample, averaged over 3 samples
    empty = Tensor(np.zeros((3, 0)))
    assert F.half_squared_error(empty, np.zeros((3, 0)), reduction="mean").item() == 0.0


# ---------------------------------------------------------------- BCE with NaN
def test_bce_with_a_nan_prediction_names_nan() -> None:
    # was "got values from 0.5 to 0.5": the NaN was dropped from the message
    with pytest.raises(ValueError) as info:
        F.binary_cross_entropy(Tensor([np.nan, 0.5]), [1.0, 1.0])
    message = str(info.value)
    assert message.startswith("binary_cross_entropy: ")
    assert "NaN" in message and "1 of 2" in message and "index (0,)" in message
    assert "from 0.5 to 0.5" not in message


def test_bce_with_only_nan_predictions_gives_no_numpy_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # was "RuntimeWarning: All-NaN slice encountered"
        with pytest.raises(ValueError, match=r"NaN .*2 of 2"):
            F.binary_cross_entropy(Tensor([[np.nan], [np.nan]]), [[1.0], [0.0]])


def test_bce_out_of_range_still_names_the_range() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\].*from -0\.5 to 2\.0"):
        F.binary_cross_entropy(Tensor([-0.5, 2.0, 0.5]), [1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match=r"NaN.*from -0\.5 to 0\.5"):
        F.binary_cross_entropy(Tensor([-0.5, np.nan, 0.5]), [1.0, 0.0, 1.0])
