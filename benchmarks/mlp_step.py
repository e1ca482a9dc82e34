"""MLP training step: autograd_lite + nn against hand-written NumPy (and PyTorch if present).

One step is forward, softmax cross-entropy, backward and an SGD update on a fixed batch.
The hand-written baseline is checked against the engine's gradients before it is timed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import nn
from autograd_lite import Tensor

from .common import Config, Section, Target, compare, format_time, verdict
from .handwritten import check_against_engine, handwritten_copy, make_engine_model

LEARNING_RATE = 0.01
ARCHITECTURES = ([784, 256, 10], [784, 1024, 1024, 10])
BATCHES = (1, 32, 256)
DTYPES = (np.float32, np.float64)
#: the issue's limits on engine time / hand-written time, by batch size
LIMITS = {1: 1.5, 256: 1.10}
#: issue 23's limits on engine time / PyTorch time (784-256-10), by (batch, dtype)
TORCH_LIMITS = {(1, "float64"): 1.0}


def make_batch(
    sizes: list[int], batch: int, dtype: type, seed: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Random inputs of ``dtype`` and integer class targets for one batch."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, sizes[0])).astype(dtype)
    return x, rng.integers(0, sizes[-1], size=batch)


def engine_step_function(model: nn.Sequential, x: np.ndarray, targets: np.ndarray) -> Callable:
    """One training step of ``model`` with nn.CrossEntropyLoss and nn.optim.SGD."""
    loss_fn = nn.CrossEntropyLoss()
    optimizer = nn.optim.SGD(model.parameters(), lr=LEARNING_RATE)

    def step() -> None:
        optimizer.zero_grad()
        loss = loss_fn(model(Tensor(x)), targets)
        loss.backward()
        optimizer.step()

    return step


def torch_step_function(
    model: nn.Sequential, x: np.ndarray, targets: np.ndarray, threads: int
) -> Callable | None:
    """The same step in PyTorch CPU eager mode, or None when torch is not importable."""
    try:
        import torch
    except ImportError:
        return None
    if threads > 0:
        torch.set_num_threads(threads)
    layers: list[torch.nn.Module] = []
    for layer in model:
        if isinstance(layer, nn.Linear):
            linear = torch.nn.Linear(layer.in_features, layer.out_features)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(layer.weight.data.copy()))
                linear.bias.copy_(torch.from_numpy(layer.bias.data.copy()))
            layers.append(linear.to(torch.from_numpy(x).dtype))
        else:
            layers.append(torch.nn.ReLU())
    torch_model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(torch_model.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()
    inputs, labels = torch.from_numpy(x), torch.from_numpy(targets)

    def step() -> None:
        optimizer.zero_grad()
        loss_fn(torch_model(inputs), labels).backward()
        optimizer.step()

    return step


def torch_status(threads: int) -> str:
    """A line saying whether PyTorch takes part and with how many threads."""
    try:
        import torch
    except ImportError:
        return "PyTorch: not importable here, its column is skipped"
    if threads > 0:
        torch.set_num_threads(threads)
    return f"PyTorch {torch.__version__}: CPU eager, {torch.get_num_threads()} thread(s)"


def run(config: Config) -> Section:
    """Time the training step for every architecture, batch size and dtype."""
    architectures = ARCHITECTURES[:1] if config.quick else ARCHITECTURES
    section = Section("MLP training step (forward, softmax cross-entropy, backward, SGD)")
    section.notes.append(torch_status(config.threads))
    headers = ["network", "batch", "dtype", "hand-written", "autograd_lite", "ratio", "target"]
    has_torch = False
    rows = []
    for sizes in architectures:
        for batch in BATCHES:
            for dtype in DTYPES:
                model = make_engine_model(sizes, dtype)
                x, targets = make_batch(sizes, batch, dtype)
                baseline = handwritten_copy(model, LEARNING_RATE)
                check_against_engine(model, baseline, x, targets)  # a wrong baseline is worthless
                variants = {
                    "hand": lambda b=baseline, x=x, t=targets: b.step(x, t),
                    "engine": engine_step_function(model, x, targets),
                }
                torch_step = torch_step_function(model, x, targets, config.threads)
                if torch_step is not None:
                    variants["torch"] = torch_step
                    has_torch = True
                timings = compare(variants, config)
                hand, engine = timings["hand"].median, timings["engine"].median
                ratio = engine / hand
                limit = LIMITS.get(batch)
                name = "-".join(map(str, sizes))
                dtype_name = np.dtype(dtype).name
                row = [name, str(batch), dtype_name, format_time(hand), format_time(engine)]
                row += [f"{ratio:.2f}x", "-" if limit is None else f"<= {limit}x"]
                if limit is not None:
                    row[-1] += f" {verdict(ratio, limit)}"
                    section.targets.append(
                        Target(f"MLP step {name} batch {batch} {dtype_name}", ratio, limit)
                    )
                if torch_step is not None:
                    torch_time = timings["torch"].median
                    row += [
                        format_time(torch_time),
                        f"{torch_time / hand:.2f}x",
                        f"{engine / torch_time:.2f}x",
                    ]
                    torch_limit = TORCH_LIMITS.get((batch, np.dtype(dtype).name))
                    if torch_limit is not None and sizes == ARCHITECTURES[0]:
                        section.targets.append(
                            Target(
                                f"MLP step {name} batch {batch} {dtype_name} / PyTorch",
                                engine / torch_time,
                                torch_limit,
                            )
                        )
                rows.append(row)
    if has_torch:
        headers += ["PyTorch", "torch ratio", "autograd_lite / PyTorch"]
    section.tables.append((headers, rows))
    section.notes.append(
        "ratio = autograd_lite / hand-written NumPy (median time per step); the hand-written "
        "gradients were checked against the engine's before timing; torch ratio = PyTorch / "
        "hand-written; autograd_lite / PyTorch = the engine against PyTorch CPU eager"
    )
    return section
