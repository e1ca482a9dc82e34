"""explain(): the chain-rule breakdown of one gradient, path by path, as the documents write it.

For a `Value` graph, d output / d wrt is the sum over every path from ``wrt`` to ``output``
of the product of the local derivatives on the path. Each local derivative is already stored
on its edge (``Value._local_grads``); its formula comes from the rule table
(`scalar_ops.SCALAR_RULES`).

Folding: when intermediate Values carry labels, the factors run between consecutive
labelled values. The factor between labelled ``u`` and ``v`` is d v / d u restricted to the
sub-paths that pass through no other labelled value (summed over those sub-paths), so an
unlabelled ``0.5 * (t - out) ** 2`` becomes one factor d E_o1 / d out. A labelled value that
only enters a plain sum (``E = E_o1 + E_o2``, derivative exactly 1) is folded into the factor
below it (``merge_sums``), which gives the document's "d E / d out_o1 = 0.74136507".

Shared structure: values that every path goes through (``out_h1`` for dE/dw1) cut the
breakdown into *stages*; a stage between two such values is one factor or a sum of branches.
That is the document's form dE/dw1 = (dE_o1/dout_h1 + dE_o2/dout_h1) * dout_h1/dnet_h1 * ...

For a `Tensor` graph, `explain` follows one element of a gradient through the operations
(see `_explain_tensor`). Path counts are found by dynamic programming first; graphs with many
paths are summarised (the largest paths by |product| plus the exact total). No recursion.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import numpy as np

from .errors import GraphFreedError
from .grad_mode import no_grad
from .graph import topological_order
from .scalar_ops import SCALAR_RULES
from .tensor import Tensor
from .value import Value

_EXPRESSION_LIMIT = 40  # longer expressions of unlabelled values are replaced by a short name
_MAX_SUBPATH_FORMULAS = 4  # a folded factor with more unlabelled sub-paths gets a summary text
_PLACEHOLDER = re.compile(r"\b(a|b|out)\b")


def _num(number: float) -> str:
    """A number to 9 significant digits, as explain() prints every number."""
    return f"{number:.9g}"


# ------------------------------------------------------------------------ result objects
@dataclass(frozen=True)
class Factor:
    """One factor of a chain-rule product: d upper / d lower with its formula and number."""

    upper: str
    lower: str
    formula: str
    value: float
    through: tuple[str, ...] = ()  # labelled sums folded into this factor (output side first)

    @property
    def name(self) -> str:
        """The derivative's name, e.g. ``d out_o1 / d net_o1``."""
        return f"d {self.upper} / d {self.lower}"

    @property
    def description(self) -> str:
        """Name and formula, e.g. ``d out_o1 / d net_o1 = out_o1 * (1 - out_o1)``."""
        return f"{self.name} = {self.formula}"

    def __str__(self) -> str:
        note = f"   (through {', '.join(self.through)})" if self.through else ""
        if self.formula == _num(self.value):  # a constant factor: say it once
            return f"{self.name} = {self.formula}{note}"
        return f"{self.description} = {_num(self.value)}{note}"


@dataclass(frozen=True)
class Path:
    """One path from the output back to ``wrt``: its factors and their product."""

    steps: tuple[Factor, ...]
    product: float

    @property
    def factors(self) -> list[tuple[str, float]]:
        """(description, value) per factor, ordered from the output back to ``wrt``."""
        return [(step.description, step.value) for step in self.steps]


@dataclass(frozen=True)
class Branch:
    """One way through a stage: a named product of factors."""

    name: str
    steps: tuple[Factor, ...]
    product: float


@dataclass(frozen=True)
class Stage:
    """d upper / d lower between two values that every path goes through."""

    upper: str
    lower: str
    value: float
    branches: tuple[Branch, ...]
    n_branches: int

    @property
    def name(self) -> str:
        """The stage's derivative name, e.g. ``d E / d out_h1``."""
        return f"d {self.upper} / d {self.lower}"


@dataclass
class Explanation:
    """The chain-rule breakdown of d output / d wrt for a Value graph.

    Attributes:
        output_name, wrt_name: names used in the text.
        total: d output / d wrt computed exactly as the engine's backward pass does.
        paths: the paths (all of them, or the largest by |product| when there are more
            than ``max_paths``), each with ``.factors`` and ``.product``.
        n_paths: how many paths there are in all.
        stages: the product form around values every path goes through.
    """

    output_name: str
    wrt_name: str
    total: float
    paths: list[Path] = field(default_factory=list)
    n_paths: int = 0
    stages: list[Stage] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when every path is listed in ``paths``."""
        return len(self.paths) == self.n_paths

    @property
    def path_sum(self) -> float:
        """Sum of the listed paths' products (equals ``total`` when ``complete``)."""
        return sum(path.product for path in self.paths)

    def __str__(self) -> str:
        return "\n".join(_render_value_explanation(self))


