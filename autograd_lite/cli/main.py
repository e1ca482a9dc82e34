"""The ``autograd-lite`` command: ``demo``, ``gradcheck`` and ``graph`` subcommands, ``--version``.

Each subcommand lives in its own module under ``autograd_lite/cli/`` and exposes
``add_parser(subparsers)``, which registers its arguments and a ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .._version import __version__

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
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
