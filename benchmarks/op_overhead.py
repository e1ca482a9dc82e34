"""Per-op overhead: a chain of elementwise multiplications on a tiny tensor.

The chain is ``y = y * c`` repeated ``length`` times on 10-element arrays (``c`` a constant
tensor that needs no gradient), so one op is exactly one NumPy call forward and one NumPy
call backward (``g = g * c``): the "bare NumPy call pair" of the issue.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autograd_lite import Tensor, no_grad

from . import floor
from .common import Config, Section, Target, compare, format_time, verdict

CHAIN_LENGTH = 1000
SIZE = 10
#: the issue's limit on (engine forward + backward) / (bare NumPy forward + backward)
LIMIT = 3.0
#: issue 23's limit on (engine forward + backward) / (PyTorch CPU eager forward + backward)
TORCH_LIMIT = 1.0


def make_chain(
    length: int = CHAIN_LENGTH, size: int = SIZE, threads: int = 1
) -> dict[str, Callable[[], object]]:
    """The timed variants of the chain, each a function running it once (PyTorch's only
    when ``import torch`` works)."""
    rng = np.random.default_rng(0)
    start = rng.standard_normal(size)
    factors = 1.0 + 1e-3 * rng.standard_normal(size)  # values stay near 1 over the chain
    seed = np.ones(size)
    x = Tensor(start, requires_grad=True)
    constant = Tensor(factors)
    seed_tensor = Tensor(seed)

    def numpy_forward() -> np.ndarray:
        y = start
        for _ in range(length):
            y = y * factors
        return y

    def numpy_forward_backward() -> np.ndarray:
        numpy_forward()
        grad = seed
        for _ in range(length):
            grad = grad * factors
        return grad

    def engine_forward_no_grad() -> Tensor:
        with no_grad():
            y = x
            for _ in range(length):
                y = y * constant
        return y

    def engine_forward_recording() -> Tensor:
        y = x
        for _ in range(length):
            y = y * constant
        return y

    def engine_forward_backward() -> np.ndarray:
        x.grad = None
        engine_forward_recording().backward(seed_tensor)
        assert x.grad is not None
        return x.grad.data

    def floor_forward_backward() -> np.ndarray:
        return floor.chain_forward_backward(start, factors, seed, length)

    variants = {
        "numpy forward": numpy_forward,
        "numpy forward+backward": numpy_forward_backward,
        "engine forward, no_grad": engine_forward_no_grad,
        "engine forward, recording": engine_forward_recording,
        "engine forward+backward": engine_forward_backward,
        "floor: minimal engine forward+backward": floor_forward_backward,
    }
    torch_variant = torch_forward_backward(start, factors, seed, length, threads)
    if torch_variant is not None:
        variants[TORCH] = torch_variant
    return variants


TORCH = "PyTorch CPU eager forward+backward"


def torch_forward_backward(
    start: np.ndarray, factors: np.ndarray, seed: np.ndarray, length: int, threads: int
) -> Callable[[], np.ndarray] | None:
    """The chain in PyTorch (what users would pick instead), or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    if threads > 0:
        torch.set_num_threads(threads)
    x = torch.tensor(start, requires_grad=True)
    constant, seed_tensor = torch.tensor(factors), torch.tensor(seed)

    def run() -> np.ndarray:
        x.grad = None
        y = x
        for _ in range(length):
            y = y * constant
        y.backward(seed_tensor)
        assert x.grad is not None
        return x.grad.numpy()

    return run


def check_chain(length: int = 50) -> float:
    """Largest difference between the engine's chain gradient and the NumPy one."""
    variants = make_chain(length)
    engine = np.asarray(variants["engine forward+backward"]())
    expected = np.asarray(variants["numpy forward+backward"]())
    np.testing.assert_allclose(engine, expected, rtol=1e-12)
    for name in ("floor: minimal engine forward+backward", TORCH):
        if name in variants:
            np.testing.assert_allclose(np.asarray(variants[name]()), expected, rtol=1e-12)
    return float(np.max(np.abs(engine - expected)))


def run(config: Config) -> Section:
    """Time the chain variants and report the cost per op."""
    section = Section(f"Per-op overhead: chain of {CHAIN_LENGTH} multiplications, {SIZE} elements")
    check_chain()
    timings = compare(make_chain(threads=config.threads), config)
    numpy_forward = timings["numpy forward"].median
    numpy_pair = timings["numpy forward+backward"].median
    baselines = {
        "engine forward, no_grad": numpy_forward,
        "engine forward, recording": numpy_forward,
        "engine forward+backward": numpy_pair,
        "floor: minimal engine forward+backward": numpy_pair,
        TORCH: numpy_pair,
    }
    rows = []
    for name, timing in timings.items():
        per_op = timing.median / CHAIN_LENGTH
        base = baselines.get(name)
        shown = "-" if base is None else f"{timing.median / base:.2f}x"
        rows.append([name, format_time(per_op), shown])
    ratio = timings["engine forward+backward"].median / numpy_pair
    for row in rows:
        is_target = row[0] == "engine forward+backward"
        row.append(f"<= {LIMIT}x {verdict(ratio, LIMIT)}" if is_target else "-")
    headers = ["variant", "time per op", "ratio to NumPy", "target"]
    if TORCH in timings:  # issue 23: the engine against what users would pick instead
        torch_time = timings[TORCH].median
        headers.append("ratio to PyTorch")
        for row, timing in zip(rows, timings.values()):
            row.append(f"{timing.median / torch_time:.2f}x")
        torch_ratio = timings["engine forward+backward"].median / torch_time
        section.targets.append(
            Target("per-op forward+backward / PyTorch", torch_ratio, TORCH_LIMIT)
        )
    section.tables.append((headers, rows))
    section.notes.append(
        "ratio: engine forward against the NumPy forward calls, engine forward+backward "
        "against the NumPy forward+backward call pair"
    )
    section.notes.append(
        "floor: a minimal engine (benchmarks/floor.py) that only records the multiplications "
        "and runs the reverse pass, without any of autograd_lite's checks: what pure Python "
        "cannot go below"
    )
    section.notes.append(
        "PyTorch: timed with the same chain"
        if TORCH in timings
        else "PyTorch: not importable here, its row is skipped"
    )
    section.targets.append(Target("per-op forward+backward", ratio, LIMIT))
    return section