# ------------------------------------------------------------------------ public entry
def explain(
    output: Any,
    wrt: Any,
    *,
    fold: bool | None = None,
    merge_sums: bool = True,
    max_paths: int = 20,
    index: int | tuple[int, ...] | None = None,
    module: Any = None,
) -> Any:
    """Break d output / d wrt into chain-rule paths with every local derivative's formula.

    Args:
        output: the Value (or single-element Tensor) that was computed.
        wrt: the Value (or Tensor requiring grad) to differentiate with respect to.
        fold: run factors between labelled values, folding unlabelled steps in. ``None``
            (default) folds when some intermediate value on a path carries a label.
        merge_sums: fold a labelled value that only enters a plain sum (factor exactly 1,
            as ``E = E_o1 + E_o2``) into the factor below it.
        max_paths: list at most this many paths (and branches per stage); beyond that the
            largest by |product| are listed and the rest summarised.
        index: for Tensors, which element of ``wrt``'s gradient to explain: a tuple with
            one integer per axis of ``wrt`` (``(1, 0)`` is row 1, column 0); a single
            integer only for a 1-D ``wrt``. Optional when ``wrt`` has one element.
        module: anything with ``named_parameters()``; its parameters get dotted names.

    Returns:
        An `Explanation` (Values) or `TensorExplanation` (Tensors) with ``.total``,
        ``.paths`` and a readable ``str``.

    Raises:
        TypeError: if ``output`` and ``wrt`` are not both Values or both Tensors.
        ValueError: for ``max_paths < 1``, a Tensor output with several elements or a
            missing/out-of-range ``index``, or one without one entry per axis of ``wrt``.
        GraphFreedError: if a Tensor graph was freed by ``backward()`` (call explain first,
            or use ``backward(retain_graph=True)``).

    Example:
        >>> x = Value(2.0, label="x"); y = (x * x).tanh(); y.label = "y"
        >>> result = explain(y, x)
        >>> round(result.total, 6)  # (1 - tanh(4)**2) * 2x
        0.005364
    """
    if max_paths < 1:
        raise ValueError(f"explain: max_paths must be at least 1, got {max_paths}")
    names = _parameter_names(module)
    if isinstance(output, Value) and isinstance(wrt, Value):
        return _explain_value(output, wrt, fold, merge_sums, max_paths, names)
    if isinstance(output, Tensor) and isinstance(wrt, Tensor):
        return _explain_tensor(output, wrt, index, max_paths, names)
    raise TypeError(
        "explain: output and wrt must both be Values or both be Tensors, got "
        f"{type(output).__name__} and {type(wrt).__name__}"
    )


def _parameter_names(module: Any) -> dict[int, str]:
    """id(parameter) -> dotted name for anything with ``named_parameters()`` (duck typing)."""
    if module is None:
        return {}
    if not hasattr(module, "named_parameters"):
        raise TypeError(
            f"module must have named_parameters() (an nn.Module), got {type(module).__name__}"
        )
    return {id(parameter): name for name, parameter in module.named_parameters()}


# ------------------------------------------------------------------------ names and formulas
class _Namer:
    """Readable names for Values: the label, a number for constants, or a short expression."""

    def __init__(self, order: list[Value], extra_names: dict[int, str]) -> None:
        self._text: dict[int, str] = {}
        for position, value in enumerate(order):
            self._text[id(value)] = self._describe(value, position, extra_names)

    def _describe(self, value: Value, position: int, extra_names: dict[int, str]) -> str:
        if value.label:
            return value.label
        if id(value) in extra_names:
            return extra_names[id(value)]
        if not value._parents:
            return _num(value.data) if value.data >= 0 else f"({_num(value.data)})"
        rule = SCALAR_RULES[value._op]
        operands = [self._text[id(parent)] for parent in value._parents]
        if value._op == "pow_const":
            text = f"({operands[0]}**{_exponent_text(value)})"
        elif value._op == "neg":
            text = f"(-{operands[0]})"
        elif len(operands) == 2:
            text = f"({operands[0]} {rule.symbol} {operands[1]})"
        else:
            text = f"{rule.symbol}({operands[0]})"
        return text if len(text) <= _EXPRESSION_LIMIT else f"[{value._op} #{position}]"

    def __call__(self, value: Value) -> str:
        return self._text[id(value)]

    def step_formula(self, child: Value, parent_index: int) -> str:
        """The rule's formula for d child / d parent, with names in place of a, b, out."""
        template = SCALAR_RULES[child._op].formulas[parent_index]
        names = {"out": self(child), "a": self(child._parents[0])}
        if len(child._parents) > 1:
            names["b"] = self(child._parents[1])
        elif child._op == "pow_const":
            names["b"] = _exponent_text(child)
        return _PLACEHOLDER.sub(lambda match: names.get(match.group(1), match.group(1)), template)


