"""What both kinds of picture share: the order and names of the vertices, which of them to
keep and mark, their styles, and label escaping."""

from __future__ import annotations

from collections import deque
from typing import Any, NamedTuple

from ..engine.walk import topological_order
from ..scalar.value import Value
from ..scalar.walk import values_below
from ..tensor import Tensor

HIGHLIGHT = "#d62728"


def _highlight_name(highlight: Any) -> str:
    label = getattr(highlight, "label", "")
    return f"highlight {label!r}" if label else "highlight"


def check_highlight_kind(root: Value | Tensor, highlight: Any) -> None:
    """Reject a highlight that cannot be in ``root``'s graph because of its type."""
    if highlight is None:
        return
    if not isinstance(highlight, (Value, Tensor)):
        raise TypeError(
            f"draw_graph: highlight must be a Value or a Tensor, got {type(highlight).__name__}"
        )
    if isinstance(highlight, Value) != isinstance(root, Value):
        raise ValueError(
            f"draw_graph: highlight is a {type(highlight).__name__} but root is a "
            f"{type(root).__name__}, so it is not part of the graph being drawn"
        )


def not_in_graph(highlight: Any, reason: str = "") -> ValueError:
    return ValueError(
        f"draw_graph: {_highlight_name(highlight)} is not part of the graph that produced "
        f"root{reason}; pass a value the root was computed from"
    )


def escape_label(text: str) -> str:
    """Escape the characters that are special inside a Graphviz record label."""
    for char in '\\{}|<>"':
        text = text.replace(char, "\\" + char)
    return text.replace("\n", " ")


class PictureStyle:
    def __init__(
        self, data: bool, grad: bool, edge_grads: bool, digits: int, names: dict[int, str]
    ) -> None:
        self.data, self.grad, self.edge_grads = data, grad, edge_grads
        self.digits, self.names = digits, names

    def number(self, value: float) -> str:
        return f"{value:.{self.digits}g}"


def _nearest(root_vertex: Any, limit: int) -> list[Any]:
    """Up to ``limit`` vertices, breadth-first from the root through parents."""
    kept = [root_vertex]
    seen = {id(root_vertex)}
    queue = deque([root_vertex])
    while queue and len(kept) < limit:
        vertex = queue.popleft()
        for parent in vertex._parents:
            if parent is not None and id(parent) not in seen and len(kept) < limit:
                seen.add(id(parent))
                kept.append(parent)
                queue.append(parent)
    return kept


def _on_paths_from(order: list[Any], start: Any) -> set[int]:
    """Vertices on a path from ``start`` to the root (descendants of start in ``order``)."""
    if start is None:
        return set()
    marked = {id(start)}
    for vertex in order:
        if any(parent is not None and id(parent) in marked for parent in vertex._parents):
            marked.add(id(vertex))
    return marked if any(v is start for v in order) else set()


def _collapse_note(graph: Any, hidden: int, total: int, max_nodes: int) -> str:
    note = (
        f"{hidden} of {total} values not shown\\n(max_nodes={max_nodes}; "
        "pass a larger max_nodes to see them)"
    )
    graph.node("collapsed", note, shape="note", style="filled", fillcolor="#fff3bf")
    graph.attr(label=note.replace("\\n", " "), labelloc="t")
    return "collapsed"


class Layout(NamedTuple):
    """What one picture draws: the vertices, which of them are kept, their DOT names, the ones
    on a highlighted path, and the note standing for the vertices left out (if any)."""

    order: list[Any]
    kept_ids: set[int]
    ids: dict[int, str]
    marked: set[int]
    collapsed: str | None


def vertices_below(root: Any) -> list[Any]:
    """Every vertex of the graph below ``root`` (a Value, or a Tensor's vertex), each after
    all of its parents: the order both engines' walks give."""
    if isinstance(root, Value):
        return values_below(root)
    return topological_order([root])


def _dot_names(order: list[Any], prefix: str) -> dict[int, str]:
    return {id(vertex): f"{prefix}{number}" for number, vertex in enumerate(order)}


def dot_names(root: Value | Tensor) -> dict[int, str]:
    """id(vertex) -> the name `draw_graph` gives that vertex's node in the DOT source (and
    the SVG's ``<title>``): ``v<n>`` for a Value (its op node is ``v<n>_op``); for a Tensor
    graph ``n<n>`` (an op's outputs are ``n<n>_out<slot>``), or ``t0`` for a lone leaf."""
    if isinstance(root, Value):
        return _dot_names(vertices_below(root), "v")
    vertex = root._vertex()
    if vertex is None or vertex is root:
        return {id(root): "t0"}
    return _dot_names(vertices_below(vertex), "n")


def layout_vertices(
    graph: Any, root: Any, start: Any, highlight: Any, max_nodes: int, prefix: str
) -> Layout:
    """Order the graph below ``root``, keep at most ``max_nodes`` vertices and mark the paths
    from ``start`` (the highlighted vertex; raise naming ``highlight`` if it is not there)."""
    order = vertices_below(root)
    kept = _nearest(root, max_nodes) if len(order) > max_nodes else order
    if start is not None and not any(vertex is start for vertex in order):
        raise not_in_graph(highlight)
    collapsed = None
    if len(kept) < len(order):
        collapsed = _collapse_note(graph, len(order) - len(kept), len(order), max_nodes)
    return Layout(
        order,
        {id(vertex) for vertex in kept},
        _dot_names(order, prefix),
        _on_paths_from(order, start),
        collapsed,
    )


# ------------------------------------------------------------------------ Value graphs


def edge_style(marked: bool) -> dict[str, str]:
    return {"color": HIGHLIGHT, "penwidth": "2"} if marked else {}


# ------------------------------------------------------------------------ Tensor graphs
#: ops whose gradient for an input of a smaller, broadcast shape is summed back over the
#: broadcast axes (by the engine, or, for Linear's bias, by the rule itself)
