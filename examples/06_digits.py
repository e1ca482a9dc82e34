"""Example 6: real data, the 8x8 handwritten digits that ship inside scikit-learn.

`sklearn.datasets.load_digits()` reads 1,797 small grey images of the digits 0-9 from a
file inside the scikit-learn package: no download. Each image is 8x8 pixels with values
0..16; we flatten it into 64 numbers and divide by 16 so every input lies in [0, 1].

We keep a quarter of the images aside (a split fixed by a seed) and never train on them:
the accuracy on these test images measures whether the network learned digits or only
memorised its training images. The network is a 64-64-10 MLP with ReLU; its 10 outputs
are logits, one per digit, and the loss is the cross-entropy of their softmax,

    J = -1/m sum log softmax(logits)[true digit]       (`nn.CrossEntropyLoss`),

minimised with Adam in mini-batches of 32. The predicted digit is the largest logit.
Finally the loss of every epoch is drawn as a curve, on the training images (the mean of
the batch losses during the epoch, as `nn.fit` reports it) and on the test images (measured
after the epoch). Where the test curve stops falling while the training curve goes on, the
network has begun to memorise.

Needs scikit-learn and matplotlib:  pip install -e ".[examples]"
(without scikit-learn the script stops with exit status 2; without matplotlib it still
trains and only skips the picture).

Run:  python examples/06_digits.py [output.png]     (default out/digits_loss.png)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

import nn
from autograd_lite import Tensor, no_grad

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "out" / "digits_loss.png"
INSTALL_HINT = 'pip install -e ".[examples]"'


def load_split(test_fraction: float, seed: int) -> tuple[np.ndarray, ...]:
    """(train_x, train_y, test_x, test_y): pixels scaled to [0, 1], integer digit labels."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.data / 16.0  # 0..16 grey levels -> [0, 1]
    order = np.random.default_rng(seed).permutation(len(images))
    test_count = round(test_fraction * len(images))
    test, train = order[:test_count], order[test_count:]
    return images[train], digits.target[train], images[test], digits.target[test]


def accuracy(model: nn.Module, images: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of images whose largest logit is the true digit."""
    with no_grad():
        logits = model(Tensor(images)).numpy()
    return float((logits.argmax(axis=1) == labels).mean())


def draw_loss_curve(
    train_losses: list[float], test_losses: list[float], test_accuracy: float, path: Path
) -> bool:
    """Write the training and test loss curves to ``path``; False if matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # draw to a file, no window needed
        import matplotlib.pyplot as plt
    except ImportError:
        return False

    figure, axes = plt.subplots(figsize=(6, 4))
    epochs = range(1, len(train_losses) + 1)
    axes.plot(epochs, train_losses, marker="o", markersize=3, label="training images")
    axes.plot(epochs, test_losses, marker="s", markersize=3, label="test images (never trained on)")
    axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_ylabel("cross-entropy loss (log scale)")
    axes.legend()
    axes.set_title(f"8x8 digits, 64-64-10 ReLU MLP: {test_accuracy:.1%} test accuracy")
    axes.grid(True, which="both", alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)
    return True


def main(
    output: str | Path = DEFAULT_OUTPUT,
    epochs: int = 30,
    hidden: int = 64,
    batch_size: int = 32,
    lr: float = 0.003,
    test_fraction: float = 0.25,
    seed: int = 0,
) -> dict[str, object]:
    try:
        train_x, train_y, test_x, test_y = load_split(test_fraction, seed)
    except ImportError:
        print(f"This example needs scikit-learn for its data set: {INSTALL_HINT}", file=sys.stderr)
        raise SystemExit(2) from None

    nn.manual_seed(seed)  # the same starting weights and batches on every run
    model = nn.MLP([64, hidden, 10], activation=nn.ReLU)
    optimizer = nn.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    train_losses: list[float] = []
    test_losses: list[float] = []
    start = time.perf_counter()
    for _ in range(epochs):  # one epoch per call, to measure the test loss after each
        train_losses += nn.fit(
            model, loss_fn, optimizer, train_x, train_y, epochs=1, batch_size=batch_size, quiet=True
        )
        with no_grad():
            test_losses.append(loss_fn(model(Tensor(test_x)), test_y).item())
    seconds = time.perf_counter() - start

    train_accuracy = accuracy(model, train_x, train_y)
    test_accuracy = accuracy(model, test_x, test_y)
    print(f"{len(train_x)} training images, {len(test_x)} test images")
    print(f"trained 64-{hidden}-10 for {epochs} epochs in {seconds:.1f} s")
    print(f"training loss: first epoch {train_losses[0]:.4f}, last {train_losses[-1]:.4f}")
    print(f"test loss after the last epoch: {test_losses[-1]:.4f}")
    print(f"accuracy: {train_accuracy:.1%} on training images, {test_accuracy:.1%} on test images")

    picture = Path(output)
    drawn = draw_loss_curve(train_losses, test_losses, test_accuracy, picture)
    if drawn:
        print(f"loss curve written to {picture}")
    else:
        print(f"no picture: matplotlib is missing; install it with  {INSTALL_HINT}")
    return {
        "loss": train_losses[-1],
        "train_losses": train_losses,
        "test_losses": test_losses,
        "train_accuracy": train_accuracy,
        "test_accuracy": test_accuracy,
        "seconds": seconds,
        "picture": picture if drawn else None,
    }


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUTPUT)