def _exponent_text(value: Value) -> str:
    """The constant exponent of a pow_const Value (not stored; recovered as b = slope*a/out)."""
    base = value._parents[0].data
    if base == 0.0 or value.data == 0.0:
        return "b"
    return f"{value._local_grads[0] * base / value.data:.6g}"


def _product_text(formulas: list[str]) -> str:
    """Join step formulas into one product, dropping factors of 1 and bracketing sums."""
    kept = [text for text in formulas if text != "1"]
    if len(kept) <= 1:
        return kept[0] if kept else "1"
    return " * ".join(_bracket(text) for text in kept)


def _bracket(text: str) -> str:
    depth = 0
    for position, char in enumerate(text):
        depth += char == "("
        depth -= char == ")"
        if depth == 0 and position > 0 and char in "+-" and text[position - 1] == " ":
            return f"({text})"
    return f"({text})" if text.startswith("-") else text


# ------------------------------------------------------------------------ Value graphs
@dataclass
class _Edge:
    """An edge of the key graph (between consecutive key values): d upper / d lower."""

    lower: Value
    upper: Value
    value: float
    formula: str
    unit_sum: bool
    through: tuple[str, ...] = ()


def _engine_gradient(order: list[Value], output: Value, wrt: Value) -> float:
    """d output / d wrt with the same float operations, in the same order, as backward()."""
    adjoint: dict[int, float] = {id(output): 1.0}
    for vertex in reversed(order):
        grad = adjoint.get(id(vertex))
        if grad is None:
            continue
        for parent, partial in zip(vertex._parents, vertex._local_grads):
            contribution = partial * grad
            previous = adjoint.get(id(parent))
            adjoint[id(parent)] = contribution if previous is None else previous + contribution
    return adjoint.get(id(wrt), 0.0)


def _explain_value(
    output: Value,
    wrt: Value,
    fold: bool | None,
    merge_sums: bool,
    max_paths: int,
    extra_names: dict[int, str],
) -> Explanation:
    order = topological_order([output])
    position = {id(vertex): i for i, vertex in enumerate(order)}
    if not wrt.label and id(wrt) not in extra_names:
        extra_names = {**extra_names, id(wrt): "wrt"}  # not a bare number, unlike constants
    namer = _Namer(order, extra_names)
    wrt_name = namer(wrt) if id(wrt) in position else (wrt.label or extra_names.get(id(wrt), "wrt"))
    result = Explanation(namer(output), wrt_name, _engine_gradient(order, output, wrt))
    if id(wrt) not in position:
        return result

    relevant = {id(wrt)}  # on some path wrt -> output: descendants of wrt (all reach output)
    for vertex in order[position[id(wrt)] + 1 :]:
        if any(id(parent) in relevant for parent in vertex._parents):
            relevant.add(id(vertex))
    inner = [v for v in order if id(v) in relevant and v is not wrt and v is not output]
    if fold is None:
        fold = any(v.label or id(v) in extra_names for v in inner)
    keys = {id(wrt), id(output)}
    keys.update(id(v) for v in inner if not fold or v.label or id(v) in extra_names)

    edges = _folded_edges(order, position, relevant, keys, namer, fold)
    if merge_sums and fold:
        edges = _merge_unit_sums(edges, keys, wrt, output, namer)
    graph = _KeyGraph(edges, position, wrt, output, namer)
    result.n_paths = graph.count_paths(wrt, output)
    result.paths = graph.paths(wrt, output, max_paths)
    result.stages = graph.stages(max_paths)
    return result


