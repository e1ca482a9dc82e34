"""Large inputs (±1e4): finite values and gradients, exact where the answer is known, no warnings.

NumPy warnings are turned into errors (overflow, division by zero, invalid values).
Underflow to 0 is left at NumPy's default (ignored): exp(-1e4) = 0 is the right float.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from autograd_lite import Tensor

BIG = 1e4
DTYPES = [np.float32, np.float64]


@pytest.fixture(autouse=True)
def _warnings_are_errors() -> Iterator[None]:
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        yield


def _value_and_grad(
    function: Callable[[Tensor], Tensor], values: list, dtype: type = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    x = Tensor(np.array(values, dtype=dtype), requires_grad=True)
    y = function(x)
    y.sum().backward()
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad.data))
    return y.data, x.grad.data


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid(dtype: type) -> None:
    value, grad = _value_and_grad(Tensor.sigmoid, [-BIG, 0.0, BIG], dtype)
    np.testing.assert_array_equal(value, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(grad, [0.0, 0.25, 0.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_tanh(dtype: type) -> None:
    value, grad = _value_and_grad(Tensor.tanh, [-BIG, 0.0, BIG], dtype)
    np.testing.assert_array_equal(value, [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(grad, [0.0, 1.0, 0.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_softplus(dtype: type) -> None:
    value, grad = _value_and_grad(Tensor.softplus, [-BIG, 0.0, BIG], dtype)
    np.testing.assert_allclose(value, [0.0, np.log(2.0), BIG], rtol=1e-6)
    np.testing.assert_array_equal(grad, [0.0, 0.5, 1.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_logsumexp(dtype: type) -> None:
    value, grad = _value_and_grad(
        lambda x: x.logsumexp(axis=1), [[BIG, -BIG, 0.0], [-BIG, -BIG, -BIG]], dtype
    )
    np.testing.assert_allclose(value, [BIG, -BIG + np.log(3.0)], rtol=1e-6)
    np.testing.assert_allclose(grad, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)


def test_logsumexp_of_a_row_of_minus_infinity_is_minus_infinity() -> None:
    value = Tensor([[-np.inf, -np.inf], [0.0, -np.inf]]).logsumexp(axis=1)
    np.testing.assert_array_equal(value.data, [-np.inf, 0.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax(dtype: type) -> None:
    weights = np.array([[1.0, 2.0, 3.0]])
    value, grad = _value_and_grad(lambda x: x.softmax(axis=1) * weights, [[BIG, -BIG, 0.0]], dtype)
    np.testing.assert_array_equal(value, [[1.0, 0.0, 0.0]])
    np.testing.assert_array_equal(grad, [[0.0, 0.0, 0.0]])  # y (w - sum w y) = 0 here


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_softmax(dtype: type) -> None:
    value, grad = _value_and_grad(lambda x: x.log_softmax(axis=1), [[BIG, -BIG, 0.0]], dtype)
    np.testing.assert_array_equal(value, [[0.0, -2 * BIG, -BIG]])
    np.testing.assert_array_equal(grad, [[-2.0, 1.0, 1.0]])  # 1 - 3 softmax


def test_binary_cross_entropy_of_saturated_probabilities() -> None:
    from nn.functional import binary_cross_entropy

    # sigmoid(±1e4) is exactly 0 or 1; the wrong-way targets hit log(0), clamped at -100
    logits = Tensor([BIG, -BIG, BIG, -BIG], requires_grad=True)
    loss = binary_cross_entropy(logits.sigmoid(), [1.0, 0.0, 0.0, 1.0], reduction="none")
    loss.sum().backward()
    np.testing.assert_array_equal(loss.data, [0.0, 0.0, 100.0, 100.0])
    assert np.all(np.isfinite(logits.grad.data))


def test_binary_cross_entropy_with_logits() -> None:
    from nn.functional import binary_cross_entropy_with_logits

    logits = Tensor([BIG, -BIG, BIG, -BIG], requires_grad=True)
    target = [1.0, 0.0, 0.0, 1.0]
    loss = binary_cross_entropy_with_logits(logits, target, reduction="none")
    loss.sum().backward()
    np.testing.assert_array_equal(loss.data, [0.0, 0.0, BIG, BIG])  # exact: -log sigmoid
    np.testing.assert_array_equal(logits.grad.data, [0.0, 0.0, 1.0, -1.0])  # sigmoid(x) - t


def test_cross_entropy() -> None:
    from nn.functional import cross_entropy

    logits = Tensor([[BIG, -BIG, 0.0], [BIG, -BIG, 0.0]], requires_grad=True)
    loss = cross_entropy(logits, [0, 1], reduction="sum")
    loss.backward()
    assert loss.item() == 2 * BIG  # -log softmax: 0 for the winner, 2e4 for the loser
    np.testing.assert_array_equal(logits.grad.data, [[0.0, 0.0, 0.0], [1.0, -1.0, 0.0]])
