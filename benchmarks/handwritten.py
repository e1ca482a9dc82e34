"""The baseline: an MLP's forward pass, backprop and SGD step written by hand in NumPy.

This is what the engine is measured against, so it is written the way a careful NumPy
programmer would: ReLU hidden layers, a fused, stable softmax cross-entropy whose gradient
is ``(softmax - onehot) / N``, and in-place parameter updates. Before any timing,
`check_against_engine` compares its loss and gradients with autograd_lite's.
"""

from __future__ import annotations

import numpy as np

import nn
from autograd_lite import Tensor


class HandwrittenMLP:
    """Linear layers (y = x @ W.T + b) with ReLU between them and softmax cross-entropy.

    Args:
        weights: one (out_features, in_features) array per layer (copied).
        biases: one (out_features,) array per layer (copied).
        lr: SGD learning rate.

    Example:
        >>> net = HandwrittenMLP([np.ones((3, 2))], [np.zeros(3)], lr=0.1)
        >>> loss = net.step(np.ones((4, 2)), np.array([0, 1, 2, 0]))
    """

    def __init__(self, weights: list[np.ndarray], biases: list[np.ndarray], lr: float) -> None:
        self.weights = [w.copy() for w in weights]
        self.biases = [b.copy() for b in biases]
        self.lr = lr

    def loss_and_grads(
        self, x: np.ndarray, targets: np.ndarray
    ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """Mean cross-entropy of the batch and its gradient for every weight and bias.

        Args:
            x: inputs, shape (N, in_features).
            targets: N integer class indices.

        Returns:
            (loss, weight gradients, bias gradients), gradients in layer order.
        """
        inputs = [x]  # the input of every layer
        pre_activations = []  # z of every hidden layer, for the ReLU mask
        activation = x
        last = len(self.weights) - 1
        for index, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            z = activation @ weight.T
            z += bias
            if index < last:
                pre_activations.append(z)
                activation = np.maximum(z, 0)
                inputs.append(activation)
            else:
                logits = z
        samples = x.shape[0]
        rows = np.arange(samples)
        shifted = logits - logits.max(axis=1, keepdims=True)
        exponentials = np.exp(shifted)
        totals = exponentials.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(totals[:, 0]) - shifted[rows, targets]))
        # d loss / d logits = (softmax - onehot) / N, built in the exponentials' buffer
        grad = exponentials
        grad /= totals
        grad[rows, targets] -= 1
        grad /= samples

        grad_weights: list[np.ndarray] = [None] * len(self.weights)  # type: ignore[list-item]
        grad_biases: list[np.ndarray] = [None] * len(self.weights)  # type: ignore[list-item]
        for index in range(last, -1, -1):
            # one sample: the outer product by np.dot (BLAS gemm with k = 1), faster than a
            # broadcast multiply or np.matmul's k = 1 path (the engine's Linear does the
            # same: a fair baseline)
            grad_weights[index] = (
                np.dot(grad.T, inputs[index]) if samples == 1 else grad.T @ inputs[index]
            )
            grad_biases[index] = grad.sum(axis=0)
            if index > 0:
                grad = grad @ self.weights[index]
                grad *= pre_activations[index - 1] > 0
        return loss, grad_weights, grad_biases

    def step(self, x: np.ndarray, targets: np.ndarray) -> float:
        """One training step: forward, backprop and an in-place SGD update; returns the loss."""
        loss, grad_weights, grad_biases = self.loss_and_grads(x, targets)
        lr = self.lr
        for weight, grad in zip(self.weights, grad_weights):
            grad *= lr
            weight -= grad
        for bias, grad in zip(self.biases, grad_biases):
            grad *= lr
            bias -= grad
        return loss


def make_engine_model(sizes: list[int], dtype: type, seed: int = 0) -> nn.Sequential:
    """Linear(dtype) and ReLU layers as `nn.MLP(sizes, activation=nn.ReLU)` builds them.

    `nn.MLP` has no dtype argument, so the same layers are stacked in an `nn.Sequential`.
    """
    generator = np.random.default_rng(seed)
    layers: list[nn.Module] = []
    for position, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out, dtype=dtype, generator=generator))
        if position < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def linear_layers(model: nn.Sequential) -> list[nn.Linear]:
    """The Linear layers of ``model`` in order."""
    return [layer for layer in model if isinstance(layer, nn.Linear)]


def handwritten_copy(model: nn.Sequential, lr: float) -> HandwrittenMLP:
    """A `HandwrittenMLP` starting from copies of ``model``'s parameters."""
    layers = linear_layers(model)
    return HandwrittenMLP(
        [layer.weight.data for layer in layers], [layer.bias.data for layer in layers], lr
    )


def engine_loss_and_grads(
    model: nn.Sequential, x: np.ndarray, targets: np.ndarray
) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
    """The engine's loss and parameter gradients for one batch (the model is not updated)."""
    model.zero_grad()
    loss = nn.CrossEntropyLoss()(model(Tensor(x)), targets)
    loss.backward()
    layers = linear_layers(model)
    grad_weights = [layer.weight.grad.data.copy() for layer in layers]
    grad_biases = [layer.bias.grad.data.copy() for layer in layers]
    model.zero_grad()
    return loss.item(), grad_weights, grad_biases


def check_against_engine(
    model: nn.Sequential, baseline: HandwrittenMLP, x: np.ndarray, targets: np.ndarray
) -> float:
    """Raise AssertionError unless the baseline's loss and gradients equal the engine's.

    Tolerances follow the dtype (float32 sums are rounded differently by the two
    orderings of the same products).

    Args:
        model: the engine network.
        baseline: the hand-written network with the same parameters.
        x: one batch of inputs.
        targets: its class indices.

    Returns:
        The largest absolute gradient difference found.

    Raises:
        AssertionError: naming the layer whose loss or gradient differs.
    """
    rtol, atol = (2e-4, 1e-6) if x.dtype == np.float32 else (1e-9, 1e-12)
    engine_loss, engine_w, engine_b = engine_loss_and_grads(model, x, targets)
    hand_loss, hand_w, hand_b = baseline.loss_and_grads(x, targets)
    np.testing.assert_allclose(hand_loss, engine_loss, rtol=rtol, err_msg="loss")
    largest = 0.0
    pairs = [("weight", hand_w, engine_w), ("bias", hand_b, engine_b)]
    for kind, hand, engine in pairs:
        for layer, (mine, theirs) in enumerate(zip(hand, engine)):
            assert mine.dtype == theirs.dtype, f"layer {layer} {kind}: dtype differs"
            np.testing.assert_allclose(
                mine, theirs, rtol=rtol, atol=atol, err_msg=f"layer {layer} {kind} gradient"
            )
            largest = max(largest, float(np.max(np.abs(mine - theirs))))
    return largest