def _folded_edges(
    order: list[Value],
    position: dict[int, int],
    relevant: set[int],
    keys: set[int],
    namer: _Namer,
    fold: bool,
) -> list[_Edge]:
    """Edges between key values, each summing the sub-paths through non-key values only."""
    edges: list[_Edge] = []
    for upper in order:
        if id(upper) not in keys or id(upper) not in relevant or not upper._parents:
            continue
        # The region below `upper`: relevant values reachable without crossing another key.
        region: dict[int, Value] = {id(upper): upper}
        found_keys: list[Value] = []
        stack = [upper]
        while stack:
            vertex = stack.pop()
            if vertex is not upper and id(vertex) in keys:
                continue
            for parent in reversed(vertex._parents):
                if id(parent) in relevant and id(parent) not in region:
                    region[id(parent)] = parent
                    stack.append(parent)
                    if id(parent) in keys:
                        found_keys.append(parent)
        adjoint: dict[int, float] = {id(upper): 1.0}
        n_subpaths: dict[int, int] = {id(upper): 1}
        children: dict[int, list[tuple[Value, int]]] = {}
        for vertex in sorted(region.values(), key=lambda v: -position[id(v)]):
            if vertex is not upper and id(vertex) in keys:
                continue
            grad, count = adjoint[id(vertex)], n_subpaths[id(vertex)]
            for slot, (parent, partial) in enumerate(zip(vertex._parents, vertex._local_grads)):
                if id(parent) not in region:
                    continue
                adjoint[id(parent)] = adjoint.get(id(parent), 0.0) + partial * grad
                n_subpaths[id(parent)] = n_subpaths.get(id(parent), 0) + count
                children.setdefault(id(parent), []).append((vertex, slot))
        for lower in found_keys:
            subpaths = _subpaths(lower, upper, children, n_subpaths[id(lower)])
            if subpaths is None:
                formula = f"sum over {n_subpaths[id(lower)]} unlabelled sub-paths"
                unit_sum = False
            else:
                texts = [_product_text([namer.step_formula(c, s) for c, s in p]) for p in subpaths]
                formula = " + ".join(texts)
                unit_sum = len(subpaths) == 1 and all(
                    c._op == "add" or (c._op == "sub" and s == 0) for c, s in subpaths[0]
                )
            if fold:
                edges.append(_Edge(lower, upper, adjoint[id(lower)], formula, unit_sum))
            else:  # unfolded: one edge per parent slot, so x * x gives two paths
                for slot, parent in enumerate(upper._parents):
                    if parent is lower:
                        step = namer.step_formula(upper, slot)
                        edges.append(_Edge(lower, upper, upper._local_grads[slot], step, False))
    return edges


def _subpaths(
    lower: Value, upper: Value, children: dict[int, list[tuple[Value, int]]], count: int
) -> list[list[tuple[Value, int]]] | None:
    """The sub-paths lower -> upper as (child, parent slot) steps from upper down, if few."""
    if count > _MAX_SUBPATH_FORMULAS:
        return None
    found: list[list[tuple[Value, int]]] = []
    stack: list[tuple[Value, list[tuple[Value, int]]]] = [(lower, [])]
    while stack:
        vertex, steps_up = stack.pop()
        if vertex is upper:
            found.append(list(reversed(steps_up)))
            continue
        for child, slot in reversed(children.get(id(vertex), [])):
            stack.append((child, steps_up + [(child, slot)]))
    return found


def _merge_unit_sums(
    edges: list[_Edge], keys: set[int], wrt: Value, output: Value, namer: _Namer
) -> list[_Edge]:
    """Fold key values whose every outgoing edge is a plain sum (factor 1) into the edges below."""
    outgoing: dict[int, list[_Edge]] = {}
    incoming: dict[int, list[_Edge]] = {}
    for edge in edges:
        outgoing.setdefault(id(edge.lower), []).append(edge)
        incoming.setdefault(id(edge.upper), []).append(edge)
    removable = [
        edge.lower
        for edge in edges
        if edge.lower is not wrt
        and edge.lower is not output
        and all(e.unit_sum for e in outgoing[id(edge.lower)])
    ]
    done: set[int] = set()
    for middle in removable:
        if id(middle) in done:
            continue
        done.add(id(middle))
        ups = outgoing.pop(id(middle))
        downs = incoming.pop(id(middle), [])
        for up in ups:
            incoming[id(up.upper)].remove(up)
        for down in downs:
            outgoing[id(down.lower)].remove(down)
            for up in ups:
                merged = _Edge(
                    down.lower,
                    up.upper,
                    up.value * down.value,
                    down.formula,
                    down.unit_sum,
                    up.through + (namer(middle),) + down.through,
                )
                outgoing[id(down.lower)].append(merged)
                incoming.setdefault(id(up.upper), []).append(merged)
    return [edge for edge_list in outgoing.values() for edge in edge_list]


