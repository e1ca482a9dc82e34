"""``autograd-lite graph``: draw the graph of a demo network or of your own function.

    autograd-lite graph --demo 222 -o graph.png --highlight w5 --explain w5
    autograd-lite graph my_model.py:build -o graph.svg

A user function takes no arguments and returns the output Value or Tensor (or a pair
``(output, module)`` so that the module's parameters get their dotted names). Unless
``--no-backward`` is given, backward() runs first so the picture shows gradients. Without
``-o`` the DOT text is printed, which needs no Graphviz program.

Exit status: 0 when the graph was drawn, 2 when it could not be (no such file or function,
a file or function that raised or called sys.exit, a function that needs arguments, a bad
option, an -o that is a directory or cannot be written, or no Graphviz ``dot`` for -o);
the reason is printed as one line on stderr, naming the exception type and the line of
your file it came from.
"""

from __future__ import annotations

import argparse
import inspect
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..documents import CHAIN_001_START, NETWORK_222_START, chain_001, network_222
from ..explaining.explain import explain
from ..scalar.value import Value
from ..tensor import Tensor
from ..viz.draw import GraphvizNotFoundError, draw_graph, render_graph
from ..viz.layout import vertices_below
from ._common import (
    USAGE_ERROR,
    CommandError,
    check_picture_path,
    describe,
    import_user_file,
)

DEFAULT_FUNCTION = "build_graph"


def demo_222() -> Value:
    """Document 002's 2-2-2 network with every Value labelled as the document names it."""
    return network_222(dict(NETWORK_222_START)).error


def demo_chain() -> Value:
    """Document 001's chain of two sigmoid neurons."""
    return chain_001(dict(CHAIN_001_START)).error


def demo_mlp() -> Tensor:
    """A small Tensor network: 4 samples, 3 inputs, 4 tanh units, 1 output, mean squared error."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(4, 3)))
    target = Tensor(rng.normal(size=(4, 1)))
    parameters = {
        "W1": (rng.normal(size=(3, 4)) * 0.5),
        "b1": np.zeros(4),
        "W2": (rng.normal(size=(4, 1)) * 0.5),
        "b2": np.zeros(1),
    }
    tensors = {name: Tensor(array, requires_grad=True) for name, array in parameters.items()}
    for name, tensor in tensors.items():
        tensor.label = name
    hidden = (x @ tensors["W1"] + tensors["b1"]).tanh()
    prediction = hidden @ tensors["W2"] + tensors["b2"]
    loss = ((prediction - target) ** 2).mean()
    loss.label = "loss"
    return loss


DEMOS: dict[str, Callable[[], Any]] = {"222": demo_222, "chain": demo_chain, "mlp": demo_mlp}


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``graph`` subcommand."""
    parser = subparsers.add_parser(
        "graph",
        help="draw a computation graph to PNG/SVG/PDF (or print its DOT text)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--demo", choices=sorted(DEMOS), help="a built-in network")
    source.add_argument(
        "function",
        nargs="?",
        help=f"FILE.py[:FUNCTION] returning the output (FUNCTION defaults to {DEFAULT_FUNCTION})",
    )
    parser.add_argument("-o", "--output", help="image file: .png, .svg or .pdf")
    parser.add_argument("--rankdir", default="LR", choices=("LR", "RL", "TB", "BT"))
    parser.add_argument("--edge-grads", action="store_true", help="label edges with d out/d in")
    parser.add_argument("--highlight", metavar="LABEL", help="highlight paths from this value")
    parser.add_argument("--explain", metavar="LABEL", help="also print explain(output, LABEL)")
    parser.add_argument(
        "--index", help="with --explain on a Tensor: the gradient element, e.g. 0,1"
    )
    parser.add_argument("--max-nodes", type=int, default=150, help="collapse beyond this (150)")
    parser.add_argument("--no-data", action="store_true", help="hide values")
    parser.add_argument("--no-grad", action="store_true", help="hide gradients")
    parser.add_argument("--no-backward", action="store_true", help="do not run backward() first")
    parser.set_defaults(run=run)


