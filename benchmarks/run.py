"""Run the benchmark suite and print its tables: ``python -m benchmarks.run [--quick]``.

Sections: ``mlp`` (training step against hand-written NumPy and PyTorch), ``op`` (per-op
overhead), ``scalar`` (Value graphs against floats), ``memory`` (peak memory of a step),
and the networks of issue 23: ``cnn`` (a CNN step against hand-written NumPy and PyTorch),
``lstm`` and ``gpt`` (an LSTM and a 2-layer GPT step against PyTorch).
NumPy's BLAS is pinned to ``--threads`` threads (default 1) with threadpoolctl; without it
the OpenBLAS/MKL/OpenMP environment variables are set before NumPy is imported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext

SECTIONS = ("mlp", "op", "scalar", "memory", "cnn", "lstm", "gpt")
_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="autograd_lite benchmarks: medians of interleaved, warmed-up repeats.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, a run in < 30 s")
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to run, from {', '.join(SECTIONS)} (default: all)",
    )
    parser.add_argument("--repeats", type=int, default=None, help="timed samples per variant")
    parser.add_argument("--warmup", type=int, default=None, help="untimed calls per variant")
    parser.add_argument(
        "--min-time", type=float, default=None, help="seconds one timed sample lasts at least"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="BLAS (and torch) threads; 0 leaves them as is"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the targets as JSON")
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(args.only) - set(SECTIONS))
    if unknown:
        parser.error(f"--only: unknown section(s) {unknown}; choose from {list(SECTIONS)}")
    return args


def pin_threads(threads: int) -> tuple[AbstractContextManager, str]:
    """Limit BLAS to ``threads`` threads; returns the context to run in and a note on how.

    Before NumPy is imported, the OpenBLAS/MKL/OpenMP environment variables are set, so
    BLAS starts with that many threads; threadpoolctl then only confirms the count. Only
    when NumPy is already loaded is the limit set at run time with threadpoolctl: OpenBLAS
    0.3.31 limited that way (its pool started with a thread per core) was measured to
    stall some matrix products by 10-20 ms on a loaded machine, e.g. a (16384, 9) @ (9, 16)
    float32 product taking 15 ms instead of 0.09 ms, which made every NumPy-based column
    noisy and slow against PyTorch's own thread pool.
    """
    if threads <= 0:
        return nullcontext(), "BLAS threads: not pinned (--threads 0)"
    if "numpy" not in sys.modules:
        for variable in _THREAD_VARIABLES:
            os.environ[variable] = str(threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        if "numpy" in sys.modules and os.environ.get(_THREAD_VARIABLES[0]) != str(threads):
            return nullcontext(), "BLAS threads: NOT pinned (no threadpoolctl, NumPy loaded)"
        return nullcontext(), f"BLAS threads: {threads} via environment variables"
    import numpy  # noqa: F401 - threadpoolctl limits only libraries already loaded

    return threadpool_limits(limits=threads, user_api="blas"), "threadpoolctl"


def describe_blas() -> str:
    """BLAS library and thread count as threadpoolctl sees them (inside the limit)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS thread count not inspectable (threadpoolctl not installed)"
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    if not pools:
        return "no BLAS thread pool found"
    return "; ".join(
        f"{p.get('internal_api')} {p.get('version')}: {p.get('num_threads')} thread(s)"
        for p in pools
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen sections, print their tables and a summary of the issue's targets."""
    args = parse_args(argv)
    limit, how = pin_threads(args.threads)
    with limit:
        import numpy as np

        from . import layers_conv, layers_rnn, memory, mlp_step, op_overhead, scalar_engine
        from .common import Config, format_table

        config = Config(quick=args.quick, threads=args.threads)
        if args.quick:
            config.repeats, config.warmup, config.min_time = 3, 1, 0.01
        if args.repeats is not None:
            config.repeats = args.repeats
        if args.warmup is not None:
            config.warmup = args.warmup
        if args.min_time is not None:
            config.min_time = args.min_time
        thread_note = describe_blas() if how == "threadpoolctl" else how
        print("# autograd_lite benchmarks")
        print(
            f"Python {platform.python_version()}, NumPy {np.__version__}, "
            f"{os.cpu_count()} CPU(s), {platform.machine()}"
        )
        print(f"BLAS: {thread_note}")
        print(
            f"{'quick' if config.quick else 'full'} run: median of {config.repeats} interleaved "
            f"samples after {config.warmup} warm-up call(s), samples >= {config.min_time} s"
        )
        runners = {
            "mlp": mlp_step.run,
            "op": op_overhead.run,
            "scalar": scalar_engine.run,
            "memory": memory.run,
            "cnn": layers_conv.run,
            "lstm": layers_rnn.run_lstm,
            "gpt": layers_rnn.run_gpt,
        }
        targets = []
        started = time.perf_counter()
        for name in args.only:
            section_start = time.perf_counter()
            section = runners[name](config)
            print(f"\n## {section.title}\n")
            for headers, rows in section.tables:
                print(format_table(headers, rows))
                print()
            for note in section.notes:
                print(f"- {note}")
            print(f"- section time: {time.perf_counter() - section_start:.1f} s")
            sys.stdout.flush()
            targets.extend(section.targets)
        print("\n## Targets\n")
        rows = [
            [t.name, f"{t.ratio:.2f}", f"{t.limit}", "ok" if t.met else "MISSED"] for t in targets
        ]
        print(format_table(["target", "measured", "limit", "verdict"], rows))
        met = sum(t.met for t in targets)
        print(f"\n{met} of {len(targets)} targets met; total {time.perf_counter() - started:.1f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(
                [{"name": t.name, "ratio": t.ratio, "limit": t.limit} for t in targets],
                handle,
                indent=1,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