class _KeyGraph:
    """The graph of key values and folded edges: path counts, paths, stages."""

    def __init__(
        self,
        edges: list[_Edge],
        position: dict[int, int],
        wrt: Value,
        output: Value,
        namer: _Namer,
    ) -> None:
        self.position = position
        self.namer = namer
        self.wrt, self.output = wrt, output
        self.incoming: dict[int, list[_Edge]] = {}
        vertices = {id(wrt): wrt, id(output): output}
        for edge in edges:
            self.incoming.setdefault(id(edge.upper), []).append(edge)
            vertices[id(edge.lower)] = edge.lower
            vertices[id(edge.upper)] = edge.upper
        for edge_list in self.incoming.values():  # parent order of the graph, deterministic
            edge_list.sort(key=lambda e: position[id(e.lower)], reverse=True)
        self.ascending = sorted(vertices.values(), key=lambda v: position[id(v)])
        self.ascending_positions = [position[id(v)] for v in self.ascending]

    def _factor(self, edge: _Edge) -> Factor:
        upper, lower = self.namer(edge.upper), self.namer(edge.lower)
        return Factor(upper, lower, edge.formula, edge.value, edge.through)

    def _between(self, lower: Value, upper: Value) -> list[Value]:
        start = bisect.bisect_left(self.ascending_positions, self.position[id(lower)])
        stop = bisect.bisect_right(self.ascending_positions, self.position[id(upper)])
        return self.ascending[start:stop]

    def _counts_up(self, lower: Value, upper: Value) -> dict[int, int]:
        """Number of paths from each vertex up to ``upper`` (exact integers)."""
        counts = {id(upper): 1}
        for vertex in reversed(self._between(lower, upper)):
            count = counts.get(id(vertex), 0)
            for edge in self.incoming.get(id(vertex), ()) if vertex is not lower else ():
                counts[id(edge.lower)] = counts.get(id(edge.lower), 0) + count
        return counts

    def count_paths(self, lower: Value, upper: Value) -> int:
        return self._counts_up(lower, upper).get(id(lower), 0)

    def paths(self, lower: Value, upper: Value, limit: int) -> list[Path]:
        """Every path lower -> upper in graph order, or the ``limit`` largest by |product|."""
        if lower is upper:
            return [Path((), 1.0)]
        count = self.count_paths(lower, upper)
        if count <= limit:
            edge_lists = self._all_paths(lower, upper)
        else:
            edge_lists = self._largest_paths(lower, upper, limit)
        paths = []
        for edge_list in edge_lists:
            product = 1.0
            for edge in edge_list:
                product *= edge.value
            paths.append(Path(tuple(self._factor(e) for e in edge_list), product))
        return paths

    def _all_paths(self, lower: Value, upper: Value) -> list[list[_Edge]]:
        """Depth-first from ``upper`` down to ``lower`` (an explicit stack, no recursion)."""
        low = self.position[id(lower)]
        found: list[list[_Edge]] = []
        # Each stack entry keeps its path as a linked list (edge, rest) so a long chain
        # costs linear, not quadratic, time.
        stack: list[tuple[Value, Any]] = [(upper, None)]
        while stack:
            vertex, linked = stack.pop()
            if vertex is lower:
                edges: list[_Edge] = []
                while linked is not None:
                    edges.append(linked[0])
                    linked = linked[1]
                found.append(edges[::-1])
                continue
            for edge in self.incoming.get(id(vertex), ()):
                if self.position[id(edge.lower)] >= low:
                    stack.append((edge.lower, (edge, linked)))
        return [path for path in found if path]

    def _largest_paths(self, lower: Value, upper: Value, limit: int) -> list[list[_Edge]]:
        """The ``limit`` paths with the largest |product|: k-best dynamic programming."""
        best: dict[int, list[tuple[float, _Edge | None, Any]]] = {id(lower): [(1.0, None, None)]}
        for vertex in self._between(lower, upper):
            if vertex is lower:
                continue
            candidates: list[tuple[float, _Edge | None, Any]] = []
            for edge in self.incoming.get(id(vertex), ()):
                for entry in best.get(id(edge.lower), ()):
                    candidates.append((entry[0] * edge.value, edge, entry))
            candidates.sort(key=lambda item: -abs(item[0]))
            best[id(vertex)] = candidates[:limit]
        result = []
        for entry in best.get(id(upper), ()):
            edge_list = []
            while entry[1] is not None:
                edge_list.append(entry[1])
                entry = entry[2]
            result.append(edge_list)
        return result

    def _derivative(self, lower: Value, upper: Value) -> float:
        adjoint = {id(upper): 1.0}
        for vertex in reversed(self._between(lower, upper)):
            grad = adjoint.get(id(vertex))
            if grad is None or vertex is lower:
                continue
            for edge in self.incoming.get(id(vertex), ()):
                adjoint[id(edge.lower)] = adjoint.get(id(edge.lower), 0.0) + edge.value * grad
        return adjoint.get(id(lower), 0.0)

    def stages(self, limit: int) -> list[Stage]:
        """Split at values every path goes through; each stage is a factor or a branch sum."""
        wrt, output = self.wrt, self.output
        up = self._counts_up(wrt, output)
        total = up.get(id(wrt), 0)
        if total == 0 or wrt is output:
            return []
        down = {id(wrt): 1}
        for vertex in self.ascending:
            for edge in self.incoming.get(id(vertex), ()):
                down[id(vertex)] = down.get(id(vertex), 0) + down.get(id(edge.lower), 0)
        cuts = [v for v in self.ascending if down.get(id(v), 0) * up.get(id(v), 0) == total]
        stages = []
        for lower, upper in zip(reversed(cuts[:-1]), reversed(cuts[1:])):
            paths = self.paths(lower, upper, limit)
            branches = tuple(
                Branch(self._branch_name(path, lower, upper, len(paths)), path.steps, path.product)
                for path in paths
            )
            stages.append(
                Stage(
                    self.namer(upper),
                    self.namer(lower),
                    self._derivative(lower, upper),
                    branches,
                    self.count_paths(lower, upper),
                )
            )
        return stages

    def _branch_name(self, path: Path, lower: Value, upper: Value, n_branches: int) -> str:
        lower_name = self.namer(lower)
        first = path.steps[0]
        if n_branches > 1 and first.through:
            return f"d {first.through[-1]} / d {lower_name}"
        if n_branches > 1 and len(path.steps) > 1:
            return f"d {first.upper} / d {lower_name} via {first.lower}"
        return f"d {first.upper} / d {lower_name}"


