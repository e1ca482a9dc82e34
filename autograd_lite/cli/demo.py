"""``autograd-lite demo``: document 002's 2-2-2 network, the document's numbers beside ours.

Exit status: 0 when the demo ran, 2 when it could not (a bad setting, or a --picture path
that is a directory, has another suffix than .png/.svg/.pdf or cannot be written), with
the reason as one line on stderr; the settings and the picture path are checked before
anything is computed.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
from collections.abc import Callable

from ..documents import (
    NETWORK_222_START,
    NETWORK_222_WEIGHTS,
    matches_printed,
    network_222,
    sgd_step,
)
from ..explaining.explain import explain
from ..scalar.value import Value
from ..viz.draw import GraphvizNotFoundError, draw_graph, render_graph
from ._common import USAGE_ERROR, CommandError, check_picture_path, describe

# The numbers document 002 prints, in the order it derives them.
FORWARD_PRINTED = (
    ("net_h1", "0.3775"), ("out_h1", "0.593269992"), ("out_h2", "0.596884378"),
    ("net_o1", "1.105905967"), ("out_o1", "0.75136507"), ("out_o2", "0.772928465"),
    ("E_o1", "0.274811083"), ("E_o2", "0.023560026"), ("E", "0.298371109"),
)  # fmt: skip
UPDATED_PRINTED = (
    ("w5", "0.35891648"), ("w6", "0.408666186"), ("w7", "0.511301270"), ("w8", "0.561370121"),
    ("w1", "0.149780716"), ("w2", "0.19956143"), ("w3", "0.24975114"), ("w4", "0.29950229"),
)  # fmt: skip


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="train document 002's 2-2-2 network and compare with the document",
        description=__doc__,
    )
    parser.add_argument("--epochs", type=int, default=10_000, help="updates to run (10000)")
    parser.add_argument(
        "--threshold", type=float, default=None, help="stop once the error is below this"
    )
    parser.add_argument(
        "--lr", type=float, default=0.5, help="learning rate (0.5, as document 002)"
    )
    parser.add_argument(
        "--picture",
        default="out/demo_graph.png",
        help="where to write the picture of the graph (.png, .svg or .pdf; '' for none)",
    )
    parser.set_defaults(run=run)


def _row(name: str, printed: str, engine: float) -> str:
    mark = "ok" if matches_printed(engine, printed) else "differs"
    return f"  {name:<28} {printed:>14}   {engine:>16.10g}   {mark}"


def _derivative(output: Value, wrt: Value, values: dict[str, Value]) -> float:
    """d output / d wrt from a fresh backward pass."""
    for value in values.values():
        value.grad = 0.0
    output.backward()
    return wrt.grad


def _check_arguments(args: argparse.Namespace) -> None:
    """Raise CommandError for a setting the demo cannot run with, before any work."""
    if args.epochs < 1:
        raise CommandError(f"--epochs must be a positive integer, got {args.epochs}")
    if not (math.isfinite(args.lr) and args.lr > 0):
        raise CommandError(f"--lr must be a positive finite number, got {args.lr}")
    if args.threshold is not None and math.isnan(args.threshold):
        raise CommandError(f"--threshold must be a number, got {args.threshold}")
    if args.picture:
        check_picture_path(args.picture, "--picture")


def run(args: argparse.Namespace, echo: Callable[[str], None] = print) -> int:
    """Run the demo, printing through ``echo``; returns the exit code (0, or 2 if it cannot)."""
    try:
        _check_arguments(args)
    except CommandError as exc:
        print(f"autograd-lite demo: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    echo("autograd_lite demo: the 2-2-2 network of document 002, built from Values\n")
    echo(f"  {'quantity':<28} {'document':>14}   {'engine':>16}")
    numbers = dict(NETWORK_222_START)
    forward = network_222(numbers)
    values = forward.values

    echo("Forward pass")
    for name, printed in FORWARD_PRINTED:
        echo(_row(name, printed, values[name].data))

    echo("\nBackward pass: dE/dw5 = dE/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw5")
    factors = (
        ("dE/dout_o1", "0.74136507", _derivative(values["E"], values["out_o1"], values)),
        ("dout_o1/dnet_o1", "0.186815602", _derivative(values["out_o1"], values["net_o1"], values)),
        ("dnet_o1/dw5", "0.593269992", _derivative(values["net_o1"], values["w5"], values)),
        ("dE/dw5", "0.082167041", _derivative(values["E"], values["w5"], values)),
        ("dE/dw1", "0.000438568", _derivative(values["E"], values["w1"], values)),
    )
    for name, printed, engine in factors:
        echo(_row(name, printed, engine))

    echo("\nexplain(E, w5): the same derivation, read off the graph")
    values["E"].zero_grad()  # every Value below E, unnamed ones too: the picture shows them
    values["E"].backward()
    echo("  " + str(explain(values["E"], values["w5"])).replace("\n", "\n  "))
    if args.picture:
        try:
            path = render_graph(draw_graph(values["E"], highlight=values["w5"]), args.picture)
            echo(f"\nPicture of the graph (paths from w5 in red): {path}")
        except GraphvizNotFoundError as exc:
            echo(f"\nNo picture written: {exc}")
        except (OSError, subprocess.CalledProcessError) as exc:  # e.g. the disk is full
            print(
                f"autograd-lite demo: error: cannot write {args.picture}: {describe(exc)}",
                file=sys.stderr,
            )
            return USAGE_ERROR

    echo(f"\nOne gradient-descent update of the eight weights, w <- w - {args.lr} * dE/dw")
    sgd_step(numbers, NETWORK_222_WEIGHTS, args.lr, network_222)
    for name, printed in UPDATED_PRINTED:
        echo(_row(f"{name}+", printed, numbers[name]))
    error = network_222(numbers).error.data
    echo(_row("E after one update", "0.291027924", error))
    echo("  (the document rounds loosely here: recomputed exactly, E = 0.291027774)")

    if args.threshold is None:
        echo(f"\nTraining: for up to {args.epochs} updates")
    else:
        echo(f"\nTraining: up to {args.epochs} updates or until E < {args.threshold:g}")
    updates = 1
    while updates < args.epochs and (args.threshold is None or error >= args.threshold):
        error = sgd_step(numbers, NETWORK_222_WEIGHTS, args.lr, network_222).error.data
        updates += 1
        if updates in (10, 100, 1000) or updates % 2500 == 0:
            echo(f"  error seen before update {updates:>6}: {error:.10g}")
    if updates == 10_000 and args.lr == 0.5:
        echo(_row("E at the 10,000th pass", "0.0000351085", error))
    error = network_222(numbers).error.data
    echo(f"  error after {updates} updates: {error:.10g}")
    return 0
