"""The scalar engine: each op's value and derivative, graph shapes, bad input, big graphs."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from autograd_lite import DomainError, Value, no_grad


def grads_of(build, *numbers):
    """Build an expression of fresh Values, backpropagate, return (output, [input grads])."""
    inputs = [Value(x) for x in numbers]
    out = build(*inputs)
    out.backward()
    return out.data, [v.grad for v in inputs]


@pytest.mark.parametrize(
    "build, numbers, value, grads",
    [
        (lambda a, b: a + b, (2.0, 3.0), 5.0, [1.0, 1.0]),
        (lambda a, b: a - b, (2.0, 3.0), -1.0, [1.0, -1.0]),
        (lambda a, b: a * b, (2.0, 3.0), 6.0, [3.0, 2.0]),
        (lambda a, b: a / b, (2.0, 4.0), 0.5, [0.25, -2.0 / 16.0]),
        (lambda a: -a, (2.0,), -2.0, [-1.0]),
        (lambda a: a**3, (2.0,), 8.0, [12.0]),
        (lambda a: a**-1, (2.0,), 0.5, [-0.25]),
        (lambda a, b: a**b, (2.0, 3.0), 8.0, [12.0, 8.0 * math.log(2.0)]),
        (lambda b: 2.0**b, (3.0,), 8.0, [8.0 * math.log(2.0)]),
        (lambda a: a.exp(), (1.5,), math.exp(1.5), [math.exp(1.5)]),
        (lambda a: a.log(), (2.0,), math.log(2.0), [0.5]),
        (lambda a: a.tanh(), (0.5,), math.tanh(0.5), [1 - math.tanh(0.5) ** 2]),
        (lambda a: a.relu(), (0.5,), 0.5, [1.0]),
        (lambda a: a.relu(), (-0.5,), 0.0, [0.0]),
        (lambda a: a.relu(), (0.0,), 0.0, [0.0]),  # relu'(0) = 0, as PyTorch
    ],
)
def test_each_op_value_and_derivative(build, numbers, value, grads):
    out, got = grads_of(build, *numbers)
    assert out == pytest.approx(value, rel=1e-12)
    assert got == pytest.approx(grads, rel=1e-12)


def test_sigmoid_value_derivative_and_extremes():
    out, (grad,) = grads_of(lambda a: a.sigmoid(), 0.3)
    s = 1 / (1 + math.exp(-0.3))
    assert out == pytest.approx(s) and grad == pytest.approx(s * (1 - s))
    # No overflow far out on either side.
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0


def test_numbers_on_either_side():
    a = Value(3.0)
    for expr, expected in ((1 + a, 4.0), (a + 1, 4.0), (10 - a, 7.0), (a - 10, -7.0),
                           (2 * a, 6.0), (a * 2, 6.0), (6 / a, 2.0), (a / 6, 0.5)):  # fmt: skip
        assert expr.data == pytest.approx(expected)


def test_fan_out_accumulates_every_use():
    x = Value(1.5)
    y = x * x * x + x * 4 + x  # dy/dx = 3x^2 + 5
    y.backward()
    assert x.grad == pytest.approx(3 * 1.5**2 + 5)


def test_value_used_many_times():
    x = Value(0.7)
    total = Value(0.0)
    for _ in range(500):
        total = total + x
    total.backward()
    assert x.grad == pytest.approx(500.0)


def test_gradients_accumulate_across_backward_calls():
    x = Value(2.0)
    y = x * x
    y.backward()
    y.backward()
    assert x.grad == pytest.approx(8.0)  # 2 * (2x), as in PyTorch; reset by hand
    x.grad = 0.0
    (x * 3).backward()
    assert x.grad == 3.0


def test_backward_sets_grad_on_intermediates():
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    d = c + 1
    d.backward()
    assert (d.grad, c.grad, a.grad, b.grad) == (1.0, 1.0, -3.0, 2.0)


def test_no_grad_records_nothing():
    a = Value(2.0)
    with no_grad():
        b = a * a
    assert b._parents == () and b.data == 4.0
    b.backward()
    assert a.grad == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_document_hand_formulas_on_random_values(seed):
    # documents 000 and 001: dE/da2 = -(T - a2), da2/dz2 = a2 (1 - a2), dz2/dw2 = a1
    rng = random.Random(seed)
    a1, w2, b2, target = (Value(rng.uniform(-2, 2)) for _ in range(4))
    z2 = a1 * w2 + b2
    a2 = z2.sigmoid()
    error = 0.5 * (target - a2) ** 2
    error.backward()
    assert a2.grad == pytest.approx(-(target.data - a2.data), rel=1e-12)
    assert z2.grad == pytest.approx(a2.grad * a2.data * (1 - a2.data), rel=1e-12)
    assert w2.grad == pytest.approx(z2.grad * a1.data, rel=1e-12)
    assert b2.grad == pytest.approx(z2.grad, rel=1e-12)  # dz2/db2 = 1 (document 001)


def test_million_node_chain_backpropagates_without_recursion():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1e-6
    y.backward()
    assert x.grad == 1.0
    assert y.data == pytest.approx(2.0)


# ------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", ["1.0", None, [1.0], 1 + 2j, object()])
def test_non_number_is_a_type_error_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_non_number_operand_is_a_type_error():
    with pytest.raises(TypeError, match="str"):
        Value(1.0) + "2"


@pytest.mark.parametrize("x", [0.0, -1.0])
def test_log_of_non_positive_names_op_and_value(x):
    with pytest.raises(ValueError, match=r"log: .*x=" + str(x).replace("-", "\\-")):
        Value(x).log()


def test_exp_overflow_is_reported():
    with pytest.raises(OverflowError, match=r"exp: .*x=1000"):
        Value(1000.0).exp()
    with pytest.raises(ValueError):  # also a ValueError, like every domain fault
        Value(1000.0).exp()


def test_division_by_zero_names_op():
    with pytest.raises(ValueError, match=r"div: division by zero"):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / Value(0.0)


def test_pow_domain_errors():
    with pytest.raises(DomainError, match="pow: negative base"):
        Value(-2.0) ** 0.5
    with pytest.raises(DomainError, match="pow: 0 raised to a negative power"):
        Value(0.0) ** -1
    with pytest.raises(DomainError, match="exponent is a Value"):
        Value(-2.0) ** Value(2.0)
    # A negative base with a whole-number constant exponent is fine.
    out, (grad,) = grads_of(lambda a: a**3, -2.0)
    assert (out, grad) == (-8.0, 12.0)


def test_repr_shows_data_grad_and_label():
    v = Value(1.5, label="w5")
    assert repr(v) == "Value(data=1.5, grad=0, label='w5')"


@pytest.mark.parametrize(
    "combine",
    [
        lambda arr, v: arr + v,
        lambda arr, v: arr * v,
        lambda arr, v: arr - v,
        lambda arr, v: arr / v,
        lambda arr, v: arr**v,
        lambda arr, v: np.add(arr, v),
    ],
)
def test_numpy_arrays_and_values_do_not_mix_into_object_arrays(combine):
    # NumPy defers to Value (__array_ufunc__ = None), whose operators take numbers only
    with pytest.raises(TypeError):
        combine(np.array([1.0, 2.0]), Value(1.0))


def test_numpy_scalars_still_combine_with_values():
    assert (np.float64(2.0) * Value(3.0)).data == 6.0
    assert (Value(3.0) + np.float32(0.5)).data == 3.5
