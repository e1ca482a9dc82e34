"""Division by zero gives the IEEE result silently, as log(0) does; detect_anomaly finds it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from autograd_lite import AnomalyError, Tensor, detect_anomaly


def test_division_by_zero_is_ieee_and_silent_forward_and_backward() -> None:
    a = Tensor([1.0, -1.0, 0.0], requires_grad=True)
    b = Tensor([0.0, 0.0, 0.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any NumPy RuntimeWarning fails the test
        quotient = a / b
        np.testing.assert_array_equal(quotient.data, [np.inf, -np.inf, np.nan])
        quotient.backward(np.ones(3))
        np.testing.assert_array_equal(a.grad.data, [np.inf, np.inf, np.inf])  # 1 / b
        reflected = 1.0 / Tensor([0.0, -0.0])
        np.testing.assert_array_equal(reflected.data, [np.inf, -np.inf])
        float32 = Tensor([1.0], dtype=np.float32) / 0.0
        assert float32.dtype == np.float32 and np.isinf(float32.data[0])


def test_detect_anomaly_still_reports_the_division() -> None:
    with detect_anomaly(), pytest.raises(AnomalyError, match="Div produced 1 NaN"):
        Tensor([0.0]) / Tensor([0.0])
