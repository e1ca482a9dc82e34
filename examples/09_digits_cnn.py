"""Example 9: a convolutional network on the 8x8 digits, its filters, and its gradients checked.

The data are example 6's: the 1,797 8x8 grey images of digits that ship inside scikit-learn
(`load_digits`, no download), scaled to [0, 1], a quarter of them kept aside as test images
by a seeded shuffle. Example 6 flattened each image into 64 numbers, so its MLP had to learn
separately that a stroke at the top left and the same stroke one pixel further right mean
the same thing. A convolution knows this from its structure: it slides one small kernel of
weights over every position of the image,

    out[c, i, j] = bias[c] + sum over k, u, v of  weight[c, k, u, v] * x[k, i + u, j + v],

so the same detector (a "filter": an edge, an end of a stroke, a curve) is looked for
everywhere, with few weights. The network, with the shape of one batch of N images after
each stage:

    input                                             (N, 1, 8, 8)    one grey channel
    Conv2d(1, 32, 5, padding=2), BatchNorm2d, ReLU    (N, 32, 8, 8)   32 filters of 5x5
    Conv2d(32, 64, 3, padding=1), BatchNorm2d, ReLU   (N, 64, 8, 8)
    MaxPool2d(2)                                      (N, 64, 4, 4)   largest of each 2x2
    Conv2d(64, 128, 3, padding=1), BatchNorm2d, ReLU  (N, 128, 4, 4)
    MaxPool2d(2)                                      (N, 128, 2, 2)
    Flatten, Dropout(0.3)                             (N, 512)
    Linear(512, 10)                                   (N, 10)         one logit per digit

The padding keeps each convolution's output the size of its input. **BatchNorm2d**
normalises every channel to mean 0 and variance 1 over the batch and the pixels, then
scales and shifts it by two learned numbers; each layer then sees inputs of a steady scale
whatever the layers before it do, which lets a large learning rate work (in evaluation it
uses running averages of those statistics instead of the batch's). **MaxPool2d(2)** keeps
the strongest response in each 2x2 block: it halves the height and width, and a feature
moved by one pixel often gives the same pooled value. **Dropout(0.3)** zeroes 30% of the
512 features at random in each training step (and scales the rest by 1/0.7), so the last
layer cannot lean on any single one; in evaluation it does nothing.

Training minimises the cross-entropy of the logits (as in example 6), with label smoothing
0.1: the target is not "all the probability on the true digit" but 0.91 on it and 0.01 on
each other digit, so the loss stops falling once the true digit's logit leads by a
reasonable margin instead of rewarding ever larger logits on images it already gets right
(its floor is the entropy of that target, about 0.50 nats). The optimizer is AdamW, Adam
with a decoupled weight decay, over mini-batches of 32 from an `nn.data.DataLoader`. The
learning rate follows a one-cycle schedule (`OneCycleLR`): it rises to `max_lr` during the
first 30% of the steps and then falls, on a cosine, to almost zero, so the last epochs
settle into a minimum instead of jumping around it.

**Data augmentation.** 1,348 training images are few for 99,000 weights. Each time the
loader reads a training image, our `ShiftedDigits` dataset moves it by a random whole pixel,
-1, 0 or +1 in each direction (the uncovered border is 0, the background): a digit moved by
one pixel is still the same digit, so every epoch shows the network slightly different
images and it cannot memorise exact pixel positions. The test images are never shifted.

After training, the script draws the 32 learned 5x5 filters of the first layer, and what
each one finds in a test digit; and it runs `diagnose_grads` on the loss of one batch,
which says for every parameter whether a gradient reaches it and, when not, why (dead ReLU
units, a detached path, ...): a check that nothing in the network is silently not learning.

Quick mode (`AUTOGRAD_LITE_QUICK=1` or `--quick`, used by the tests) trains 3 epochs
instead of 30. Numbers are float32 (PyTorch's default): half the memory traffic of float64,
and its round-off (1e-7) is far below what training notices.

Needs scikit-learn (without it the script stops with exit status 2) and matplotlib for the
picture (without it the script still trains and only skips the picture):
pip install -e ".[examples]"

Run:  python examples/09_digits_cnn.py [--quick] [--out DIR] [--filters-to PATH]
      [--epochs N] [--no-shift] [--seed S]
The picture goes to out/digits_cnn_filters.png at the root of the clone, or to DIR, or to
exactly PATH with --filters-to (the README's picture: --filters-to docs/digits_cnn_filters.png).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

import numpy as np

import nn
from autograd_lite import Tensor, diagnose_grads, no_grad

OUT_DIR = Path(__file__).resolve().parent.parent / "out"
PICTURE_NAME = "digits_cnn_filters.png"
INSTALL_HINT = 'pip install -e ".[examples]"'
DTYPE = np.float32


def quick_from_environment() -> bool:
    """True when AUTOGRAD_LITE_QUICK=1: the tests' small, fast run."""
    return os.environ.get("AUTOGRAD_LITE_QUICK") == "1"


