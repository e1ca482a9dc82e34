"""CNN training step (section ``cnn``): autograd_lite against hand-written NumPy and PyTorch.

The network of issue 23 on 8x8 one-channel images: Conv2d(1, 16, 3, padding=1) - ReLU -
MaxPool2d(2) - Conv2d(16, 32, 3, padding=1) - ReLU - MaxPool2d(2) - Flatten -
Linear(128, 10), cross-entropy, SGD, batch 32 and 256, float32 and float64. One step is
zero_grad, forward, loss, backward and the update on a fixed batch. The hand-written NumPy
step (`benchmarks.handwritten_cnn`, im2col) and PyTorch (one thread, eager, when
importable) start from the same weights; before timing, their losses and every gradient
are checked against ours. Also the peak memory of a step against the hand-written one.
Run: ``python -m benchmarks.run --only cnn [--quick]``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

import nn

from .common import Config, Section, Target, compare, format_bytes, format_time
from .handwritten_cnn import HandwrittenCNN
from .memory import peak_bytes
from .training import (
    check_against_torch,
    copy_into_torch,
    engine_gradients,
    engine_step,
    import_torch,
    relative_difference,
    torch_step,
)

LEARNING_RATE = 0.01
BATCHES = (32, 256)
QUICK_BATCHES = (8,)
DTYPES = (np.float32, np.float64)
#: issue 23's limits at batch 256 (float32): time against PyTorch and NumPy, peak memory
LIMIT_TORCH, LIMIT_NUMPY, LIMIT_MEMORY = 1.5, 1.5, 1.3


def build(lib: Any, dtype: Any = None) -> Any:
    """The benchmark's CNN from ``lib`` (``nn`` or ``torch.nn``)."""
    extra = {} if dtype is None else {"dtype": dtype}
    return lib.Sequential(
        lib.Conv2d(1, 16, 3, padding=1, **extra),
        lib.ReLU(),
        lib.MaxPool2d(2),
        lib.Conv2d(16, 32, 3, padding=1, **extra),
        lib.ReLU(),
        lib.MaxPool2d(2),
        lib.Flatten(),
        lib.Linear(128, 10, **extra),
    )


def make_batch(batch: int, dtype: Any, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Random 8x8 one-channel images of ``dtype`` and integer class targets."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, 1, 8, 8)).astype(dtype), rng.integers(0, 10, size=batch)


def check_handwritten(model: nn.Module, hand: HandwrittenCNN, x: np.ndarray, t: Any) -> float:
    """Raise AssertionError unless the hand-written loss and gradients equal the engine's."""
    loss, grads = engine_gradients(model, x, t)
    hand_loss, hand_grads = hand.loss_and_grads(x, t)
    worst = relative_difference([loss, *grads], [hand_loss, *hand_grads])
    limit = 2e-5 if x.dtype == np.float32 else 1e-12
    if worst > limit:
        raise AssertionError(f"the hand-written CNN differs from the engine by {worst:.2e}")
    return worst


def run(config: Config) -> Section:
    """Time the step for each batch and dtype; the targets at batch 256 float32."""
    section = Section("CNN training step (Conv2d, MaxPool2d, Linear; SGD)")
    torch = import_torch(config.threads)
    headers = ["batch", "dtype", "autograd_lite", "NumPy", "ours / NumPy"]
    if torch is not None:
        headers += ["PyTorch", "ours / PyTorch"]
    headers += ["peak ours", "peak NumPy", "ratio"]
    rows = []
    for batch in QUICK_BATCHES if config.quick else BATCHES:
        for dtype in DTYPES[:1] if config.quick else DTYPES:
            nn.manual_seed(0)
            model = build(nn, dtype)
            x, targets = make_batch(batch, dtype)
            hand = HandwrittenCNN.copy_of(model, LEARNING_RATE)
            check_handwritten(model, hand, x, targets)
            variants: dict[str, Callable[[], object]] = {
                "ours": engine_step(
                    model, nn.optim.SGD(model.parameters(), LEARNING_RATE), x, targets
                ),
                "numpy": lambda h=hand, x=x, t=targets: h.step(x, t),
            }
            if torch is not None:
                theirs = copy_into_torch(torch, model, build(torch.nn), dtype)
                check_against_torch(torch, model, theirs, x, targets)
                optimizer = torch.optim.SGD(theirs.parameters(), lr=LEARNING_RATE)
                variants["torch"] = torch_step(torch, theirs, optimizer, x, targets, False)
            timings = compare(variants, config)
            ours, numpy_time = timings["ours"].median, timings["numpy"].median
            name = f"CNN batch {batch} {np.dtype(dtype).name}"
            row = [str(batch), np.dtype(dtype).name, format_time(ours), format_time(numpy_time)]
            row.append(f"{ours / numpy_time:.2f}x")
            if torch is not None:
                theirs_time = timings["torch"].median
                row += [format_time(theirs_time), f"{ours / theirs_time:.2f}x"]
            memory_ours, memory_hand = peak_bytes(variants["ours"]), peak_bytes(variants["numpy"])
            memory = memory_ours / memory_hand
            row += [format_bytes(memory_ours), format_bytes(memory_hand), f"{memory:.2f}x"]
            rows.append(row)
            section.targets.append(Target(f"peak memory {name}", memory, LIMIT_MEMORY))
            if batch == BATCHES[-1] and dtype == np.float32:
                section.targets.append(Target(f"{name} / NumPy", ours / numpy_time, LIMIT_NUMPY))
                if torch is not None:
                    section.targets.append(
                        Target(f"{name} / PyTorch", ours / theirs_time, LIMIT_TORCH)
                    )
    section.tables.append((headers, rows))
    section.notes.append(
        "median time per training step; losses and gradients checked against the "
        "hand-written step (and PyTorch's) before timing"
    )
    if torch is None:
        section.notes.append("PyTorch: not importable here, its columns are skipped")
    else:
        section.notes.append(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    section.notes.append(
        f"targets at batch 256 float32: <= {LIMIT_NUMPY}x NumPy, <= {LIMIT_TORCH}x PyTorch; "
        f"peak memory <= {LIMIT_MEMORY}x the hand-written step (tracemalloc)"
    )
    return section


def main(argv: list[str] | None = None) -> int:
    """This section alone through `benchmarks.run` (``python -m benchmarks.layers_conv``)."""
    from . import run as suite

    return suite.main(["--only", "cnn", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
