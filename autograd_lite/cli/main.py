"""The ``autograd-lite`` command: ``demo``, ``gradcheck`` and ``graph`` subcommands, ``--version``.

Each subcommand lives in its own module under ``autograd_lite/cli/`` and exposes
``add_parser(subparsers)``, which registers its arguments and a ``run(args) -> int``.

Exit status: 0 success (gradients agree), 1 gradients disagree (gradcheck), 2 the command
could not run, always with one line on stderr naming the cause; an unexpected exception
in a subcommand is reported the same way rather than as a traceback with status 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .._version import __version__
from ._common import USAGE_ERROR, describe

SUBCOMMANDS = ("demo", "gradcheck", "graph")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="autograd-lite",
        description="Reverse-mode autodiff you can read, check and explain.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}", help="print the version"
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"autograd_lite.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"autograd_lite.cli.{name}":
                raise
            continue  # subcommand not written yet
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except Exception as exc:  # noqa: BLE001 - a crash is "could not run" too: 2, one line
        print(f"autograd-lite {args.command}: error: {describe(exc)}", file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