def one_blas_thread() -> contextlib.AbstractContextManager[object]:
    """One BLAS thread for NumPy's matrix products inside the ``with`` block: on matrices
    this small a second thread gains little, and on a busy 2-core machine the threads wait
    for each other (training steps measured 6 to 100 times slower). threadpoolctl comes with
    scikit-learn (the examples extra); without it nothing changes."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def load_split(test_fraction: float, seed: int) -> tuple[np.ndarray, ...]:
    """(train_x, train_y, test_x, test_y): images (N, 1, 8, 8) in [0, 1], integer labels.

    The split is example 6's: the same seed keeps the same test images aside.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images / 16.0).astype(DTYPE)[:, None]  # 0..16 grey levels -> [0, 1]
    order = np.random.default_rng(seed).permutation(len(images))
    test_count = round(test_fraction * len(images))
    test, train = order[:test_count], order[test_count:]
    return images[train], digits.target[train], images[test], digits.target[test]


class ShiftedDigits(nn.data.Dataset):
    """Training images moved by a random whole pixel (up to ``max_shift``) at every read.

    The images are padded with ``max_shift`` rows and columns of zeros once; reading sample
    i cuts an 8x8 window out of the padded image at a random offset, which is the image
    moved by -max_shift..+max_shift pixels in each direction. ``max_shift=0`` gives the
    images unchanged.
    """

    def __init__(
        self, images: np.ndarray, labels: np.ndarray, rng: np.random.Generator, max_shift: int = 1
    ) -> None:
        if max_shift < 0:
            raise ValueError(f"ShiftedDigits: max_shift must be >= 0, got {max_shift}")
        pad = ((0, 0), (0, 0), (max_shift, max_shift), (max_shift, max_shift))
        self.padded = np.pad(images, pad)
        self.labels = labels
        self.rng = rng
        self.max_shift = max_shift
        self.height, self.width = images.shape[-2:]

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.int64]:
        row, column = self.rng.integers(0, 2 * self.max_shift + 1, size=2)
        window = self.padded[index, :, row : row + self.height, column : column + self.width]
        return window, self.labels[index]


def build_model() -> nn.Sequential:
    """The CNN of the docstring; its first layer, model[0], holds the filters we draw."""
    return nn.Sequential(
        nn.Conv2d(1, 32, kernel_size=5, padding=2, dtype=DTYPE),  # (N, 32, 8, 8)
        nn.BatchNorm2d(32, dtype=DTYPE),
        nn.ReLU(),
        nn.Conv2d(32, 64, kernel_size=3, padding=1, dtype=DTYPE),  # (N, 64, 8, 8)
        nn.BatchNorm2d(64, dtype=DTYPE),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 64, 4, 4)
        nn.Conv2d(64, 128, kernel_size=3, padding=1, dtype=DTYPE),  # (N, 128, 4, 4)
        nn.BatchNorm2d(128, dtype=DTYPE),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 128, 2, 2)
        nn.Flatten(),  # (N, 512)
        nn.Dropout(0.3),
        nn.Linear(512, 10, dtype=DTYPE),
    )


