"""CNN training step: Conv2d, MaxPool2d and Linear in autograd_lite against PyTorch CPU.

The network is the small CNN for 8x8 images of docs/nn_layers.md:
Conv2d(1, 16, 3, padding=1) - ReLU - MaxPool2d(2) - Conv2d(16, 32, 3, padding=1) - ReLU -
MaxPool2d(2) - Flatten - Linear(128, 10). One step is forward, cross-entropy, backward and
an SGD update on a fixed batch. PyTorch (one thread, eager) gets the same weights and its
loss is checked against ours before timing. Run it as the ``conv`` section of the suite:
``python -m benchmarks.run --only conv [--quick]`` (``--quick``: batch 32, float32 only).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np

import nn
from autograd_lite import Tensor

from .common import Config, Section, compare, format_time

LEARNING_RATE = 0.01
BATCHES = (32, 256)
DTYPES = (np.float32, np.float64)


def build(lib, dtype=None):  # type: ignore[no-untyped-def]
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


def make_batch(batch: int, dtype: type, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Random 8x8 one-channel images of ``dtype`` and integer class targets."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, 1, 8, 8)).astype(dtype), rng.integers(0, 10, size=batch)


def engine_step(model: nn.Module, x: np.ndarray, targets: np.ndarray) -> Callable[[], float]:
    """One training step (returns the loss) with nn.CrossEntropyLoss and nn.optim.SGD."""
    loss_fn = nn.CrossEntropyLoss()
    optimizer = nn.optim.SGD(model.parameters(), lr=LEARNING_RATE)

    def step() -> float:
        optimizer.zero_grad()
        loss = loss_fn(model(Tensor(x)), targets)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def torch_step(
    model: nn.Module, x: np.ndarray, targets: np.ndarray, threads: int
) -> Callable[[], float] | None:
    """The same step in PyTorch CPU eager mode with ``model``'s weights, or None."""
    try:
        import torch
    except ImportError:
        return None
    if threads > 0:
        torch.set_num_threads(threads)
    theirs = build(torch.nn).to(torch.from_numpy(x).dtype)
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    optimizer = torch.optim.SGD(theirs.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()
    inputs, labels = torch.from_numpy(x), torch.from_numpy(targets)

    def step() -> float:
        optimizer.zero_grad()
        loss = loss_fn(theirs(inputs), labels)
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    return step


def run(config: Config) -> Section:
    """Time the CNN step for each batch size and dtype (and PyTorch's when importable)."""
    section = Section("CNN training step (Conv2d, MaxPool2d, Linear; forward+backward+SGD)")
    batches = BATCHES[:1] if config.quick else BATCHES
    dtypes = DTYPES[:1] if config.quick else DTYPES
    headers = ["batch", "dtype", "autograd_lite", "per sample"]
    rows, has_torch = [], False
    for batch in batches:
        for dtype in dtypes:
            nn.manual_seed(0)
            model = build(nn, dtype)
            x, targets = make_batch(batch, dtype)
            ours = engine_step(model, x, targets)
            theirs = torch_step(model, x, targets, config.threads)
            variants: dict[str, Callable[[], object]] = {"engine": ours}
            if theirs is not None:  # the same network: the same first loss
                tolerance = 1e-4 if dtype == np.float32 else 1e-10
                ours_loss, theirs_loss = ours(), theirs()
                assert abs(ours_loss - theirs_loss) <= tolerance * max(1.0, abs(theirs_loss))
                variants["torch"] = theirs
                has_torch = True
            timings = compare(variants, config)
            engine = timings["engine"].median
            row = [str(batch), np.dtype(dtype).name, format_time(engine)]
            row.append(format_time(engine / batch))
            if "torch" in timings:
                row += [
                    format_time(timings["torch"].median),
                    f"{engine / timings['torch'].median:.1f}x",
                ]
            rows.append(row)
    if has_torch:
        headers += ["PyTorch", "autograd_lite / PyTorch"]
        import torch

        section.notes.append(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    else:
        section.notes.append("PyTorch: not importable here, its column is skipped")
    section.tables.append((headers, rows))
    section.notes.append("median time per training step; PyTorch's first loss checked equal")
    return section


def main(argv: list[str] | None = None) -> int:
    """This section alone through `benchmarks.run` (``python -m benchmarks.layers_conv``).

    NumPy is already loaded then, so without threadpoolctl set OPENBLAS_NUM_THREADS=1
    (and MKL/OMP) in the environment to pin BLAS to one thread as PyTorch is.
    """
    from . import run as suite

    return suite.main(["--only", "conv", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
