"""Example 4: XOR, the classic problem a single neuron cannot solve, with a 2-4-1 network.

    x1 x2 | x1 XOR x2
     0  0 |    0
     0  1 |    1
     1  0 |    1
     1  1 |    0

No straight line separates the ones from the zeros, so a single sigmoid neuron (a linear
boundary) fails. One hidden layer of four tanh units bends the input space until a line
does separate them:

    h = tanh(x W1^T + b1),   logit = h W2^T + b2,   p = sigmoid(logit)

We train with the binary cross-entropy J = -1/4 sum [t log p + (1 - t) log(1 - p)]
computed straight from the logit (`nn.BCEWithLogitsLoss`, which never takes log(0)),
full batch, with plain gradient descent: the update of documents 001 and 002,
w <- w - lr * dJ/dw, with `nn.fit` running the loop.

Run:  python examples/04_xor.py
"""

from __future__ import annotations

import numpy as np

import nn
from autograd_lite import Tensor, no_grad

INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
TARGETS = np.array([[0.0], [1.0], [1.0], [0.0]])


def main(epochs: int = 2000, hidden: int = 4, lr: float = 0.5, seed: int = 0) -> dict[str, float]:
    nn.manual_seed(seed)  # the same starting weights on every run
    model = nn.MLP([2, hidden, 1], activation=nn.Tanh)
    optimizer = nn.optim.SGD(model.parameters(), lr=lr)
    history = nn.fit(
        model, nn.BCEWithLogitsLoss(), optimizer, INPUTS, TARGETS, epochs=epochs, quiet=True
    )

    with no_grad():
        probabilities = model(Tensor(INPUTS)).sigmoid().numpy()
    predictions = (probabilities > 0.5).astype(float)
    accuracy = float((predictions == TARGETS).mean())

    print(f"Trained a 2-{hidden}-1 tanh network for {len(history)} epochs (SGD, lr = {lr})")
    print(f"loss: first epoch {history[0]:.4f}, last epoch {history[-1]:.4f}\n")
    print(" x1 x2 | target | p(1)   | prediction")
    for (x1, x2), target, p, guess in zip(INPUTS, TARGETS[:, 0], probabilities[:, 0],
                                          predictions[:, 0]):  # fmt: skip
        mark = "ok" if guess == target else "WRONG"
        print(f"  {x1:.0f}  {x2:.0f} |   {target:.0f}    | {p:.4f} |   {guess:.0f}  {mark}")
    print(f"\naccuracy: {accuracy:.0%}")
    return {"loss": history[-1], "accuracy": accuracy, "epochs": len(history)}


if __name__ == "__main__":
    main()