def accuracy(model: nn.Module, images: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of images whose largest logit is the true digit (the model in eval mode)."""
    model.eval()  # BatchNorm's running statistics, no dropout
    with no_grad():
        logits = model(Tensor(images)).numpy()
    return float((logits.argmax(axis=1) == labels).mean())


def draw_filters(model: nn.Sequential, image: np.ndarray, label: int, path: Path) -> bool:
    """Draw the first layer's filters and their maps of ``image``; False without matplotlib.

    Top rows: the 32 learned 5x5 kernels, each on its own colour scale centred on 0
    (red positive, blue negative), so its pattern shows whatever its size. Bottom rows:
    what the second convolution reads from each, the first layer's output for the test
    image at the left after BatchNorm and ReLU (in eval mode): bright where the filter found
    its pattern, black where the ReLU cut it off.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")  # draw to a file, no window needed
        import matplotlib.pyplot as plt
    except ImportError:
        return False

    kernels = model[0].weight.numpy()[:, 0]  # (32, 5, 5)
    model.eval()
    with no_grad():
        maps = model[2](model[1](model[0](Tensor(image[None])))).numpy()[0]  # (32, 8, 8)
    columns = 16
    rows = -(-len(kernels) // columns)  # filters' rows; as many again for their maps
    figure = plt.figure(figsize=(15, 1.0 * 2 * rows + 0.9))
    grid = figure.add_gridspec(
        2 * rows, columns + 1, width_ratios=[2.5] + [1] * columns, wspace=0.12, hspace=0.25
    )
    digit = figure.add_subplot(grid[rows - 1 : rows + 1, 0])
    digit.imshow(image[0], cmap="gray_r", vmin=0, vmax=1)
    digit.set_title(f"test image (a {label})", fontsize=10)
    digit.set_axis_off()
    for index in range(len(kernels)):
        row, column = divmod(index, columns)
        limit = float(np.abs(kernels[index]).max()) or 1.0
        axes = figure.add_subplot(grid[row, column + 1])
        axes.imshow(kernels[index], cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes.set_title(str(index), fontsize=7, pad=2)
        axes.set_axis_off()
        axes = figure.add_subplot(grid[row + rows, column + 1])
        axes.imshow(maps[index], cmap="magma", vmin=0)
        axes.set_axis_off()
    figure.suptitle(
        f"The digits CNN's {len(kernels)} first-layer 5x5 filters (top {rows} rows; red > 0 > "
        f"blue)\nand their maps of the test image after BatchNorm and ReLU (bottom {rows} rows; "
        "bright = found)",
        fontsize=11,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)
    return True


def train(
    model: nn.Module,
    loader: nn.data.DataLoader,
    test_x: np.ndarray,
    test_y: np.ndarray,
    epochs: int,
    max_lr: float,
    weight_decay: float,
    label_smoothing: float,
) -> tuple[list[float], list[float]]:
    """AdamW with a one-cycle schedule; returns each epoch's mean loss and test accuracy."""
    optimizer = nn.optim.AdamW(model.parameters(), lr=max_lr, weight_decay=weight_decay)
    scheduler = nn.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=max_lr, epochs=epochs, steps_per_epoch=len(loader)
    )
    epoch_losses: list[float] = []
    test_accuracies: list[float] = []
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):  # one epoch per call, to watch the test accuracy
        epoch_losses += nn.fit(
            model,
            nn.CrossEntropyLoss(label_smoothing=label_smoothing),
            optimizer,
            loader,
            epochs=1,
            scheduler=scheduler,
            scheduler_interval="batch",  # OneCycleLR moves the rate after every batch
            quiet=True,
        )
        # watched only, never used to choose anything: the epochs are fixed in advance
        test_accuracies.append(accuracy(model, test_x, test_y))
        print(
            f"epoch {epoch:2d}  training loss {epoch_losses[-1]:.4f}  "
            f"test accuracy {test_accuracies[-1]:.1%}  ({time.perf_counter() - start:.0f} s)"
        )
    return epoch_losses, test_accuracies


def main(
    quick: bool | None = None,
    out_dir: str | Path = OUT_DIR,
    filters_to: str | Path | None = None,
    epochs: int | None = None,
    batch_size: int = 32,
    max_lr: float = 0.01,
    weight_decay: float = 0.01,
    label_smoothing: float = 0.1,
    max_shift: int = 1,
    test_fraction: float = 0.25,
    seed: int = 0,
) -> dict[str, object]:
    """Train the CNN, print its accuracy, time and gradient diagnosis, draw its filters.

    Args:
        quick: 3 epochs instead of 30; None reads AUTOGRAD_LITE_QUICK.
        out_dir: where the picture goes (as ``digits_cnn_filters.png``).
        filters_to: the picture's exact path instead (overrides ``out_dir``).
        epochs: overrides the mode's number of epochs.
        batch_size, max_lr, weight_decay: the DataLoader's, OneCycleLR's and AdamW's.
        label_smoothing: the cross-entropy's (0: none).
        max_shift: the augmentation's largest shift in pixels (0: none).
        test_fraction, seed: the split (example 6's), the weights, batches and shifts.

    Returns:
        A dict: ``test_accuracy``, ``train_accuracy``, ``epoch_losses`` (mean training loss
        of each epoch), ``test_accuracies`` (after each epoch), ``seconds`` (training),
        ``epochs``, ``diagnosis`` (the `diagnose_grads` report), ``picture`` (None without
        matplotlib).
    """
    quick = quick_from_environment() if quick is None else quick
    epochs = epochs if epochs is not None else (3 if quick else 30)
    try:
        train_x, train_y, test_x, test_y = load_split(test_fraction, seed)
    except ImportError:
        print(f"This example needs scikit-learn for its data set: {INSTALL_HINT}", file=sys.stderr)
        raise SystemExit(2) from None

    nn.manual_seed(seed)  # the same starting weights and dropout masks on every run
    shuffle_seed, shift_seed = np.random.SeedSequence(seed).spawn(2)
    model = build_model()
    print(model)
    shifted = ShiftedDigits(train_x, train_y, np.random.default_rng(shift_seed), max_shift)
    loader = nn.data.DataLoader(
        shifted, batch_size=batch_size, shuffle=True, generator=np.random.default_rng(shuffle_seed)
    )
    print(f"{len(train_x)} training images (shifted by up to {max_shift} px), {len(test_x)} test")

    # one BLAS thread: even the largest product of a step, 2048 x 288 times 288 x 64 (the
    # second convolution's im2col), is too small to share between threads
    with one_blas_thread():
        start = time.perf_counter()
        epoch_losses, test_accuracies = train(
            model, loader, test_x, test_y, epochs, max_lr, weight_decay, label_smoothing
        )
        seconds = time.perf_counter() - start
        train_accuracy = accuracy(model, train_x, train_y)
        test_accuracy = test_accuracies[-1]
        errors = round((1 - test_accuracy) * len(test_x))
        print(f"trained for {epochs} epochs in {seconds:.1f} s")
        print(
            f"accuracy: {train_accuracy:.2%} on training images, {test_accuracy:.2%} on test "
            f"images ({errors} of {len(test_x)} wrong)"
        )

        # The loss of one batch of training images, in eval mode: no dropout mask is drawn
        # and BatchNorm's running statistics stay as trained, so the model is left as tested.
        model.eval()
        loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
        loss = loss_fn(model(Tensor(train_x[:batch_size])), train_y[:batch_size])
        diagnosis = diagnose_grads(loss, model)
        print(diagnosis)

    picture = Path(filters_to) if filters_to is not None else Path(out_dir) / PICTURE_NAME
    drawn = draw_filters(model, test_x[0], int(test_y[0]), picture)
    if drawn:
        print(f"filters written to {picture}")
    else:
        print(f"no picture: matplotlib is missing; install it with  {INSTALL_HINT}")
    return {
        "test_accuracy": test_accuracy,
        "train_accuracy": train_accuracy,
        "epoch_losses": epoch_losses,
        "test_accuracies": test_accuracies,
        "seconds": seconds,
        "epochs": epochs,
        "diagnosis": diagnosis,
        "picture": picture if drawn else None,
    }


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """The command line of the docstring's Run line."""
    parser = argparse.ArgumentParser(description="A CNN on scikit-learn's 8x8 digits.")
    parser.add_argument("--quick", action="store_true", help="3 epochs (as AUTOGRAD_LITE_QUICK=1)")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="directory for the picture")
    parser.add_argument("--filters-to", type=Path, help="exact path of the filters picture")
    parser.add_argument("--epochs", type=int, help="number of epochs (default 30, quick 3)")
    parser.add_argument("--no-shift", action="store_true", help="train without shifted images")
    parser.add_argument("--seed", type=int, default=0, help="split, weights, batches, shifts")
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_arguments(sys.argv[1:])
    main(
        quick=True if arguments.quick else None,
        out_dir=arguments.out,
        filters_to=arguments.filters_to,
        epochs=arguments.epochs,
        max_shift=0 if arguments.no_shift else 1,
        seed=arguments.seed,
    )
