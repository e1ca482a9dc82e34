"""Example 1: the chain of document 001, one input through two sigmoid neurons, with Values.

    z1 = x*w1 + b1,  a1 = sigmoid(z1),  z2 = a1*w2 + b2,  a2 = sigmoid(z2),
    E = 1/2 (T - a2)^2

The chain rule gives dE/dw2 = dE/da2 * da2/dz2 * dz2/dw2 = -(T - a2) * a2(1 - a2) * a1.
The engine finds the same number by walking the graph backwards. We then train with
w <- w - 0.4 * dE/dw until the error is below 0.001 or 1000 epochs have passed.

Run:  python examples/01_single_neuron_chain.py
"""

from __future__ import annotations

import sys

from autograd_lite import Value


def forward(p: dict[str, float]) -> dict[str, Value]:
    """One forward pass; every parameter becomes a fresh Value so its .grad starts at 0."""
    v = {name: Value(number, label=name) for name, number in p.items()}
    v["z1"] = v["x"] * v["w1"] + v["b1"]
    v["a1"] = v["z1"].sigmoid()
    v["z2"] = v["a1"] * v["w2"] + v["b2"]
    v["a2"] = v["z2"].sigmoid()
    v["E"] = 0.5 * (v["T"] - v["a2"]) ** 2
    return v


def main(epochs: int = 1000, threshold: float = 0.001, lr: float = 0.4) -> dict[str, float]:
    # Document 001's pictures are lost; these starting values reproduce its tables.
    p = {"x": 0.1, "w1": 0.15, "b1": 0.4, "w2": 0.45, "b2": 0.65, "T": 0.25}

    v = forward(p)
    print("Forward pass (document 001: z1 0.415, a1 0.6023, z2 0.9210, a2 0.7153)")
    for name in ("z1", "a1", "z2", "a2", "E"):
        print(f"  {name} = {v[name].data:.6f}")

    v["E"].backward()
    by_hand = -(p["T"] - v["a2"].data) * v["a2"].data * (1 - v["a2"].data) * v["a1"].data
    print(f"\ndE/dw2 by the chain rule: {by_hand:.9f}")
    print(f"dE/dw2 by the engine:     {v['w2'].grad:.9f}")

    history = []
    for epoch in range(1, epochs + 1):
        v = forward(p)
        v["E"].backward()
        history.append(v["E"].data)
        for name in ("w1", "b1", "w2", "b2"):
            p[name] -= lr * v[name].grad
        if epoch == 1:
            print(
                "\nAfter the first update (document 001: w2 0.427, b2 0.612, w1 0.1496, b1 0.3959)"
            )
            print("  " + ", ".join(f"{n} = {p[n]:.4f}" for n in ("w2", "b2", "w1", "b1")))
        if history[-1] < threshold:
            break
    print(f"\nStopped after {len(history)} epochs with E = {history[-1]:.6f}")
    print(f"The network now predicts a2 = {forward(p)['a2'].data:.4f} for the target 0.25")
    return {"epochs": len(history), "error": history[-1], **p}


if __name__ == "__main__":
    main()
    sys.exit(0)
