"""`fit`: the training loop of documents 000 and 001, over mini-batches of NumPy arrays.

One epoch is one pass over the data in shuffled mini-batches; each batch does
forward -> loss -> backward -> optimizer step. Training stops after ``epochs`` epochs, or
earlier at the first epoch whose loss falls below ``loss_threshold`` (document 001: "1000
epochs, or an error threshold of 0.001").
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any, TextIO

import numpy as np

from autograd_lite import Tensor

from .init import default_generator
from .module import Module
from .optim import Optimizer

_BAR_WIDTH = 24
_REDRAW_SECONDS = 0.1


def _as_array(name: str, values: Any) -> np.ndarray:
    array = values.data if isinstance(values, Tensor) else np.asarray(values)
    if array.ndim == 0:
        raise ValueError(f"fit: {name} must have a sample axis (got a 0-d array)")
    return array


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"fit: {name} must be a positive integer, got {value!r}")
    return int(value)


class _ProgressBar:
    """One line redrawn in place: epoch counter, bar, current loss. Silent unless enabled."""

    def __init__(self, stream: TextIO, total: int, enabled: bool) -> None:
        self.stream, self.total, self.enabled = stream, total, enabled
        self.last_draw = -math.inf
        self.drawn = False

    def update(self, epoch: int, loss: float, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self.last_draw < _REDRAW_SECONDS):
            return
        filled = round(_BAR_WIDTH * epoch / self.total)
        bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
        width = len(str(self.total))
        self.stream.write(f"\repoch {epoch:>{width}}/{self.total} [{bar}] loss {loss:.6g}")
        self.stream.flush()
        self.last_draw, self.drawn = now, True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def fit(
    model: Module,
    loss_fn: Any,
    optimizer: Optimizer,
    inputs: Any,
    targets: Any,
    *,
    epochs: int = 1000,
    batch_size: int | None = None,
    shuffle: bool = True,
    loss_threshold: float | None = None,
    generator: np.random.Generator | None = None,
    quiet: bool = False,
    stream: TextIO | None = None,
) -> list[float]:
    """Train ``model`` on (inputs, targets) with mini-batch gradient descent.

    Args:
        model: the module to train (put in training mode during the run; every submodule's
            own mode is restored after).
        loss_fn: called as ``loss_fn(prediction, target_batch)``, returns a 0-d Tensor.
        optimizer: updates the model's parameters after every batch.
        inputs: array of samples, first axis = samples.
        targets: array with the same number of samples (integer classes stay integer).
        epochs: maximum number of passes over the data.
        batch_size: samples per update; None means the whole data set (full batch).
        shuffle: visit the samples in a new random order every epoch.
        loss_threshold: stop after the first epoch whose loss is below this value.
        generator: source of the shuffling (default: the global one of `nn.manual_seed`).
        quiet: never draw the progress bar.
        stream: where the bar goes (default stderr); it is drawn only if this is a TTY.

    Returns:
        The loss of every epoch run: the batch losses, each measured before its update,
        averaged with the batch sizes as weights (for a "mean" loss, the mean over the epoch's
        samples; with one full batch, exactly the loss before that epoch's update).

    Raises:
        ValueError: for mismatched sample counts, empty data or non-positive settings.

    Example:
        >>> model = Linear(1, 1); opt = optim.SGD(model.parameters(), lr=0.1)
        >>> x = np.array([[0.0], [1.0]]); y = 2 * x
        >>> history = fit(model, MSELoss(), opt, x, y, epochs=200, quiet=True)
    """
    input_array, target_array = _as_array("inputs", inputs), _as_array("targets", targets)
    samples = input_array.shape[0]
    if target_array.shape[0] != samples:
        raise ValueError(
            f"fit: inputs have {samples} samples (shape {input_array.shape}) but targets have "
            f"{target_array.shape[0]} (shape {target_array.shape})"
        )
    if samples == 0:
        raise ValueError("fit: there are no samples to train on")
    epochs = _positive_int("epochs", epochs)
    batch_size = samples if batch_size is None else _positive_int("batch_size", batch_size)
    rng = default_generator() if generator is None else generator
    stream = sys.stderr if stream is None else stream
    is_terminal = bool(getattr(stream, "isatty", lambda: False)())
    bar = _ProgressBar(stream, epochs, enabled=is_terminal and not quiet)

    modes = [(module, module.training) for module in model.modules()]
    model.train()
    history: list[float] = []
    try:
        for epoch in range(1, epochs + 1):
            order = rng.permutation(samples) if shuffle else np.arange(samples)
            epoch_loss = 0.0
            for start in range(0, samples, batch_size):
                batch = order[start : start + batch_size]
                optimizer.zero_grad()
                loss = loss_fn(model(Tensor(input_array[batch])), target_array[batch])
                loss.backward()
                optimizer.step()
                # weight n_batch / n: exactly 1.0 for a full batch, so no rounding is added
                epoch_loss += loss.item() * (len(batch) / samples)
            history.append(epoch_loss)
            finished = loss_threshold is not None and history[-1] < loss_threshold
            bar.update(epoch, history[-1], force=finished or epoch == epochs)
            if finished:
                break
    finally:
        bar.close()
        for module, was_training in modes:  # each its own mode, not the root's for all
            object.__setattr__(module, "training", was_training)
    return history
