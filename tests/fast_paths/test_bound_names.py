"""Bound NumPy names: the engine's hot code tests ``type(x) is _ndarray`` with NumPy's own
classes bound once at import, so it decides exactly what ``np.ndarray`` would."""

from __future__ import annotations

import numpy as np

from autograd_lite import Tensor
from autograd_lite.engine import apply, context, node, walk


def test_the_bound_names_are_numpys_classes() -> None:
    for module in (apply, context, node):
        assert module._ndarray is np.ndarray, module.__name__
    assert walk._generic is np.generic


def test_a_numpy_scalar_sum_of_two_gradients_becomes_a_0d_array() -> None:
    total = walk.add_gradients(np.array(1.5), np.array(2.0))  # NumPy sums 0-d to a scalar
    assert type(total) is np.ndarray and total.shape == () and total == 3.5
    x = Tensor(2.0, requires_grad=True)
    (x * x + x * 3.0).backward()  # two gradients into x, both 0-d
    assert type(x.grad.data) is np.ndarray and x.grad.item() == 7.0
