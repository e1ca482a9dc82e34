"""Example 3: the matrix form of backpropagation (document 003), by hand and by the engine.

For each layer z = W a_prev + b and a = f(z). With a sigmoid output and the binary
cross-entropy J = -1/m sum [y log a + (1 - y) log(1 - a)], the output error is simply

    delta_L = (a_L - y) / m          (the 1/m from averaging over the m examples)

and going back one layer

    delta_l = (W_{l+1}^T delta_{l+1}) * f'(z_l)
    dJ/dW_l = delta_l a_{l-1}^T,   dJ/db_l = delta_l summed over the examples.

This script computes these matrices with NumPy and compares them with the gradients the
engine finds for the same network written with Tensors. Columns are examples, as in the
document.

Run:  python examples/03_matrix_form.py
"""

from __future__ import annotations

import numpy as np

from autograd_lite import Tensor


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def main(sizes: tuple[int, ...] = (2, 3, 1), examples: int = 5, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=(n_out, n_in)) for n_in, n_out in zip(sizes, sizes[1:])]
    biases = [rng.normal(size=(n_out, 1)) for n_out in sizes[1:]]
    x = rng.normal(size=(sizes[0], examples))
    y = rng.integers(0, 2, size=(sizes[-1], examples)).astype(float)

    # --- by hand, as document 003 writes it ---------------------------------------
    activations, zs = [x], []
    for w, b in zip(weights, biases):
        zs.append(w @ activations[-1] + b)
        activations.append(sigmoid(zs[-1]))
    delta = (activations[-1] - y) / examples  # delta_L = a - y (averaged over m)
    grads_by_hand = []
    for layer in reversed(range(len(weights))):
        grads_by_hand.insert(0, (delta @ activations[layer].T, delta.sum(axis=1, keepdims=True)))
        if layer:
            a = activations[layer]
            delta = (weights[layer].T @ delta) * a * (1 - a)  # (W^T delta) * f'(z)

    # --- by the engine ------------------------------------------------------------
    w_t = [Tensor(w, requires_grad=True) for w in weights]
    b_t = [Tensor(b, requires_grad=True) for b in biases]
    a = Tensor(x)
    for w, b in zip(w_t, b_t):
        a = (w @ a + b).sigmoid()
    cost = -(y * a.log() + (1 - y) * (1 - a).log()).sum() / examples
    cost.backward()

    worst = 0.0
    for layer, (dw, db) in enumerate(grads_by_hand, start=1):
        diff = max(np.abs(dw - w_t[layer - 1].grad.numpy()).max(),
                   np.abs(db - b_t[layer - 1].grad.numpy()).max())  # fmt: skip
        worst = max(worst, diff)
        print(f"layer {layer}: dJ/dW by hand\n{np.round(dw, 6)}\n  engine agrees to {diff:.1e}")
    print(f"\ncost J = {cost.item():.6f}; largest difference hand vs engine: {worst:.1e}")
    return worst


if __name__ == "__main__":
    main()
