"""Profile a benchmark workload with cProfile: ``python -m benchmarks.profile mlp``.

Workloads: ``mlp`` (784-256-10 training step, batch 32, float32, by default), ``chain``
(the per-op chain forward + backward), ``value`` (the random Value graph), and the network
steps ``cnn`` (at ``--batch``), ``lstm`` and ``gpt`` (at their benchmark sizes). Prints the
top functions by cumulative and by own time, with their share of the total.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
from collections.abc import Callable, Sequence

import numpy as np


def workload(name: str, sizes: list[int], batch: int, dtype: str) -> Callable[[], object]:
    """The function to profile (one unit of work)."""
    if name == "mlp":
        from .handwritten import make_engine_model
        from .mlp_step import engine_step_function, make_batch

        model = make_engine_model(sizes, np.dtype(dtype).type)
        x, targets = make_batch(sizes, batch, np.dtype(dtype).type)
        return engine_step_function(model, x, targets)
    if name in ("cnn", "lstm", "gpt"):
        return network_step(name, batch, np.dtype(dtype).type)
    if name == "chain":
        from .op_overhead import make_chain

        return make_chain()["engine forward+backward"]
    from .scalar_engine import engine_build_backward, make_graph

    graph = make_graph()
    return lambda: engine_build_backward(graph)


def network_step(name: str, batch: int, dtype: type) -> Callable[[], object]:
    """The autograd_lite step of a network section (``cnn`` at ``batch``)."""
    import nn

    from .training import engine_step

    nn.manual_seed(0)
    if name == "cnn":
        from .layers_conv import LEARNING_RATE, build, make_batch

        model = build(nn, dtype)
        x, targets = make_batch(batch, dtype)
        optimizer = nn.optim.SGD(model.parameters(), LEARNING_RATE)
        return engine_step(model, optimizer, x, targets)
    from .layers_rnn import CASES, make_data

    maker, shape, _, optimizer_name, flatten = CASES[name]
    model = maker(nn, dtype)
    x, targets = make_data(name, shape, dtype)
    optimizer = getattr(nn.optim, optimizer_name)(model.parameters(), lr=1e-3)
    return engine_step(model, optimizer, x, targets, flatten)


def top_rows(stats: pstats.Stats, key: str, limit: int) -> list[tuple[str, float, float, int]]:
    """(function, cumulative %, own %, calls) of the ``limit`` top functions by ``key``."""
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = []
    for (filename, line, function), entry in stats.stats.items():  # type: ignore[attr-defined]
        calls, _, own, cumulative = entry[0], entry[1], entry[2], entry[3]
        where = f"{filename.split('/main/')[-1].split('/perfnn/')[-1]}:{line}({function})"
        rows.append((where, 100 * cumulative / total, 100 * own / total, calls))
    index = 1 if key == "cumulative" else 2
    return sorted(rows, key=lambda row: row[index], reverse=True)[:limit]


def main(argv: Sequence[str] | None = None) -> int:
    """Profile ``repeats`` runs of a workload after a warm-up and print the hot spots."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile")
    parser.add_argument("workload", choices=("mlp", "chain", "value", "cnn", "lstm", "gpt"))
    parser.add_argument("--sizes", default="784,256,10", help="MLP layer widths")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    try:
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(limits=1, user_api="blas")
    except ImportError:
        limit = None
    sizes = [int(size) for size in args.sizes.split(",")]
    function = workload(args.workload, sizes, args.batch, args.dtype)
    for _ in range(3):
        function()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.repeats):
        function()
    profiler.disable()
    stats = pstats.Stats(profiler)
    print(f"{args.workload}: {args.repeats} runs, {stats.total_tt:.3f} s profiled")  # type: ignore[attr-defined]
    for key in ("cumulative", "own"):
        print(f"\ntop by {key} time")
        print(f"{'cum %':>6} {'own %':>6} {'calls':>8}  function")
        for where, cumulative, own, calls in top_rows(stats, key, args.top):
            print(f"{cumulative:6.1f} {own:6.1f} {calls:8d}  {where}")
    if limit is not None:
        limit.restore_original_limits()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