def load_function(spec: str) -> Callable[[], Any]:
    """Import ``FILE.py[:FUNCTION]`` and return the function (no arguments).

    Raises:
        CommandError: no such file, a file that cannot be imported (the error is named,
            sys.exit() included), no such function, or a function that needs arguments.
    """
    file_part, _, function_name = spec.partition(":")
    path = Path(file_part)
    function_name = function_name or DEFAULT_FUNCTION
    if not path.is_file():
        raise CommandError(f"no such file {file_part!r}")
    module = import_user_file(path, f"_graph_source_{path.stem}")
    function = getattr(module, function_name, None)
    if not callable(function):
        raise CommandError(f"{file_part!r} has no function {function_name!r}")
    required = _required_parameters(function)
    if required:
        raise CommandError(
            f"{file_part}:{function_name} takes arguments ({', '.join(required)}); it must "
            "take none and return the output Value or Tensor (or (output, module))"
        )
    return function


def _required_parameters(function: Callable[..., Any]) -> list[str]:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # no signature to inspect (some builtins): just call it
        return []
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [p.name for p in parameters if p.default is p.empty and p.kind not in variadic]


def find_labelled(root: Value | Tensor, label: str, names: dict[int, str]) -> Value | Tensor:
    """The Value (or leaf Tensor) in ``root``'s graph whose label or dotted name is ``label``."""
    start = root if isinstance(root, Value) else root._vertex()
    vertices = vertices_below(start) if start is not None else []
    candidates = [v for v in vertices if isinstance(v, (Value, Tensor))]
    for vertex in candidates:
        if vertex.label == label or names.get(id(vertex)) == label:
            return vertex
    known = sorted({names.get(id(v)) or v.label for v in candidates} - {""})
    raise CommandError(f"no value labelled {label!r}; labelled values: {', '.join(known)}")


def _parse_index(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        message = f"--index must be integers separated by commas, got {text!r}"
        raise CommandError(message) from None


def _build(args: argparse.Namespace) -> tuple[Value | Tensor, Any]:
    function = DEMOS[args.demo] if args.demo else load_function(args.function)
    user_file = None if args.demo else args.function.partition(":")[0]
    try:
        result = function()
    # sys.exit() too: it must not end the command with the user's status
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the user's function failed
        raise CommandError(f"the function could not run: {describe(exc, user_file)}") from exc
    module = None
    if isinstance(result, tuple) and len(result) == 2:
        result, module = result
    if not isinstance(result, (Value, Tensor)):
        raise CommandError(
            f"the function must return a Value or a Tensor (or (output, module)), "
            f"got {type(result).__name__}"
        )
    if module is not None and not hasattr(module, "named_parameters"):
        raise CommandError(
            f"the function returned (output, module) but the module has no "
            f"named_parameters(): got {type(module).__name__}"
        )
    return result, module


def run(args: argparse.Namespace, echo: Callable[[str], None] = print) -> int:
    """Build the graph, optionally explain and backward, then draw it.

    Returns:
        0, or 2 when the graph could not be drawn (a bad file, function or option, or the
        function raised); the reason is printed as one line on stderr.
    """
    try:
        if args.output:  # before any work: a directory, a bad suffix, a read-only place
            check_picture_path(args.output, "-o")
        root, module = _build(args)
        names = {id(p): name for name, p in module.named_parameters()} if module is not None else {}
        if args.explain:  # before backward: a Tensor graph is freed by backward()
            wrt = find_labelled(root, args.explain, names)
            index = _parse_index(args.index) if getattr(args, "index", None) else None
            echo(str(explain(root, wrt, module=module, index=index)))
        highlight = find_labelled(root, args.highlight, names) if args.highlight else None
        if not args.no_backward:
            if isinstance(root, Value):
                root.backward()
            elif root.requires_grad and root.data.size == 1:
                root.backward(retain_graph=True)
        graph = draw_graph(
            root,
            rankdir=args.rankdir,
            show_data=not args.no_data,
            show_grad=not args.no_grad,
            show_edge_grads=args.edge_grads,
            highlight=highlight,
            max_nodes=args.max_nodes,
            module=module,
        )
        if args.output:
            try:
                written = render_graph(graph, args.output)
            except (OSError, subprocess.CalledProcessError) as exc:
                raise CommandError(f"cannot write {args.output}: {describe(exc)}") from exc
            echo(f"wrote {written}")
        else:
            echo(graph.source)
    except (CommandError, GraphvizNotFoundError, ValueError, TypeError) as exc:
        print(f"autograd-lite graph: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    return 0
