"""``autograd-lite gradcheck``: check the gradient of a function in a file, without a test.

    autograd-lite gradcheck my_ops.py:softplus --shapes 3,4
    autograd-lite gradcheck my_ops.py:affine --shapes 5,3 3 --range -2 2 --seed 1
    autograd-lite gradcheck my_ops.py:scalar_fn --values 2
    autograd-lite gradcheck my_ops.py:smooth --shapes 4 --gradgrad
    autograd-lite gradcheck my_ops.py:softplus --shapes 3 --at 0.5,-1,2

FUNCTION is called with one random Tensor (requires_grad=True, float64) per ``--shapes``
entry, or with ``--values N`` random scalar Values. A shape is a comma-separated list of
sizes (``3,4``, ``5`` or ``5,``), or ``()`` / ``scalar`` for a 0-d tensor. Values are
drawn uniformly from ``--range`` (default -1 1; use e.g. ``--range 0.1 2`` for log or
sqrt). ``--at`` checks a chosen point instead: comma-separated numbers, either one list per
input (each filled in row-major order) or one list for all inputs together, in order
(write ``--at=-1,2`` when the first number is negative). The function may return a
Tensor/Value or a tuple of them.

The inputs hold at most 100000 elements in all: central differences evaluate the
function twice per element (small shapes such as 3,4 check a rule as well as big ones).

Exit status: 0 when the gradients agree, 1 when they do not (the failure table is
printed), 2 when the check could not run (bad file, function or arguments, or the
function raised an exception or called sys.exit); the reason is one line on stderr,
with the exception type and the line of your file it came from.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..checking.gradcheck import check_settings, gradcheck_report
from ..scalar.value import Value
from ..tensor import Tensor
from ._common import USAGE_ERROR, CommandError, describe, import_user_file

#: the most input elements a check accepts (two evaluations of the function per element)
MAX_INPUT_ELEMENTS = 100_000


def parse_shape(text: str) -> tuple[int, ...]:
    """``"3,4"`` -> (3, 4); ``"5"`` -> (5,); ``"()"`` or ``"scalar"`` -> ().

    Raises:
        argparse.ArgumentTypeError: for anything else (argparse turns it into exit 2).
    """
    cleaned = text.strip().strip("()").strip()
    if cleaned in ("", "scalar"):
        return ()
    try:
        sizes = tuple(int(part) for part in cleaned.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"shape {text!r} is not a comma-separated list of sizes like 3,4 (or 'scalar')"
        ) from None
    if any(size < 0 for size in sizes):
        raise argparse.ArgumentTypeError(f"shape {text!r} has a negative size")
    return sizes


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``gradcheck`` subcommand."""
    parser = subparsers.add_parser(
        "gradcheck",
        help="check a function's gradient against finite differences",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("target", metavar="FILE.py:FUNCTION", help="the function to check")
    inputs = parser.add_mutually_exclusive_group(required=True)
    inputs.add_argument(
        "--shapes",
        nargs="+",
        type=parse_shape,
        metavar="SHAPE",
        help="one Tensor input per shape, e.g. --shapes 3,4 4 scalar",
    )
    inputs.add_argument(
        "--values", type=int, metavar="N", help="call the function with N scalar Values"
    )
    parser.add_argument(
        "--range",
        nargs=2,
        type=float,
        default=(-1.0, 1.0),
        metavar=("LOW", "HIGH"),
        help="draw input values uniformly from [LOW, HIGH) (default: -1 1)",
    )
    parser.add_argument(
        "--at",
        nargs="+",
        metavar="NUMBERS",
        help="check at this point, not a random one: comma-separated numbers, one list per "
        "input or one list for all inputs (e.g. --at 0.5,-1,2; --at=-1,2 for a leading minus)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--eps", type=float, default=1e-6, help="finite-difference step")
    parser.add_argument("--atol", type=float, default=1e-5, help="absolute tolerance")
    parser.add_argument("--rtol", type=float, default=1e-3, help="relative tolerance")
    parser.add_argument(
        "--gradgrad", action="store_true", help="also check second derivatives (Tensors only)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the check; return 0 (gradients agree), 1 (they do not) or 2 (could not check)."""
    try:
        fn = load_function(args.target)
        _check_arguments(args)
        low, high = args.range
        inputs = _random_inputs(args.shapes, args.values, low, high, args.seed)
        if args.at is not None:
            place_at(inputs, args.at)
    except (CommandError, ValueError, TypeError, OSError, MemoryError) as exc:
        return _error(str(exc) if isinstance(exc, CommandError) else describe(exc))
    described = (
        f"{args.values} Value(s)"
        if args.values is not None
        else "shapes " + ", ".join(str(shape) for shape in args.shapes)
    )
    if args.at is not None:
        described += " at " + " ".join(args.at)
    user_file = args.target.rpartition(":")[0]
    status = 0
    for second_order in (False, True) if args.gradgrad else (False,):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                report = gradcheck_report(
                    fn,
                    inputs,
                    eps=args.eps,
                    atol=args.atol,
                    rtol=args.rtol,
                    second_order=second_order,
                )
        # sys.exit() in the function too: it must not end the command with its status
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - report it, do not crash
            return _error(f"the check could not run: {describe(exc, user_file)}")
        report.fn_name = f"{args.target} ({described})"
        print(report.format())
        if not report.passed:
            status = 1
    return status


def _error(message: str) -> int:
    print(f"autograd-lite gradcheck: error: {message}", file=sys.stderr)
    return USAGE_ERROR


def _check_arguments(args: argparse.Namespace) -> None:
    """Raise CommandError for a setting the check cannot run with (before any work)."""
    try:
        check_settings("--", args.eps, args.atol, args.rtol)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if args.seed < 0:
        raise CommandError(f"--seed must be a non-negative integer, got {args.seed}")
    low, high = args.range
    if not (math.isfinite(low) and math.isfinite(high)):
        raise CommandError(f"--range needs finite LOW and HIGH, got {low} {high}")
    if not low < high:
        raise CommandError(f"--range needs LOW < HIGH, got {low} {high}")
    if not math.isfinite(high - low):
        raise CommandError(f"--range {low} {high} is too wide: HIGH - LOW overflows a float64")
    if args.values is not None and args.values < 1:
        raise CommandError("--values needs at least 1")
    if args.values is not None and args.gradgrad:
        raise CommandError("--gradgrad needs Tensors (--shapes); Values are differentiable once")
    if args.values is not None:
        option, count = "--values", args.values
    else:
        option, count = "--shapes", sum(math.prod(shape) for shape in args.shapes)
    if count > MAX_INPUT_ELEMENTS:
        raise CommandError(
            f"{option} asks for {count} input elements in all; central differences evaluate the "
            f"function twice per element, so at most {MAX_INPUT_ELEMENTS} are accepted "
            "(small shapes such as 3,4 check a gradient rule as well as big ones)"
        )


def load_function(target: str) -> Callable[..., Any]:
    """Import ``FILE.py:FUNCTION`` and return the function.

    Raises:
        CommandError: no ``:FUNCTION`` part, no such file, a file that raised (or called
            sys.exit) while being imported, no such function, or a name that is not
            callable.
    """
    path_text, separator, name = target.rpartition(":")
    if not separator or not path_text or not name:
        raise CommandError(f"expected FILE.py:FUNCTION, got {target!r}")
    path = Path(path_text)
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    module_name = f"_autograd_lite_gradcheck_{abs(hash(path.resolve()))}"
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # let the file import its neighbours
    try:
        module = import_user_file(path, module_name)
    finally:
        sys.path.remove(folder)
    if not hasattr(module, name):
        defined = sorted(
            n for n, v in vars(module).items() if callable(v) and not n.startswith("_")
        )
        raise CommandError(f"{path} defines no function {name!r} (it defines: {defined})")
    function = getattr(module, name)
    if not callable(function):
        raise CommandError(f"{path}:{name} is not callable")
    return function


def _random_inputs(
    shapes: list[tuple[int, ...]] | None, n_values: int | None, low: float, high: float, seed: int
) -> list[Any]:
    rng = np.random.default_rng(seed)
    if n_values is not None:
        return [Value(float(rng.uniform(low, high)), label=f"x{i}") for i in range(n_values)]
    tensors = []
    for i, shape in enumerate(shapes or ()):
        tensor = Tensor(rng.uniform(low, high, size=shape), requires_grad=True)
        tensor.label = f"x{i}"
        tensors.append(tensor)
    return tensors


def place_at(inputs: list[Any], lists: list[str]) -> None:
    """Give ``inputs`` (Tensors or Values) the numbers of ``--at``, in place.

    ``lists`` holds one comma-separated list per input (each filled in row-major order), or
    a single list for all inputs together, in order.

    Raises:
        ValueError: for a number that does not parse or a count that does not fit.
    """
    try:
        groups = [[float(part) for part in text.split(",") if part.strip()] for text in lists]
    except ValueError:
        raise ValueError(f"expected comma-separated numbers, got {' '.join(lists)!r}") from None
    sizes = [x.data.size if isinstance(x, Tensor) else 1 for x in inputs]
    if len(groups) == 1 and len(inputs) > 1:
        numbers, groups = groups[0], []
        if len(numbers) != sum(sizes):
            raise ValueError(
                f"got {len(numbers)} number(s) for {len(inputs)} inputs with {sum(sizes)} "
                f"entries in all (sizes {sizes})"
            )
        for size in sizes:
            groups.append(numbers[:size])
            numbers = numbers[size:]
    if len(groups) != len(inputs):
        raise ValueError(f"got {len(groups)} lists of numbers for {len(inputs)} inputs")
    for position, (x, numbers, size) in enumerate(zip(inputs, groups, sizes)):
        if len(numbers) != size:
            raise ValueError(f"input {position} has {size} entries but got {len(numbers)} numbers")
        if isinstance(x, Tensor):
            x.data = np.array(numbers, dtype=np.float64).reshape(x.shape)
        else:
            x.data = numbers[0]
