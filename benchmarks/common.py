"""Timing, configuration and table printing shared by the benchmark sections.

Every comparison goes through `compare`: all variants of one case are warmed up, each gets a
call count that makes one sample last at least ``min_time``, and then the samples are taken
round-robin (variant A, B, C, then C, B, A, ...) so that a slow phase of the machine hits every
variant alike. The reported figure is the median time per call.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class Config:
    """What a benchmark run measures and how hard it tries.

    Args:
        quick: smaller problem sizes (the whole run in well under 30 s).
        repeats: timed samples per variant; the median is reported.
        warmup: untimed calls per variant before calibrating and timing.
        min_time: seconds one timed sample should last at least (many calls per sample
            for fast cases).
        threads: BLAS threads (0: left as NumPy starts).
    """

    quick: bool = False
    repeats: int = 7
    warmup: int = 2
    min_time: float = 0.05
    threads: int = 1


@dataclass
class Timing:
    """The samples of one variant, in seconds per call."""

    name: str
    samples: list[float]
    calls_per_sample: int

    @property
    def median(self) -> float:
        """Median seconds per call."""
        return statistics.median(self.samples)

    @property
    def spread(self) -> float:
        """(max - min) / median of the samples, a rough noise figure."""
        return (max(self.samples) - min(self.samples)) / self.median


@dataclass
class Target:
    """One target of the issue: a measured ratio and the largest allowed value."""

    name: str
    ratio: float
    limit: float

    @property
    def met(self) -> bool:
        """True when the measured ratio is within the limit."""
        return self.ratio <= self.limit


@dataclass
class Section:
    """What one benchmark section prints: tables, notes and the targets it checked."""

    title: str
    tables: list[tuple[list[str], list[list[str]]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)


def time_calls(function: Callable[[], object], number: int) -> float:
    """Seconds taken by ``number`` consecutive calls of ``function``."""
    start = time.perf_counter()
    for _ in range(number):
        function()
    return time.perf_counter() - start


def calibrate(function: Callable[[], object], min_time: float, max_number: int = 1_000_000) -> int:
    """The number of calls that makes one sample of ``function`` last about ``min_time``."""
    number = 1
    while True:
        elapsed = time_calls(function, number)
        if elapsed >= min_time or number >= max_number:
            return number
        # grow towards the goal in one or two steps, never less than doubling
        grow = 2 if elapsed <= 0 else max(2, int(1.2 * min_time / elapsed) + 1)
        number = min(max_number, number * grow)


def compare(
    variants: Mapping[str, Callable[[], object]], config: Config, repeats: int | None = None
) -> dict[str, Timing]:
    """Time every variant in one process, interleaved, after a warm-up; medians per call.

    Args:
        variants: name -> a function doing one unit of work (one training step, ...).
        config: repeats, warm-up and the minimum sample duration.
        repeats: override ``config.repeats`` (for very slow cases).

    Returns:
        name -> `Timing`, in the order of ``variants``.
    """
    names = list(variants)
    for name in names:
        for _ in range(config.warmup):
            variants[name]()
    numbers = {name: calibrate(variants[name], config.min_time) for name in names}
    samples: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(max(1, repeats if repeats is not None else config.repeats)):
        order = names if repeat % 2 == 0 else names[::-1]
        for name in order:
            number = numbers[name]
            samples[name].append(time_calls(variants[name], number) / number)
    return {name: Timing(name, samples[name], numbers[name]) for name in names}


def format_time(seconds: float) -> str:
    """A duration with a unit that keeps 3-4 significant digits: '812 ns', '3.41 ms'."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return (
                f"{seconds / scale:.3g} {unit}"
                if seconds / scale < 100
                else (f"{seconds / scale:.0f} {unit}")
            )
    return f"{seconds * 1e9:.0f} ns"


def format_bytes(size: float) -> str:
    """A memory size in KiB or MiB."""
    if size >= 2**20:
        return f"{size / 2**20:.2f} MiB"
    return f"{size / 2**10:.1f} KiB"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table with padded columns (readable in a terminal and pasteable)."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.ljust(w) for cell, w in zip(cells, widths)) + " |"

    separator = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), separator, *(line(row) for row in rows)])


def verdict(ratio: float, limit: float) -> str:
    """'ok' or 'MISSED' for a ratio against its target."""
    return "ok" if ratio <= limit else "MISSED"
