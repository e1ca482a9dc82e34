"""Peak memory of one MLP training step, engine against hand-written NumPy (tracemalloc).

NumPy reports its array buffers to tracemalloc, so the traced peak during a step counts the
activations, gradients and temporaries the step allocates. Both variants take one untimed
step first, so lasting state (optimizer buffers, caches) is not counted as step memory.
The section also checks whether a Tensor graph leaves reference cycles for the garbage
collector, after backward and when it is dropped without backward.
"""

from __future__ import annotations

import gc
import statistics
import tracemalloc
from collections.abc import Callable

import numpy as np

import nn
from autograd_lite import Tensor

from .common import Config, Section, Target, format_bytes, verdict
from .handwritten import check_against_engine, handwritten_copy, make_engine_model
from .mlp_step import LEARNING_RATE, engine_step_function, make_batch

#: the issue's limit on engine peak / hand-written peak
LIMIT = 1.3


def peak_bytes(step: Callable[[], object], repeats: int = 3) -> int:
    """Median over ``repeats`` of the traced peak above the starting level during ``step()``."""
    peaks = []
    step()
    for _ in range(repeats):
        gc.collect()
        tracemalloc.start()
        try:
            start = tracemalloc.get_traced_memory()[0]
            step()
            peaks.append(tracemalloc.get_traced_memory()[1] - start)
        finally:
            tracemalloc.stop()
    return int(statistics.median(peaks))


def cycles_left(sizes: list[int], batch: int, backward: bool) -> int:
    """Objects gc.collect() finds after a dropped training graph (0: freed by refcount)."""
    model = make_engine_model(sizes, np.float64)
    x, targets = make_batch(sizes, batch, np.float64)
    gc.collect()
    gc.disable()
    try:
        loss = nn.CrossEntropyLoss()(model(Tensor(x)), targets)
        if backward:
            loss.backward()
        del loss
        return gc.collect()
    finally:
        gc.enable()


def run(config: Config) -> Section:
    """Peak memory of the step for each configuration, and the reference-cycle check."""
    architectures = [[784, 256, 10]] if config.quick else [[784, 256, 10], [784, 1024, 1024, 10]]
    section = Section("Peak memory of one training step (tracemalloc)")
    headers = ["network", "batch", "dtype", "parameters", "hand-written", "autograd_lite"]
    headers += ["ratio", "target"]
    rows = []
    for sizes in architectures:
        for batch in (32, 256):
            for dtype in (np.float32, np.float64):
                model = make_engine_model(sizes, dtype)
                x, targets = make_batch(sizes, batch, dtype)
                baseline = handwritten_copy(model, LEARNING_RATE)
                check_against_engine(model, baseline, x, targets)
                hand = peak_bytes(lambda b=baseline, x=x, t=targets: b.step(x, t))
                engine = peak_bytes(engine_step_function(model, x, targets))
                parameters = sum(p.data.nbytes for p in model.parameters())
                ratio = engine / hand
                name, dtype_name = "-".join(map(str, sizes)), np.dtype(dtype).name
                sizes_text = [format_bytes(parameters), format_bytes(hand), format_bytes(engine)]
                rows.append(
                    [name, str(batch), dtype_name, *sizes_text, f"{ratio:.2f}x"]
                    + [f"<= {LIMIT}x {verdict(ratio, LIMIT)}"]
                )
                section.targets.append(
                    Target(f"peak memory {name} batch {batch} {dtype_name}", ratio, LIMIT)
                )
    section.tables.append((headers, rows))
    section.notes.append(
        "peak = largest traced allocation above the level before the step; both update the "
        "parameters in place (the engine's SGD in row blocks, into arrays it made itself)"
    )
    after, without = cycles_left([784, 256, 10], 32, True), cycles_left([784, 256, 10], 32, False)
    section.notes.append(
        f"Tensor graph of a step, dropped: gc.collect() found {after} objects after backward, "
        f"{without} when dropped without backward (0 means reference counting freed it all)"
    )
    return section