# ------------------------------------------------------------------------ text
def _render_value_explanation(result: Explanation) -> list[str]:
    head = f"d {result.output_name} / d {result.wrt_name}"
    total = _num(result.total)
    if result.n_paths == 0:
        return [f"{head} = 0: {result.output_name} does not depend on {result.wrt_name}"]
    plural = "path" if result.n_paths == 1 else "paths"
    lines = [f"{head} = {total}   (sum over {result.n_paths} {plural}; engine gradient)"]
    if result.n_paths == 1 and result.paths:
        path = result.paths[0]
        lines += [f"  {step}" for step in path.steps]
        numbers = " * ".join(_num(step.value) for step in path.steps) or "1"
        lines.append(f"  {head} = {numbers} = {_num(path.product)}")
        return lines

    lines.append("")
    if len(result.stages) > 1:
        lines.append(f"{head} = " + " * ".join(stage.name for stage in result.stages))
    for stage in result.stages:
        lines += _render_stage(stage)
    if len(result.stages) > 1:
        numbers = " * ".join(_num(stage.value) for stage in result.stages)
        lines.append(f"  {head} = {numbers} = {total}")
    lines.append("")
    shown = len(result.paths)
    if result.complete:
        lines.append(f"paths (factors from {result.output_name} back to {result.wrt_name}):")
    else:
        lines.append(
            f"the {shown} largest of {result.n_paths} paths by |product| "
            f"(factors from {result.output_name} back to {result.wrt_name}):"
        )
    for number, path in enumerate(result.paths, start=1):
        names = " * ".join(step.name for step in path.steps)
        values = " * ".join(_num(step.value) for step in path.steps)
        lines.append(f"  {number}. {names}")
        lines.append(f"     = {values} = {_num(path.product)}")
    if result.complete:
        lines.append(f"  sum of the {shown} path products = {_num(result.path_sum)}")
    else:
        rest = result.total - result.path_sum
        lines.append(
            f"  these {shown} add up to {_num(result.path_sum)}; the other "
            f"{result.n_paths - shown} paths add {_num(rest)}"
        )
    return lines


