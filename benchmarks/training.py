"""What the network workloads (``cnn``, ``lstm``, ``gpt``) share: steps, PyTorch, checks.

A workload is one full training step: ``zero_grad``, forward, cross-entropy, backward and
the optimizer's step, on a fixed batch. autograd_lite and PyTorch start from the same
weights (PyTorch loads our state dict), and before anything is timed the two losses and
every parameter's gradient are compared (`check_against_torch`), so the timed work is the
same work. PyTorch is optional: without it the sections time autograd_lite (and the
hand-written NumPy step where there is one) alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import nn
from autograd_lite import Tensor

#: largest |difference| / (1 + largest |value|) accepted between two implementations
TOLERANCE = {np.dtype(np.float32): 2e-4, np.dtype(np.float64): 1e-9}


def import_torch(threads: int) -> Any:
    """The torch module pinned to ``threads`` threads (when > 0), or None if not installed."""
    try:
        import torch
    except ImportError:
        return None
    if threads > 0:
        torch.set_num_threads(threads)
    return torch


def torch_dtype(torch: Any, dtype: Any) -> Any:
    """torch.float32 or torch.float64 for a NumPy float dtype."""
    return torch.float32 if np.dtype(dtype) == np.float32 else torch.float64


def copy_into_torch(torch: Any, ours: nn.Module, theirs: Any, dtype: Any) -> Any:
    """``theirs`` in ``dtype`` with ``ours``'s weights (strict: every name must match)."""
    theirs = theirs.to(torch_dtype(torch, dtype))
    state = {k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state, strict=True)
    return theirs


def as_input(x: np.ndarray) -> Any:
    """A float batch as a Tensor; integer token ids stay an array (Embedding's input)."""
    return Tensor(x) if x.dtype.kind == "f" else x


def engine_step(
    model: nn.Module,
    optimizer: Any,
    x: np.ndarray,
    targets: np.ndarray,
    flatten: bool = False,
) -> Callable[[], float]:
    """One autograd_lite training step (returns the loss); ``flatten`` folds the logits'
    leading axes into one (a language model's (B, T, V) logits against (B, T) targets)."""
    loss_fn = nn.CrossEntropyLoss()
    labels = targets.reshape(-1) if flatten else targets

    def step() -> float:
        optimizer.zero_grad()
        logits = model(as_input(x))
        if flatten:
            logits = logits.reshape(-1, logits.shape[-1])
        loss = loss_fn(logits, labels)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def torch_step(
    torch: Any, model: Any, optimizer: Any, x: np.ndarray, targets: np.ndarray, flatten: bool
) -> Callable[[], float]:
    """The same step in PyTorch eager mode."""
    loss_fn = torch.nn.CrossEntropyLoss()
    inputs = torch.from_numpy(x)
    labels = torch.from_numpy(targets.reshape(-1) if flatten else targets)

    def step() -> float:
        optimizer.zero_grad()
        logits = model(inputs)
        if flatten:
            logits = logits.reshape(-1, logits.shape[-1])
        loss = loss_fn(logits, labels)
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    return step


def engine_gradients(
    model: nn.Module, x: np.ndarray, targets: np.ndarray, flatten: bool = False
) -> tuple[float, list[np.ndarray]]:
    """The loss and every parameter's gradient of one forward and backward (grads cleared)."""
    model.zero_grad()
    logits = model(as_input(x))
    if flatten:
        logits = logits.reshape(-1, logits.shape[-1])
    loss = nn.CrossEntropyLoss()(logits, targets.reshape(-1) if flatten else targets)
    loss.backward()
    grads = [np.array(p.grad.numpy()) for p in model.parameters()]
    model.zero_grad()
    return loss.item(), grads


def relative_difference(mine: Sequence[Any], theirs: Sequence[Any]) -> float:
    """The largest |a - b| / (1 + |b|.max()) over pairs of arrays (or numbers)."""
    worst = 0.0
    for a, b in zip(mine, theirs, strict=True):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            raise AssertionError(f"shapes differ: {a.shape} against {b.shape}")
        worst = max(worst, float(np.abs(a - b).max() / (1.0 + np.abs(b).max())))
    return worst


def check_against_torch(
    torch: Any,
    ours: nn.Module,
    theirs: Any,
    x: np.ndarray,
    targets: np.ndarray,
    flatten: bool = False,
) -> float:
    """Compare the loss and every parameter's gradient of one forward/backward; raise
    AssertionError beyond `TOLERANCE`, else return the largest relative difference."""
    loss, grads = engine_gradients(ours, x, targets, flatten)
    theirs.zero_grad()
    logits = theirs(torch.from_numpy(x))
    labels = torch.from_numpy(targets.reshape(-1) if flatten else targets)
    if flatten:
        logits = logits.reshape(-1, logits.shape[-1])
    their_loss = torch.nn.CrossEntropyLoss()(logits, labels)
    their_loss.backward()
    their_grads = [p.grad.numpy() for p in theirs.parameters()]
    theirs.zero_grad()
    names = [name for name, _ in ours.named_parameters()]
    if len(their_grads) != len(grads):
        raise AssertionError(f"{len(grads)} parameters here, {len(their_grads)} in PyTorch")
    worst = relative_difference([loss], [float(their_loss.detach())])
    limit = TOLERANCE[grads[0].dtype]
    for name, mine, their in zip(names, grads, their_grads):
        difference = relative_difference([mine], [their])
        if difference > limit:
            raise AssertionError(f"gradient of {name} differs from PyTorch's by {difference:.2e}")
        worst = max(worst, difference)
    if worst > limit:
        raise AssertionError(f"loss differs from PyTorch's by {worst:.2e}")
    return worst
