"""Document 003_50a92975df92577f.txt: backpropagation in matrix form, checked on random networks.

The document's equations (column vectors, one layer l = 1..L):

    z_l = W_l a_{l-1} + b_l,   a_l = f(z_l)
    delta_L = a_L - y                         (sigmoid output, binary cross-entropy)
    delta_l = (W_{l+1}^T delta_{l+1}) * f'(z_l)
    dJ/dW_l = delta_l a_{l-1}^T,   dJ/db_l = delta_l

and its 2-2-1 example with J = 1/2 (y_hat - y)^2, where delta_2 = (y_hat - y) y_hat (1 - y_hat).
Here the deltas are computed by hand in NumPy and compared with the engine's gradients of
the same loss written with Tensor operations. For a batch of m samples (columns) and
J = -1/m sum(...), every gradient is the batch mean: dJ/dW_l = delta_l a_{l-1}^T / m.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import Tensor


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


ACTIVATIONS = {
    # name: (f on Tensors, f on arrays, f' on arrays as a function of z)
    "sigmoid": (lambda t: t.sigmoid(), _sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z))),
    "tanh": (lambda t: t.tanh(), np.tanh, lambda z: 1 - np.tanh(z) ** 2),
}


def _random_network(rng: np.random.Generator, sizes: list[int]):
    weights = [rng.normal(size=(n_out, n_in)) for n_in, n_out in zip(sizes, sizes[1:])]
    biases = [rng.normal(size=(n_out, 1)) for n_out in sizes[1:]]
    return weights, biases


def _engine_gradients(weights, biases, x, y, hidden):
    """J = -1/m sum[y log a + (1-y) log(1-a)] through the engine; grads of every W and b."""
    w_t = [Tensor(w, requires_grad=True) for w in weights]
    b_t = [Tensor(b, requires_grad=True) for b in biases]
    a = Tensor(x)
    for layer, (w, b) in enumerate(zip(w_t, b_t)):
        z = w @ a + b  # b is (n, 1): broadcast over the m columns
        a = z.sigmoid() if layer == len(w_t) - 1 else hidden(z)
    m = x.shape[1]
    loss = -(y * a.log() + (1 - y) * (1 - a).log()).sum() / m
    loss.backward()
    return [w.grad.numpy() for w in w_t], [b.grad.numpy() for b in b_t]


def _hand_gradients(weights, biases, x, y, hidden, hidden_derivative):
    """The document's equations, in NumPy."""
    activations, pre_activations = [x], []
    for layer, (w, b) in enumerate(zip(weights, biases)):
        z = w @ activations[-1] + b
        pre_activations.append(z)
        activations.append(_sigmoid(z) if layer == len(weights) - 1 else hidden(z))
    m = x.shape[1]
    delta = activations[-1] - y  # delta_L = a_L - y
    grads_w, grads_b = [None] * len(weights), [None] * len(weights)
    for layer in reversed(range(len(weights))):
        grads_w[layer] = delta @ activations[layer].T / m  # delta a_{l-1}^T
        grads_b[layer] = delta.sum(axis=1, keepdims=True) / m  # delta
        if layer:
            # delta_l = (W_{l+1}^T delta_{l+1}) * f'(z_l)
            delta = (weights[layer].T @ delta) * hidden_derivative(pre_activations[layer - 1])
    return grads_w, grads_b


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("hidden_name", ["sigmoid", "tanh"])
def test_matrix_form_equations_match_the_engine_on_random_networks(seed, hidden_name) -> None:
    rng = np.random.default_rng(seed)
    depth = int(rng.integers(1, 4))  # 1 to 3 weight layers
    sizes = [int(s) for s in rng.integers(1, 6, size=depth)] + [int(rng.integers(1, 3))]
    m = int(rng.integers(1, 5))
    weights, biases = _random_network(rng, sizes)
    x = rng.normal(size=(sizes[0], m))
    y = rng.integers(0, 2, size=(sizes[-1], m)).astype(float)
    hidden_tensor, hidden_array, hidden_derivative = ACTIVATIONS[hidden_name]

    got_w, got_b = _engine_gradients(weights, biases, x, y, hidden_tensor)
    want_w, want_b = _hand_gradients(weights, biases, x, y, hidden_array, hidden_derivative)
    for got, want in zip(got_w + got_b, want_w + want_b):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_output_delta_is_a_minus_y_for_sigmoid_with_cross_entropy() -> None:
    rng = np.random.default_rng(42)
    z = Tensor(rng.normal(size=(3, 1)), requires_grad=True)
    y = np.array([[1.0], [0.0], [1.0]])
    a = z.sigmoid()
    (-(y * a.log() + (1 - y) * (1 - a).log())).sum().backward()
    # the sigmoid's derivative a(1-a) cancels the cross-entropy's 1/(a(1-a)): delta_L = a - y
    np.testing.assert_allclose(z.grad.numpy(), a.numpy() - y, rtol=1e-12)


def test_the_documents_2_2_1_example_with_half_squared_error() -> None:
    # 003's example: 2 inputs, 2 sigmoid hidden, 1 sigmoid output, J = 1/2 (y_hat - y)^2
    rng = np.random.default_rng(7)
    w1, b1 = rng.normal(size=(2, 2)), rng.normal(size=(2, 1))
    w2, b2 = rng.normal(size=(1, 2)), rng.normal(size=(1, 1))
    x, y = rng.normal(size=(2, 1)), np.array([[1.0]])

    tw1, tb1 = Tensor(w1, requires_grad=True), Tensor(b1, requires_grad=True)
    tw2, tb2 = Tensor(w2, requires_grad=True), Tensor(b2, requires_grad=True)
    y_hat_t = (tw2 @ (tw1 @ Tensor(x) + tb1).sigmoid() + tb2).sigmoid()
    (0.5 * (y_hat_t - y) ** 2).sum().backward()

    a1 = _sigmoid(w1 @ x + b1)
    y_hat = _sigmoid(w2 @ a1 + b2)
    delta2 = (y_hat - y) * y_hat * (1 - y_hat)
    delta1 = (w2.T @ delta2) * a1 * (1 - a1)
    np.testing.assert_allclose(tw2.grad.numpy(), delta2 @ a1.T, rtol=1e-12)
    np.testing.assert_allclose(tb2.grad.numpy(), delta2, rtol=1e-12)
    np.testing.assert_allclose(tw1.grad.numpy(), delta1 @ x.T, rtol=1e-12)
    np.testing.assert_allclose(tb1.grad.numpy(), delta1, rtol=1e-12)
