"""Example 5: two interleaving half-moons, an MLP classifier and its decision boundary.

The data are made here with NumPy. The upper moon is the half circle (cos t, sin t) and the
lower moon the half circle (1 - cos t, 1/2 - sin t), t in [0, pi], each point shifted by
Gaussian noise. Each moon reaches into the other's hollow, so again no straight line
separates them (as in XOR, example 4), but now there are hundreds of noisy points.

A 2-16-16-1 tanh network outputs one logit per point; p = sigmoid(logit) is the probability
of the lower moon. We train it with the binary cross-entropy from logits and Adam, in
mini-batches, then colour every point of a grid by the class the network gives it: the
edge between the colours is the decision boundary, the curve where p = 1/2.

The picture needs matplotlib (`pip install -e ".[examples]"`); without it the script
still trains and reports its accuracy.

Run:  python examples/05_two_moons.py [output.png]     (default out/two_moons.png)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import nn
from autograd_lite import Tensor, no_grad

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "out" / "two_moons.png"


def make_moons(samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Points (samples, 2) and labels (samples, 1): 0 for the upper moon, 1 for the lower."""
    upper = samples // 2
    t = rng.uniform(0.0, np.pi, size=samples)
    x = np.where(np.arange(samples) < upper, np.cos(t), 1.0 - np.cos(t))
    y = np.where(np.arange(samples) < upper, np.sin(t), 0.5 - np.sin(t))
    points = np.stack([x, y], axis=1) + rng.normal(scale=noise, size=(samples, 2))
    labels = (np.arange(samples) >= upper).astype(float).reshape(-1, 1)
    return points, labels


def predict_probability(model: nn.Module, points: np.ndarray) -> np.ndarray:
    """p(lower moon) for each point, without recording a graph."""
    with no_grad():
        return model(Tensor(points)).sigmoid().numpy()


def draw_boundary(model: nn.Module, points: np.ndarray, labels: np.ndarray, path: Path) -> bool:
    """Write the decision-boundary picture to ``path``; False if matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # draw to a file, no window needed
        import matplotlib.pyplot as plt
    except ImportError:
        return False

    low, high = points.min(axis=0) - 0.5, points.max(axis=0) + 0.5
    grid_x, grid_y = np.meshgrid(
        np.linspace(low[0], high[0], 200), np.linspace(low[1], high[1], 200)
    )
    grid = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)
    probability = predict_probability(model, grid).reshape(grid_x.shape)

    figure, axes = plt.subplots(figsize=(6, 4.5))
    axes.contourf(grid_x, grid_y, probability, levels=np.linspace(0, 1, 11), cmap="RdBu", alpha=0.6)
    axes.contour(grid_x, grid_y, probability, levels=[0.5], colors="black", linewidths=1.5)
    for label, colour, name in ((0, "tab:red", "upper moon"), (1, "tab:blue", "lower moon")):
        chosen = labels[:, 0] == label
        axes.scatter(
            points[chosen, 0], points[chosen, 1], s=12, c=colour, edgecolors="white", label=name
        )
    axes.set_title("Two moons: a 2-16-16-1 tanh MLP, boundary where p = 1/2")
    axes.legend(loc="upper right")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)
    return True


def main(
    output: str | Path = DEFAULT_OUTPUT,
    samples: int = 400,
    noise: float = 0.15,
    epochs: int = 100,
    batch_size: int = 32,
    lr: float = 0.01,
    seed: int = 0,
) -> dict[str, object]:
    rng = nn.manual_seed(seed)  # fixes the data, the starting weights and the shuffling
    points, labels = make_moons(samples, noise, rng)
    test_points, test_labels = make_moons(samples, noise, rng)  # fresh points, never trained on
    model = nn.MLP([2, 16, 16, 1], activation=nn.Tanh)
    optimizer = nn.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    history = nn.fit(
        model, loss_fn, optimizer, points, labels, epochs=epochs, batch_size=batch_size
    )

    accuracy = float(((predict_probability(model, points) > 0.5) == labels).mean())
    test_accuracy = float(((predict_probability(model, test_points) > 0.5) == test_labels).mean())
    print(f"{samples} points, noise {noise}: trained for {len(history)} epochs with Adam")
    print(f"loss: first epoch {history[0]:.4f}, last epoch {history[-1]:.4f}")
    print(f"accuracy: {accuracy:.1%} on the training points, {test_accuracy:.1%} on new ones")

    picture = Path(output)
    drawn = draw_boundary(model, points, labels, picture)
    if drawn:
        print(f"decision boundary written to {picture}")
    else:
        print('no picture: matplotlib is missing; install it with  pip install -e ".[examples]"')
    return {
        "loss": history[-1],
        "accuracy": accuracy,
        "test_accuracy": test_accuracy,
        "picture": picture if drawn else None,
    }


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUTPUT)
