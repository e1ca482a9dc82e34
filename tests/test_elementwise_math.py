"""The new elementwise ops at hand-computed points: value and gradient, the subgradient
choices (clip at its bounds, abs and sign at 0, the step functions, ties of minimum), erf
against math.erf, and the errors. The registry suite gradchecks them on random shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd_lite import Tensor, grad, maximum, minimum
from tests.numeric import engine_grads, numeric_grads

X = np.array([-1.3, -0.2, 0.4, 1.1])
G = np.array([0.5, -2.0, 1.5, 3.0])  # an upstream gradient that is not all ones


@pytest.mark.parametrize(
    "name, value, derivative, inputs",
    [
        ("sin", np.sin, np.cos, X),
        ("cos", np.cos, lambda x: -np.sin(x), X),
        ("tan", np.tan, lambda x: 1 / np.cos(x) ** 2, X),
        ("log1p", np.log1p, lambda x: 1 / (1 + x), np.array([0.0, 0.5, 3.0, -0.5])),
        ("expm1", np.expm1, np.exp, X),
        ("square", np.square, lambda x: 2 * x, X),
        ("erf", np.vectorize(math.erf), lambda x: 2 / np.sqrt(np.pi) * np.exp(-x * x), X),
    ],
)
def test_value_and_gradient_against_the_calculus(name, value, derivative, inputs) -> None:
    x = Tensor(inputs, requires_grad=True)
    y = getattr(x, name)()
    np.testing.assert_allclose(y.data, value(inputs), rtol=1e-15, atol=1e-16)
    y.backward(G)
    np.testing.assert_allclose(x.grad.data, G * derivative(inputs), rtol=1e-14)
    # and the rule's second derivative against finite differences of the first
    x2 = Tensor(inputs, requires_grad=True)
    (d1,) = grad(getattr(x2, name)().sum(), [x2], create_graph=True)
    (d2,) = grad(d1.sum(), [x2])
    numeric = numeric_grads(lambda t: _first_derivative(name, t), [inputs])[0]
    np.testing.assert_allclose(d2.data, numeric, rtol=1e-6, atol=1e-6)


def _first_derivative(name: str, t: Tensor) -> Tensor:
    leaf = Tensor(t.data, requires_grad=True)
    (d1,) = grad(getattr(leaf, name)().sum(), [leaf])
    return d1


def test_tiny_arguments_keep_their_digits() -> None:
    tiny = Tensor([1e-20])
    assert tiny.log1p().item() == 1e-20 and tiny.expm1().item() == 1e-20


def test_erf_matches_math_erf_to_a_few_ulp() -> None:
    rng = np.random.default_rng(0)
    xs = np.concatenate(
        [
            rng.uniform(-7, 7, 20000),
            rng.uniform(-0.5, 0.5, 5000),
            10.0 ** rng.uniform(-300, 0.7, 5000),
            np.linspace(-6.5, 6.5, 2601),  # every range boundary (0.46875, 4, 6) neighbourhood
            [0.0, 0.46875, 4.0, 6.0, -6.0, 5.9, 1e-310],
        ]
    )
    got = Tensor(xs).erf().data
    expected = np.array([math.erf(v) for v in xs])
    relative = np.abs(got - expected) / np.maximum(np.abs(expected), np.finfo(float).tiny)
    assert relative.max() < 1e-15
    np.testing.assert_array_equal(Tensor([np.inf, -np.inf, 0.0]).erf().data, [1.0, -1.0, 0.0])
    assert np.isnan(Tensor([np.nan]).erf().item())
    assert Tensor(np.array([0.5], np.float32)).erf().dtype == np.float32


def test_clip_values_and_the_gradient_at_and_beyond_its_bounds() -> None:
    # the bounds count as inside (torch.clamp): gradient 1 at x == min and x == max
    x = Tensor([-2.0, -1.0, 0.0, 1.0, 2.0, np.nan], requires_grad=True)
    y = x.clip(-1.0, 1.0)
    np.testing.assert_array_equal(y.data, [-1.0, -1.0, 0.0, 1.0, 1.0, np.nan])
    y.backward(np.full(6, 3.0))
    np.testing.assert_array_equal(x.grad.data, [0.0, 3.0, 3.0, 3.0, 0.0, 0.0])


@pytest.mark.parametrize(
    "low, high, values, mask",
    [
        (0.0, None, [0.0, 0.0, 2.0], [0, 1, 1]),
        (None, 0.0, [-1.0, 0.0, 0.0], [1, 1, 0]),
        (None, None, [-1.0, 0.0, 2.0], [1, 1, 1]),  # NumPy's clip without bounds: a copy
        (1.0, -1.0, [-1.0, -1.0, -1.0], [0, 0, 0]),  # min > max: every value is max
    ],
)
def test_clip_with_one_bound_none_or_crossed_bounds(low, high, values, mask) -> None:
    x = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    y = x.clip(min=low, max=high)
    np.testing.assert_array_equal(y.data, values)
    np.testing.assert_array_equal(y.data, np.clip(x.data, low, high))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, mask)
    assert y.data is not x.data


def test_clamp_is_clip() -> None:
    from autograd_lite.tensor_math import MathMethods

    assert MathMethods.clamp is MathMethods.clip
    np.testing.assert_array_equal(Tensor([-3.0, 3.0]).clamp(max=1.0).data, [-3.0, 1.0])


@pytest.mark.parametrize("bound", [Tensor([1.0]), np.array([1.0]), "1", True])
def test_clip_refuses_bounds_that_are_not_numbers(bound) -> None:
    with pytest.raises(TypeError, match="clip: min must be a number or None"):
        Tensor([1.0]).clip(min=bound)


@pytest.mark.parametrize(
    "name, values",
    [
        ("sign", [-1.0, -1.0, 0.0, 1.0, 1.0]),
        ("floor", [-2.0, -1.0, 0.0, 0.0, 2.0]),
        ("ceil", [-1.0, -0.0, 0.0, 1.0, 3.0]),
        ("round", [-2.0, -0.0, 0.0, 0.0, 2.0]),  # halves to even: -1.5 -> -2, 0.5 -> 0
    ],
)
def test_step_functions_have_zero_gradient_even_at_their_jumps(name, values) -> None:
    x = Tensor([-1.5, -0.5, 0.0, 0.5, 2.5], requires_grad=True)
    y = getattr(x, name)()
    np.testing.assert_array_equal(y.data, values if name != "round" else np.round(x.data))
    np.testing.assert_array_equal(y.data, getattr(np, name)(x.data))
    y.backward(np.array([1.0, np.inf, np.nan, -2.0, 3.0]))  # not nan * 0: zeros
    np.testing.assert_array_equal(x.grad.data, np.zeros(5))
    assert y.requires_grad  # as PyTorch: recorded, with a zero gradient


def test_abs_and_its_zero_subgradient_at_zero() -> None:
    x = Tensor([-2.0, 0.0, 3.0], requires_grad=True)
    x.abs().backward(np.array([1.0, 5.0, 2.0]))
    np.testing.assert_array_equal(x.grad.data, [-1.0, 0.0, 2.0])


def test_minimum_values_and_ties_split_like_maximum() -> None:
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = Tensor([2.0, 2.0, 1.0], requires_grad=True)
    y = minimum(a, b)
    np.testing.assert_array_equal(y.data, [1.0, 2.0, 1.0])
    y.backward(np.array([4.0, 4.0, 4.0]))
    np.testing.assert_array_equal(a.grad.data, [4.0, 2.0, 0.0])
    np.testing.assert_array_equal(b.grad.data, [0.0, 2.0, 4.0])
    a.grad = b.grad = None
    maximum(a, b).backward(np.array([4.0, 4.0, 4.0]))
    np.testing.assert_array_equal(a.grad.data, [0.0, 2.0, 4.0])  # the same split at the tie


def test_minimum_with_numbers_broadcasting_and_float32() -> None:
    x = Tensor(np.array([[1.0], [5.0]], np.float32), requires_grad=True)
    y = minimum(3.0, x)
    assert y.dtype == np.float32 and y.shape == (2, 1)
    np.testing.assert_array_equal(minimum(np.array([0.0, 9.0]), x).data, [[0.0, 1.0], [0.0, 5.0]])
    with pytest.raises(ValueError, match="minimum: operand shapes"):
        minimum(Tensor(np.ones(2)), Tensor(np.ones(3)))


def test_pow_method_is_the_operator() -> None:
    x = Tensor([1.5, 2.0], requires_grad=True)
    e = Tensor([2.0, 0.5], requires_grad=True)
    np.testing.assert_array_equal(x.pow(3).data, (x**3).data)
    np.testing.assert_array_equal(x.pow(e).data, (x**e).data)
    assert x.pow(2).grad_fn.name == (x**2).grad_fn.name
    got = engine_grads(lambda a, b: a.pow(b), [x.data, e.data])
    want = numeric_grads(lambda a, b: a.pow(b), [x.data, e.data])
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-7)


def test_float32_stays_float32_in_value_and_gradient() -> None:
    for name in ("sin", "cos", "tan", "log1p", "expm1", "square", "erf", "floor", "sign"):
        x = Tensor(np.array([0.3, 0.7], np.float32), requires_grad=True)
        y = getattr(x, name)()
        y.sum().backward()
        assert y.dtype == np.float32 and x.grad.dtype == np.float32, name
    x = Tensor(np.array([0.3, 0.7], np.float32), requires_grad=True)
    x.clip(0.5, None).sum().backward()
    assert x.grad.dtype == np.float32
