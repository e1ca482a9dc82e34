"""explain() for Value graphs: names, formulas, folding unlabelled steps into key edges.

Each local derivative is already stored on its edge (``Value._local_grads``); its formula
comes from the table of `scalar_ops.SCALAR_OPS`. The folded edges then go to
`explain_keygraph._KeyGraph` for path counts, paths and stages.
"""

from __future__ import annotations

import re

from ..scalar.formulas import SCALAR_OPS
from ..scalar.value import Value
from ..scalar.walk import values_below
from .keygraph import _Edge, _KeyGraph
from .results import Explanation, num_text

_EXPRESSION_LIMIT = 40  # longer expressions of unlabelled values are replaced by a short name
_MAX_SUBPATH_FORMULAS = 4  # a folded factor with more unlabelled sub-paths gets a summary text
_PLACEHOLDER = re.compile(r"\b(a|b|out)\b")


# ------------------------------------------------------------------------ names and formulas
class _Namer:
    """Readable names for Values: the label, a number for constants, or a short expression.

    An unlabelled value whose expression would be longer than `_EXPRESSION_LIMIT` gets a
    name made of its op and a number counting that op in the order values were computed
    (``sigmoid_1``, ``mul_3``): stable for a given graph, and defined once (`definitions`)
    in terms of its parents' names, so labelled parents stay visible.
    """

    def __init__(self, order: list[Value], extra_names: dict[int, str]) -> None:
        self._text: dict[int, str] = {}
        #: name -> (expression in its parents' names, value) for every op-and-number name
        self.definitions: dict[str, tuple[str, float]] = {}
        self._counts: dict[str, int] = {}
        for value in order:
            self._text[id(value)] = self._describe(value, extra_names)

    def _describe(self, value: Value, extra_names: dict[int, str]) -> str:
        if value.label:
            return value.label
        if id(value) in extra_names:
            return extra_names[id(value)]
        if not value._parents:
            return num_text(value.data) if value.data >= 0 else f"({num_text(value.data)})"
        op = SCALAR_OPS[value._op]
        operands = [self._text[id(parent)] for parent in value._parents]
        if value._op == "pow_const":
            text = f"({operands[0]}**{exponent_text(value)})"
        elif value._op == "neg":
            text = f"(-{operands[0]})"
        elif len(operands) == 2:
            text = f"({operands[0]} {op.symbol} {operands[1]})"
        else:
            text = f"{op.symbol}({operands[0]})"
        if len(text) <= _EXPRESSION_LIMIT:
            return text
        number = self._counts.get(value._op, 0) + 1
        self._counts[value._op] = number
        name = f"{value._op}_{number}"
        bare = text[1:-1] if text.startswith("(") and text.endswith(")") else text
        self.definitions[name] = (bare, value.data)
        return name

    def __call__(self, value: Value) -> str:
        return self._text[id(value)]

    def rename(self, value: Value, name: str) -> None:
        """Call ``value`` ``name`` instead of its op-and-number name (if it has one)."""
        old = self._text.get(id(value))
        if old in self.definitions:
            self.definitions[name] = self.definitions.pop(old)
            self._text[id(value)] = name

    def step_formula(self, child: Value, parent_index: int) -> str:
        """The formula for d child / d parent, with names in place of a, b, out."""
        template = SCALAR_OPS[child._op].formulas[parent_index]
        names = {"out": self(child), "a": self(child._parents[0])}
        if len(child._parents) > 1:
            names["b"] = self(child._parents[1])
        elif child._op == "pow_const":
            names["b"] = exponent_text(child)
        return _PLACEHOLDER.sub(lambda match: names.get(match.group(1), match.group(1)), template)


def exponent_text(value: Value) -> str:
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


def _step_numbers(namer: _Namer, steps: list[tuple[Value, int]]) -> tuple[float, ...]:
    """The local derivatives of one folded sub-path, matching `_product_text`: the steps
    whose formula is "1" are left out, as they are from the formula."""
    return tuple(
        child._local_grads[slot] for child, slot in steps if namer.step_formula(child, slot) != "1"
    )


def _bracket(text: str) -> str:
    depth = 0
    for position, char in enumerate(text):
        depth += char == "("
        depth -= char == ")"
        if depth == 0 and position > 0 and char in "+-" and text[position - 1] == " ":
            return f"({text})"
    return f"({text})" if text.startswith("-") else text


# ------------------------------------------------------------------------ Value graphs
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


def explain_value(
    output: Value,
    wrt: Value,
    fold: bool | None,
    merge_sums: bool,
    max_paths: int,
    extra_names: dict[int, str],
) -> Explanation:
    order = values_below(output)
    position = {id(vertex): i for i, vertex in enumerate(order)}
    if not wrt.label and id(wrt) not in extra_names:
        extra_names = {**extra_names, id(wrt): "wrt"}  # not a bare number, unlike constants
    namer = _Namer(order, extra_names)
    namer.rename(output, "output")  # an unlabelled output with a long expression
    wrt_name = namer(wrt) if id(wrt) in position else (wrt.label or extra_names.get(id(wrt), "wrt"))
    result = Explanation(namer(output), wrt_name, _engine_gradient(order, output, wrt))
    result.definitions = namer.definitions
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
            parts: tuple[tuple[float, ...], ...] = ()
            if subpaths is None:
                formula = f"sum over {n_subpaths[id(lower)]} unlabelled sub-paths"
                unit_sum = False
            else:
                texts = [_product_text([namer.step_formula(c, s) for c, s in p]) for p in subpaths]
                formula = " + ".join(texts)
                unit_sum = len(subpaths) == 1 and all(
                    c._op == "add" or (c._op == "sub" and s == 0) for c, s in subpaths[0]
                )
                parts = tuple(_step_numbers(namer, p) for p in subpaths)
            if fold:
                edges.append(
                    _Edge(lower, upper, adjoint[id(lower)], formula, unit_sum, parts=parts)
                )
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
                    down.parts,
                )
                outgoing[id(down.lower)].append(merged)
                incoming.setdefault(id(up.upper), []).append(merged)
    return [edge for edge_list in outgoing.values() for edge in edge_list]
