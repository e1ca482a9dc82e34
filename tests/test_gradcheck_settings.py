"""gradcheck's own settings, pinned with hand-derived numbers (issue 24, item 6).

Mutation testing found that ignoring ``eps``, a forward difference instead of the central
one, and ``rtol``/``atol`` swapped all went unnoticed. Each test below fails under one of
those changes; the numbers are worked out in the comments.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import GradcheckError, Tensor, gradcheck
from autograd_lite.checking.gradcheck import numerical_jacobian
from tests.helpers import Square


# ------------------------------------------------------------------ the central difference
def test_central_difference_is_exact_on_a_quadratic_at_a_large_step() -> None:
    # f(x) = 3x^2 + 2x: (f(x + e) - f(x - e)) / 2e = 6x + 2 exactly, for any e. A forward
    # difference (f(x + e) - f(x)) / e = 6x + 2 + 3e is off by e * 3 = 1.5 at e = 0.5.
    x = Tensor([1.0, -2.0], requires_grad=True)
    (jacobian,) = numerical_jacobian(lambda t: 3.0 * t * t + 2.0 * t, [x], [0], eps=0.5)[0]
    np.testing.assert_array_equal(jacobian, [[8.0, 0.0], [0.0, -10.0]])
    # gradcheck agrees to round-off (the random-upstream sum rounds): the engine's 6x + 2
    # is exact too
    assert gradcheck(lambda t: 3.0 * t * t + 2.0 * t, (x,), eps=0.5, atol=0.0, rtol=1e-12)


def test_the_step_is_the_one_given() -> None:
    # f(x) = x^3: ((x + e)^3 - (x - e)^3) / 2e = 3x^2 + e^2, so at x = 1 the numerical
    # derivative is 3.25 for e = 0.5 and 3.0625 for e = 0.25 (a fixed step gives ~3)
    x = Tensor([1.0], requires_grad=True)
    for eps, expected in ((0.5, 3.25), (0.25, 3.0625)):
        (jacobian,) = numerical_jacobian(lambda t: t * t * t, [x], [0], eps=eps)[0]
        np.testing.assert_array_equal(jacobian, [[expected]])


def test_gradcheck_uses_its_eps() -> None:
    # analytic 3 vs numerical 3.25 at eps = 0.5: |0.25| > 0 + 0.01 * 3.25, so it must fail;
    # at the default eps the numerical value is 3 + 1e-12 and it passes
    x = Tensor([1.0], requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: t * t * t, (x,), eps=0.5, atol=0.0, rtol=0.01)
    (row,) = info.value.report.mismatches
    assert row.analytic == 3.0 and row.numerical == 3.25
    assert gradcheck(lambda t: t * t * t, (x,), atol=0.0, rtol=0.01)


@pytest.mark.parametrize("eps", [1e-3, 0.1])
def test_a_step_across_a_kink_fails(eps: float) -> None:
    # |x| at x = eps/2: (|x + e| - |x - e|) / 2e = (1.5e - 0.5e) / 2e = 0.5, the engine's
    # slope is sign(x) = 1: the check must fail (a step that ignored eps, e.g. 1e-6, would
    # not reach the kink and pass). Two steps away from 0 it passes.
    near = Tensor([0.5 * eps], requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: t.abs(), (near,), eps=eps)
    (row,) = info.value.report.mismatches
    assert row.analytic == 1.0 and row.numerical == pytest.approx(0.5, rel=1e-9)
    far = Tensor([2.0 * eps], requires_grad=True)
    assert gradcheck(lambda t: t.abs(), (far,), eps=eps)


# ------------------------------------------------------------------ the tolerances
def _square_off_by(delta: float) -> type:
    class SquareOff(Square):
        """y = x^2 with a backward that is off by ``delta``: 2x + delta."""

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return (2 * x + delta) * grad_output

    return SquareOff


def test_relative_tolerance_scales_with_the_numerical_value() -> None:
    # at x = 2: analytic 4.01, numerical 4 (central differences of x^2 are exact up to
    # rounding). Passes when |0.01| <= atol + rtol * 4 = 0.012 (atol 0, rtol 3e-3); fails
    # when that bound is 0.003 (atol 3e-3, rtol 0). Swapping rtol and atol swaps both.
    fn = _square_off_by(1e-2).apply
    x = Tensor([2.0], requires_grad=True)
    assert gradcheck(fn, (x,), atol=0.0, rtol=3e-3)
    assert not gradcheck(fn, (x,), atol=3e-3, rtol=0.0, raise_exception=False)


def test_absolute_tolerance_does_not_scale() -> None:
    # at x = 0.25: analytic 0.502, numerical 0.5. Passes when |0.002| <= atol = 0.003
    # (atol 3e-3, rtol 0); fails when the bound is rtol * 0.5 = 0.0015 (atol 0, rtol 3e-3)
    fn = _square_off_by(2e-3).apply
    x = Tensor([0.25], requires_grad=True)
    assert gradcheck(fn, (x,), atol=3e-3, rtol=0.0)
    assert not gradcheck(fn, (x,), atol=0.0, rtol=3e-3, raise_exception=False)


def test_the_report_states_the_tolerances_it_used() -> None:
    fn = _square_off_by(1e-2).apply
    with pytest.raises(GradcheckError) as info:
        gradcheck(fn, (Tensor([2.0], requires_grad=True),), atol=3e-3, rtol=0.0)
    report = info.value.report
    assert (report.atol, report.rtol) == (3e-3, 0.0)
    assert "atol=0.003, rtol=0" in str(info.value)
