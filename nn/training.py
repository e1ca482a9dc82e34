"""`fit`: the training loop of documents 000 and 001, over arrays or a `DataLoader`.

One epoch is one pass over the data in mini-batches; each batch does
forward -> loss -> backward -> (clipping) -> optimizer step (-> scheduler step, per batch).
Training stops after ``epochs`` epochs, or earlier at the first epoch whose loss falls below
``loss_threshold`` (document 001: "1000 epochs, or an error threshold of 0.001"). The
progress bar is tqdm's (``tqdm.auto``: a widget in Jupyter, a text line on a terminal).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any, TextIO

import numpy as np

from autograd_lite import Tensor

from .data import DataLoader
from .init import default_generator
from .module import Module
from .optim import Optimizer
from .utils import clip_grad_norm_


def _as_array(name: str, values: Any) -> np.ndarray:
    array = values.data if isinstance(values, Tensor) else np.asarray(values)
    if array.ndim == 0:
        raise ValueError(f"fit: {name} must have a sample axis (got a 0-d array)")
    return array


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"fit: {name} must be a positive integer, got {value!r}")
    return int(value)


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (where tqdm.auto draws a widget); IPython is only looked
    up, never imported."""
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    try:
        shell = get() if get is not None else None
    except Exception:  # noqa: BLE001 - any failure means: not a notebook
        return False
    return shell is not None and type(shell).__name__ in ("ZMQInteractiveShell", "Shell")


def _progress_bar(epochs: int, stream: TextIO, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm  # imported when a bar is drawn

    return tqdm(total=epochs, desc="epoch", unit="epoch", file=stream, mininterval=0.1)


def _array_batches(
    inputs: np.ndarray, targets: np.ndarray, batch_size: int, shuffle: bool, rng: Any
) -> Iterator[tuple[Tensor, np.ndarray]]:
    samples = inputs.shape[0]
    order = rng.permutation(samples) if shuffle else np.arange(samples)
    for start in range(0, samples, batch_size):
        batch = order[start : start + batch_size]
        yield Tensor(inputs[batch]), targets[batch]


def _loader_batches(loader: DataLoader) -> Iterator[tuple[Any, Any]]:
    for number, batch in enumerate(loader):
        if not isinstance(batch, (tuple, list)) or len(batch) != 2:
            raise ValueError(
                f"fit: batch {number} of the DataLoader is not a pair (inputs, targets)"
            )
        inputs, targets = batch
        yield (inputs if isinstance(inputs, Tensor) else Tensor(inputs)), targets


def fit(
    model: Module,
    loss_fn: Any,
    optimizer: Optimizer,
    inputs: Any,
    targets: Any = None,
    *,
    epochs: int = 1000,
    batch_size: int | None = None,
    shuffle: bool | None = None,
    loss_threshold: float | None = None,
    generator: np.random.Generator | None = None,
    scheduler: Any = None,
    scheduler_interval: str = "epoch",
    max_grad_norm: float | None = None,
    quiet: bool = False,
    stream: TextIO | None = None,
) -> list[float]:
    """Train ``model`` on (inputs, targets), or on the batches of a `DataLoader`.

    Args:
        model: the module to train (put in training mode during the run; every submodule's
            own mode is restored after).
        loss_fn: called as ``loss_fn(prediction, target_batch)``, returns a 0-d Tensor.
        optimizer: updates the model's parameters after every batch.
        inputs: array of samples (first axis = samples), or a `DataLoader` yielding
            ``(inputs, targets)`` pairs (then leave out targets, batch_size, shuffle and
            generator: the loader decides them).
        targets: array with the same number of samples (integer classes stay integer).
        epochs: maximum number of passes over the data.
        batch_size: samples per update; None means the whole data set (full batch).
        shuffle: visit the samples in a new random order every epoch (default True).
        loss_threshold: stop after the first epoch whose loss is below this value.
        generator: source of the shuffling (default: the global one of `nn.manual_seed`).
        scheduler: a learning-rate scheduler, stepped after every epoch or batch.
        scheduler_interval: ``"epoch"`` (most schedulers) or ``"batch"`` (`OneCycleLR`).
        max_grad_norm: clip the gradients' total 2-norm to this before each step.
        quiet: never draw the progress bar.
        stream: where the bar goes (default stderr); it is drawn only if this is a terminal
            or in a Jupyter notebook, with the epoch's loss and the learning rate.

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
    epochs = _positive_int("epochs", epochs)
    if scheduler_interval not in ("epoch", "batch"):
        raise ValueError(
            f"fit: scheduler_interval must be 'epoch' or 'batch', got {scheduler_interval!r}"
        )
    if isinstance(inputs, DataLoader):
        given = {"targets": targets, "batch_size": batch_size, "shuffle": shuffle,
                 "generator": generator}  # fmt: skip
        clashes = [name for name, value in given.items() if value is not None]
        if clashes:
            raise ValueError(f"fit: with a DataLoader, leave out {clashes}: the loader decides")
        loader = inputs
        samples = loader.samples_per_epoch()

        def batches() -> Iterator[tuple[Any, Any]]:
            return _loader_batches(loader)

    else:
        if targets is None:
            raise ValueError("fit: targets are missing (or pass a DataLoader as inputs)")
        input_array, target_array = _as_array("inputs", inputs), _as_array("targets", targets)
        samples = input_array.shape[0]
        if target_array.shape[0] != samples:
            raise ValueError(
                f"fit: inputs have {samples} samples (shape {input_array.shape}) but targets "
                f"have {target_array.shape[0]} (shape {target_array.shape})"
            )
        size = samples if batch_size is None else _positive_int("batch_size", batch_size)
        rng = default_generator() if generator is None else generator
        mix = True if shuffle is None else bool(shuffle)

        def batches() -> Iterator[tuple[Any, Any]]:
            return _array_batches(input_array, target_array, size, mix, rng)

    if samples == 0:
        raise ValueError("fit: there are no samples to train on")
    stream = sys.stderr if stream is None else stream
    shown = bool(getattr(stream, "isatty", lambda: False)()) or _in_notebook()
    bar = _progress_bar(epochs, stream, enabled=shown and not quiet)
    modes = [(module, module.training) for module in model.modules()]
    model.train()
    history: list[float] = []
    try:
        for _ in range(epochs):
            epoch_loss = 0.0
            for batch_inputs, batch_targets in batches():
                optimizer.zero_grad()
                loss = loss_fn(model(batch_inputs), batch_targets)
                loss.backward()
                if max_grad_norm is not None:
                    clip_grad_norm_(model.parameters(), max_grad_norm)
                optimizer.step()
                if scheduler is not None and scheduler_interval == "batch":
                    scheduler.step()
                # weight n_batch / n: exactly 1.0 for a full batch, so no rounding is added
                epoch_loss += loss.item() * (batch_inputs.shape[0] / samples)
            if scheduler is not None and scheduler_interval == "epoch":
                scheduler.step()
            history.append(epoch_loss)
            if bar is not None:
                lr = optimizer.param_groups[0]["lr"]
                bar.set_postfix(loss=f"{epoch_loss:.6g}", lr=f"{lr:.3g}", refresh=False)
                bar.update(1)
            if loss_threshold is not None and epoch_loss < loss_threshold:
                break
    finally:
        if bar is not None:
            bar.close()
        for module, was_training in modes:  # each its own mode, not the root's for all
            object.__setattr__(module, "training", was_training)
    return history
