"""Activations at exactly 0, where the two pieces meet (issue 24, item 9: a mutant that
survived the suite, see docs/mutation_testing.md)."""

from __future__ import annotations

import numpy as np

import nn
from autograd_lite import Tensor


def test_leaky_relu_slope_at_zero_is_the_negative_slope() -> None:
    # y = x for x > 0, 0.2 x otherwise: at 0 the "otherwise" piece, slope 0.2 (PyTorch's
    # choice too), next to -1 (0.2) and 2 (1); y(0) = 0 from either piece
    x = Tensor([0.0, -1.0, 2.0], requires_grad=True)
    y = nn.LeakyReLU(0.2)(x)
    np.testing.assert_array_equal(y.numpy(), [0.0, -0.2, 2.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.2, 0.2, 1.0])


def test_relu_slope_at_zero_is_zero() -> None:
    x = Tensor([0.0, -1.0, 2.0], requires_grad=True)
    nn.ReLU()(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0])