def _render_stage(stage: Stage) -> list[str]:
    if stage.n_branches == 1 and len(stage.branches[0].steps) == 1:
        return [f"  {stage.branches[0].steps[0]}"]
    lines = [f"  {stage.name} = {_num(stage.value)}"]
    if stage.n_branches == 1:
        lines += [f"    {step}" for step in stage.branches[0].steps]
        return lines
    if len(stage.branches) == stage.n_branches:
        lines.append("    = " + " + ".join(branch.name for branch in stage.branches))
        lines.append("    = " + " + ".join(_num(branch.product) for branch in stage.branches))
    else:
        lines.append(
            f"    a sum over {stage.n_branches} branches; the {len(stage.branches)} "
            "largest by |product|:"
        )
    for branch in stage.branches:
        lines.append(f"    {branch.name} = {_num(branch.product)}")
        lines += [f"      {step}" for step in branch.steps]
    return lines


def _array_text(array: np.ndarray) -> str:
    """A short one-line preview of an array for explanations and pictures."""
    if array.size == 1:
        return _num(float(array.reshape(())))
    text = np.array2string(array, precision=6, threshold=8, edgeitems=2, separator=", ")
    return " ".join(text.split())


# ------------------------------------------------------------------------ Tensor graphs
@dataclass(frozen=True)
class OpStep:
    """One operation on a tensor path, with the gradient flowing back into its result."""

    op: str
    input_index: int
    output_shape: tuple[int, ...]
    upstream: np.ndarray  # d output / d (this op's result), along this path only

    @property
    def description(self) -> str:
        return (
            f"{self.op} -> shape {self.output_shape}, upstream gradient "
            f"{_array_text(self.upstream)}; back into its input {self.input_index}"
        )


@dataclass(frozen=True)
class TensorPath:
    """One chain of operations from the output back to ``wrt`` and what it contributes."""

    steps: tuple[OpStep, ...]
    delivered: np.ndarray | None  # the gradient this path gives to all of wrt
    contribution: float  # its element at the explained index

    @property
    def factors(self) -> list[tuple[str, np.ndarray]]:
        """(description, upstream gradient array) per operation, output first."""
        return [(step.description, step.upstream) for step in self.steps]

    @property
    def product(self) -> float:
        """This path's contribution to the explained gradient element."""
        return self.contribution


@dataclass
class TensorExplanation:
    """Which operations one element of a Tensor gradient flowed through, path by path."""

    output_name: str
    wrt_name: str
    index: tuple[int, ...]
    total: float
    paths: list[TensorPath] = field(default_factory=list)
    n_paths: int = 0

    @property
    def complete(self) -> bool:
        return len(self.paths) == self.n_paths

    @property
    def path_sum(self) -> float:
        return sum(path.contribution for path in self.paths)

    def __str__(self) -> str:
        element = f"{self.wrt_name}[{', '.join(map(str, self.index))}]"
        head = f"d {self.output_name} / d {element} = {_num(self.total)}   (engine gradient)"
        if self.n_paths == 0:
            return f"{head}: {self.output_name} does not depend on {self.wrt_name}"
        lines = [head, f"the gradient reaches {self.wrt_name} along {self.n_paths} chain(s) of ops"]
        for number, path in enumerate(self.paths, start=1):
            lines.append(f"path {number}: contributes {_num(path.contribution)}")
            lines += [f"  {step.description}" for step in path.steps]
            delivered = "nothing" if path.delivered is None else _array_text(path.delivered)
            lines.append(f"  {self.wrt_name} receives {delivered}; element {element}")
        if self.complete:
            lines.append(f"sum of the path contributions = {_num(self.path_sum)}")
        else:
            lines.append(f"({self.n_paths - len(self.paths)} more paths not shown)")
        return "\n".join(lines)


def _element_index(wrt: Tensor, index: int | tuple[int, ...] | None) -> tuple[int, ...]:
    shape = wrt.shape
    if index is None:
        if wrt.data.size != 1:
            raise ValueError(
                f"explain: wrt has shape {shape}; pass index=(...) to choose which element "
                "of its gradient to explain"
            )
        return (0,) * wrt.ndim
    if _is_integer(index):
        if wrt.ndim != 1:
            example = ", ".join(["1"] + ["0"] * (wrt.ndim - 1))
            raise ValueError(
                f"explain: index={index} is ambiguous: wrt has shape {shape}, so pass a tuple of "
                f"{wrt.ndim} integers, one per axis (e.g. index=({example}) for row 1); a "
                "single integer is accepted only for a 1-D wrt"
            )
        index = (index,)
    if not isinstance(index, (tuple, list)):
        raise TypeError(
            f"explain: index must be an integer or a tuple of integers, got {type(index).__name__}"
        )
    if not all(_is_integer(i) for i in index):
        raise TypeError(f"explain: index entries must be integers, got {tuple(index)}")
    index = tuple(int(i) for i in index)
    if len(index) != len(shape):
        entries = "entry" if len(index) == 1 else "entries"
        raise ValueError(
            f"explain: index {index} has {len(index)} {entries} but wrt has {len(shape)} axes "
            f"(shape {shape}); give one integer per axis"
        )
    if any(not 0 <= i < n for i, n in zip(index, shape)):
        raise ValueError(f"explain: index {index} is not an element of wrt's shape {shape}")
    return index


