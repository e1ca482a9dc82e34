"""jacobian and hessian of functions of scalar Values: floats in PyTorch's nesting, derived
by hand; the caller's Values untouched; the Tensor route of hessian and its limits."""

from __future__ import annotations

import math

import pytest

import autograd_lite.functional as F
from autograd_lite import Value, no_grad

EPS = 2.0**-52


def close(actual, expected):
    """Floats (or nested tuples of them) equal to float64 round-off, same nesting."""
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected)
        for a, e in zip(actual, expected):
            close(a, e)
        return
    assert type(actual) is float
    assert abs(actual - expected) <= 8 * EPS * max(1.0, abs(expected))


def f(a, b):
    """tanh(ab) + a^2."""
    return (a * b).tanh() + a**2


def f_by_hand(a, b):
    t = math.tanh(a * b)
    s = 1 - t * t
    gradient = (b * s + 2 * a, a * s)
    h_ab = s - 2 * a * b * t * s
    hessian = ((2 - 2 * b * b * t * s, h_ab), (h_ab, -2 * a * a * t * s))
    return gradient, hessian


def test_gradient_and_hessian_by_hand():
    gradient, hess = f_by_hand(0.7, -1.3)
    close(F.jacobian(f, (Value(0.7), Value(-1.3))), gradient)
    close(F.hessian(f, (Value(0.7), Value(-1.3))), hess)


def test_nesting_single_value_and_tuple_outputs():
    close(F.jacobian(lambda a: a.exp(), Value(0.5)), math.exp(0.5))
    close(F.hessian(lambda a: a.exp(), Value(0.5)), math.exp(0.5))
    close(F.jacobian(lambda a: a.exp(), (Value(0.5),)), (math.exp(0.5),))
    close(F.hessian(lambda a: a.exp(), (Value(0.5),)), ((math.exp(0.5),),))
    both = F.jacobian(lambda a, b: (a * b, a + b * 3), (Value(2.0), Value(5.0)))
    close(both, ((5.0, 2.0), (1.0, 3.0)))
    close(F.jacobian(lambda a: (a * a, a.relu()), Value(-2.0)), (-4.0, 0.0))


def test_ops_shared_with_tensors_in_the_hessian():
    """x^3 / y + sigmoid(x) - log(y) + relu(x) at (0.5, 2): every shared op once."""

    def g(x, y):
        return x**3 / y + x.sigmoid() - y.log() + x.relu() - (-x)

    x, y = 0.5, 2.0
    s = 1 / (1 + math.exp(-x))
    expected = (
        (6 * x / y + s * (1 - s) * (1 - 2 * s), -3 * x * x / y**2),
        (-3 * x * x / y**2, 2 * x**3 / y**3 + 1 / y**2),
    )
    close(F.hessian(g, (Value(x), Value(y))), expected)
    close(
        F.jacobian(g, (Value(x), Value(y))),
        (3 * x * x / y + s * (1 - s) + 2, -(x**3) / y**2 - 1 / y),
    )


def test_callers_values_and_closed_over_values_untouched():
    a, b, w = Value(0.7, label="a"), Value(-1.3), Value(2.0)
    gradient, hess = f_by_hand(0.7, -1.3)
    close(F.jacobian(lambda p, q: f(p, q) * w, (a, b)), tuple(2.0 * g for g in gradient))
    close(
        F.hessian(lambda p, q: f(p, q) * 2.0, (a, b)),
        tuple(tuple(2.0 * h for h in row) for row in hess),
    )
    assert (a.grad, b.grad, w.grad) == (0.0, 0.0, 0.0)
    assert (a.data, b.data, a.label) == (0.7, -1.3, "a")
    assert a._parents == () and b._parents == ()


def test_same_value_twice_and_under_no_grad():
    x = Value(3.0)
    close(F.jacobian(lambda p, q: p * q * q, (x, x)), (9.0, 18.0))
    with no_grad():
        close(F.jacobian(lambda p: p * p, x), 6.0)
        close(F.hessian(lambda p: p * p * p, x), 18.0)


def test_hessian_refuses_what_tensors_cannot_run_and_says_why():
    x = Value(1.5)
    uses_value = lambda p: Value(2.0) * p * p  # noqa: E731
    close(F.jacobian(uses_value, x), 6.0)  # the Value graph handles it
    with pytest.raises(TypeError, match="0-d Tensors.* Use only what Value and Tensor share"):
        F.hessian(uses_value, x)
    w = Value(2.0)
    with pytest.raises(TypeError, match="closed over"):  # a weight: pass it as an input
        F.hessian(lambda p: w * p * p, x)
    close(F.hessian(lambda p, q: q * p * p, (x, w))[0][0], 4.0)

    def branches_on_type(p):  # a different function on Tensors than on Values
        return p * p if isinstance(p, Value) else p * p * p

    with pytest.raises(RuntimeError, match="must compute the same function"):
        F.hessian(branches_on_type, x)


def test_value_errors():
    with pytest.raises(ValueError, match="create_graph=True needs Tensor inputs"):
        F.jacobian(lambda p: p, Value(1.0), create_graph=True)
    with pytest.raises(TypeError, match="mix Values"):
        from autograd_lite import Tensor

        F.jacobian(lambda p, q: p, (Value(1.0), Tensor(1.0)))
    with pytest.raises(TypeError, match="must return a Value .* is a float"):
        F.jacobian(lambda p: 1.0, Value(1.0))
    close(F.jacobian(lambda p, q: p * 2, (Value(1.0), Value(1.0))), (2.0, 0.0))
    with pytest.raises(RuntimeError, match="does not depend on input 1"):
        F.jacobian(lambda p, q: p * 2, (Value(1.0), Value(1.0)), strict=True)
    with pytest.raises(RuntimeError, match="hessian needs a scalar"):
        F.hessian(lambda p: (p, p), Value(1.0))
