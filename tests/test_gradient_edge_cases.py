"""Gradients at the edges that earlier tests kept away from (issue 24, items 5 and 7).

Each was a surviving mutant: the engine was right, but a wrong engine passed every test.
The expected numbers are derived by hand in the comments.
"""

from __future__ import annotations

import math

import numpy as np

from autograd_lite import Tensor, Value, grad


# ------------------------------------------------------------------ item 5: accumulation
def test_leaf_gradients_accumulate_under_create_graph() -> None:
    # y = x^2 at x = 3: dy/dx = 2x = 6. Two passes add up to 12 (an assignment leaves 6),
    # and the sum stays on the graph: x.grad = 2x + 2x = 4x, so d(x.grad)/dx = 4.
    x = Tensor(3.0, requires_grad=True)
    y = x**2
    y.backward(create_graph=True)
    assert x.grad.item() == 6.0
    y.backward(create_graph=True)
    assert x.grad.item() == 12.0
    (slope,) = grad(x.grad, x)
    assert slope.item() == 4.0


def test_a_create_graph_pass_adds_to_a_plain_one() -> None:
    # 6 from the plain pass, + 6 from the recorded one
    x = Tensor(3.0, requires_grad=True)
    y = x**2
    y.backward(retain_graph=True)
    y.backward(create_graph=True)
    assert x.grad.item() == 12.0


def test_value_gradients_accumulate_too() -> None:
    x = Value(3.0)
    y = x * x
    y.backward()
    y.backward()
    assert x.grad == 12.0


# ------------------------------------------------------------------ item 7: edge cases
def test_value_square_root_at_zero_has_an_infinite_slope() -> None:
    # d/da a^0.5 = 0.5 a^-0.5 -> +inf as a -> 0+ (the docstring of _power_slope says so)
    x = Value(0.0)
    (x**0.5).backward()
    assert x.grad == math.inf


def test_value_powers_at_zero_next_to_the_square_root() -> None:
    # b a^(b-1) at a = 0: b = 1.5 -> 1.5 * 0^0.5 = 0; b = 1 -> 1 * 0^0 = 1; b = 2 -> 0;
    # b = 0: a^0 = 1 is constant, slope 0 (at a = 0 too, where 0 * 0^-1 has no value);
    # and at a = 4, b = 0.5: 0.5 / sqrt(4) = 0.25
    cases = ((0.0, 1.5, 0.0), (0.0, 1.0, 1.0), (0.0, 2.0, 0.0), (0.0, 0.0, 0.0), (2.0, 0, 0.0))
    for base, exponent, slope in cases:
        x = Value(base)
        (x**exponent).backward()
        assert x.grad == slope, (base, exponent)
    x = Value(4.0)
    (x**0.5).backward()
    assert x.grad == 0.25


def test_tensor_square_root_at_zero_has_an_infinite_slope() -> None:
    # the same limit for Tensors, through ** 0.5 and through sqrt(): 1 / (2 sqrt(0)) = inf
    for root in (lambda t: t**0.5, lambda t: t.sqrt()):
        x = Tensor([0.0, 4.0], requires_grad=True)
        root(x).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [np.inf, 0.25])


def test_abs_at_exactly_zero_has_gradient_zero() -> None:
    # sign(0) = 0 (PyTorch's choice): both zeros, next to -2 and 2 whose slopes are -1, 1
    x = Tensor([0.0, -0.0, -2.0, 2.0], requires_grad=True)
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, -1.0, 1.0])
    # on the recorded path (create_graph) too
    x = Tensor([0.0, 3.0], requires_grad=True)
    (g,) = grad(x.abs().sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.numpy(), [0.0, 1.0])


def test_a_root_repeated_and_below_another_root_counts_every_time() -> None:
    # y = 2x, z = 3y = 6x. grad([y, z, y], x) differentiates y + z + y: 2 + 6 + 2 = 10.
    # y is a root twice and also sits below the root z: without de-duplicating the roots
    # the walk waits for y forever and returns 0.
    x = Tensor(2.0, requires_grad=True)
    y = 2 * x
    z = 3 * y
    (g,) = grad([y, z, y], x)
    assert g.item() == 10.0


def test_repeated_roots_with_their_own_upstream_gradients() -> None:
    # the same graph, seeded 1, 10, 100: y's total is 1 + 100 + 3 * 10 = 131, and
    # dx = 2 * 131 = 262
    x = Tensor(2.0, requires_grad=True)
    y = 2 * x
    z = 3 * y
    (g,) = grad([y, z, y], x, grad_outputs=[1.0, 10.0, 100.0])
    assert g.item() == 262.0