def _is_integer(item: Any) -> TypeGuard[int]:  # NumPy integers pass too and act as int
    return isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_))


def _explain_tensor(
    output: Tensor,
    wrt: Tensor,
    index: int | tuple[int, ...] | None,
    max_paths: int,
    names: dict[int, str],
) -> TensorExplanation:
    """Follow one element of d output / d wrt through the recorded operations.

    The graph must still hold what backward needs: call explain before ``backward()`` or
    after ``backward(retain_graph=True)``.
    """
    from .autograd import grad

    if output.data.size != 1:
        raise ValueError(
            f"explain: output must have a single element (a loss), got shape {output.shape}"
        )
    if not wrt.requires_grad or not output.requires_grad:
        raise ValueError("explain: output and wrt must both require grad (be part of a graph)")
    element = _element_index(wrt, index)
    root, target = output._vertex(), wrt._vertex()
    order = topological_order([root])
    for vertex in order:
        if getattr(vertex, "freed", False):
            raise GraphFreedError(
                f"explain: the graph was freed by backward() (at {vertex.name}); call "
                "explain() before backward(), or run backward(retain_graph=True)"
            )
    total = float(grad(output, wrt, retain_graph=True)[0].data[element])
    result = TensorExplanation(
        output.label or names.get(id(output), "output"),
        names.get(id(wrt)) or wrt.label or "wrt",
        element,
        total,
    )
    position = {id(vertex): i for i, vertex in enumerate(order)}
    if id(target) not in position:
        return result

    def edge_ok(vertex: Any, slot: int) -> bool:
        parent = vertex._parents[slot]
        if parent is target:
            return parent is wrt or vertex._parent_slots[slot] == wrt._slot
        return parent is not None and id(parent) in relevant

    relevant: set[int] = {id(target)}
    for vertex in order[position[id(target)] + 1 :]:
        if any(edge_ok(vertex, slot) for slot in range(len(vertex._parents))):
            relevant.add(id(vertex))
    counts = {id(root): 1}
    for vertex in reversed(order):
        if id(vertex) not in relevant or vertex is target:
            continue
        for slot, parent in enumerate(vertex._parents):
            if edge_ok(vertex, slot):
                counts[id(parent)] = counts.get(id(parent), 0) + counts.get(id(vertex), 0)
    result.n_paths = counts.get(id(target), 0)

    stack: list[tuple[Any, list[tuple[Any, int]]]] = [(root, [])]
    while stack and len(result.paths) < max_paths:
        vertex, steps = stack.pop()
        if vertex is target:
            result.paths.append(_follow(output, wrt, steps, element))
            continue
        for slot in reversed(range(len(vertex._parents))):
            if edge_ok(vertex, slot):
                stack.append((vertex._parents[slot], steps + [(vertex, slot)]))
    return result


def _follow(
    output: Tensor, wrt: Tensor, steps: list[tuple[Any, int]], element: tuple[int, ...]
) -> TensorPath:
    """Send the seed gradient back along one chain of ops only (linearity: paths add up)."""
    grads: list[Any] = [None] * output._vertex()._n_outputs
    grads[output._slot] = Tensor._wrap(np.ones(output.shape, dtype=output.dtype), False)
    op_steps = []
    delivered = None
    with no_grad():
        for vertex, slot in steps:
            upstream = next(g for g in grads if g is not None)
            shape = upstream.shape
            op_steps.append(OpStep(vertex.name, slot, shape, upstream.data.copy()))
            passed = vertex._backward(grads, False)[slot]
            if passed is None:
                break
            parent = vertex._parents[slot]
            grads = [None] * parent._n_outputs
            grads[vertex._parent_slots[slot]] = passed
        else:
            delivered = next(g for g in grads if g is not None).data.copy()
    contribution = 0.0 if delivered is None else float(delivered[element])
    return TensorPath(tuple(op_steps), delivered, contribution)
