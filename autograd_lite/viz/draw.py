"""draw_graph(): a Graphviz picture of the graph that produced a Value or a Tensor.

One node per value (label, data and grad for scalars; label, shape, dtype and a preview of
data and grad for tensors, in full when small; intermediate tensors the user still holds are
found with `explaining.live`) and one node per operation; constants show their value where
the op kept it, and an edge whose gradient is summed over broadcast axes says so
("b (3,) <- summed over axis 0 of (4, 3)"). Options show the local derivative on each edge,
highlight the paths from an input to the output, and collapse big graphs (only the
``max_nodes`` values nearest the output are drawn, with a visible note saying how many were
left out). ``graphviz`` is imported only inside these functions, so ``import autograd_lite``
never needs it. The returned `graphviz.Digraph` displays inline in Jupyter; rendering to
PNG/SVG/PDF runs Graphviz's ``dot`` program.
"""

from __future__ import annotations

import functools
from collections import deque
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..engine.tensor_base import TensorBase
from ..engine.walk import topological_order, walk_steps
from ..errors import GraphFreedError
from ..explaining.explain import array_text, exponent_text, parameter_names
from ..explaining.live import live_outputs
from ..explaining.results import reduction_text
from ..scalar.formulas import SCALAR_OPS
from ..scalar.value import Value
from ..scalar.walk import values_below
from ..tensor import Tensor

_RANKDIRS = ("LR", "RL", "TB", "BT")
_HIGHLIGHT = "#d62728"
_FORMATS = ("png", "svg", "pdf")

INSTALL_HINT = (
    "Graphviz's `dot` program was not found on the PATH, so the graph cannot be rendered to "
    "an image. Install Graphviz itself (the Python package alone is not enough): "
    "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install -c conda-forge graphviz`, or see https://graphviz.org/download/. "
    "The picture's DOT text is still available as `graph.source`."
)


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` executable is missing; the message says how to install it."""


@functools.cache
def _picture_class() -> type:
    """A `graphviz.Digraph` whose rendering errors say how to install ``dot``."""
    import graphviz

    class GraphPicture(graphviz.Digraph):  # type: ignore[misc]  # graphviz ships no types
        """graphviz.Digraph with a helpful error when the ``dot`` program is missing."""

        def render(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().render(*args, **kwargs)
            except graphviz.ExecutableNotFound as exc:
                raise GraphvizNotFoundError(INSTALL_HINT) from exc

        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().pipe(*args, **kwargs)
            except graphviz.ExecutableNotFound as exc:
                raise GraphvizNotFoundError(INSTALL_HINT) from exc

    return GraphPicture


def draw_graph(
    root: Value | Tensor,
    *,
    rankdir: str = "LR",
    show_data: bool = True,
    show_grad: bool = True,
    show_edge_grads: bool = False,
    highlight: Value | Tensor | None = None,
    max_nodes: int = 150,
    module: Any = None,
    digits: int = 4,
) -> Any:
    """Draw the graph that produced ``root`` as a `graphviz.Digraph`.

    Args:
        root: the Value or Tensor whose history is drawn.
        rankdir: Graphviz layout direction: "LR", "RL", "TB" or "BT".
        show_data: show each value's data (a short preview for tensors).
        show_grad: show each value's ``.grad`` (run ``backward()`` first to fill them).
        show_edge_grads: label each edge into an operation: with the local derivative
            d out / d input for Value graphs; for Tensor graphs with a preview of the
            gradient sent back along it (one backward pass of ``root`` is run for the
            picture, touching no ``.grad``; the graph must not have been freed, else a note
            says so).
        highlight: an input whose paths to ``root`` are drawn in red.
        max_nodes: draw at most this many values (those nearest ``root``); the rest are
            replaced by one note saying how many were left out.
        module: anything with ``named_parameters()`` (an nn.Module): its parameters are
            labelled with their dotted names, e.g. ``layers.0.weight``.
        digits: significant digits of the numbers shown.

    Returns:
        A `graphviz.Digraph` (shown inline in Jupyter; ``.render(...)`` or `render_graph`
        writes PNG/SVG/PDF, ``.source`` is the DOT text).

    Raises:
        TypeError: if ``root`` is neither a Value nor a Tensor, or ``module`` has no
            ``named_parameters()``.
        TypeError: also if ``max_nodes`` is not an integer, or ``highlight`` is neither a
            Value nor a Tensor.
        ValueError: for an unknown ``rankdir``, ``max_nodes < 1``, or a ``highlight`` that
            is not part of ``root``'s graph (including a Tensor for a Value graph or the
            reverse, and a tensor with ``requires_grad=False``).

    Example:
        >>> x = Value(2.0, label="x"); y = (x * x).tanh(); y.label = "y"
        >>> y.backward()
        >>> dot = draw_graph(y, show_edge_grads=True)   # dot.render("y", format="svg")
    """
    if rankdir not in _RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {_RANKDIRS}, got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, (int, np.integer)):
        raise TypeError(
            f"draw_graph: max_nodes must be an integer, got {type(max_nodes).__name__} "
            f"{max_nodes!r}"
        )
    if max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be at least 1, got {max_nodes}")
    if not isinstance(root, (Value, Tensor)):
        raise TypeError(f"draw_graph: root must be a Value or a Tensor, got {type(root).__name__}")
    _check_highlight_kind(root, highlight)
    names = parameter_names(module, "draw_graph")
    graph = _picture_class()(
        name="autograd_lite",
        graph_attr={"rankdir": rankdir, "fontname": "Helvetica"},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9"},
    )
    style = _Style(show_data, show_grad, show_edge_grads, digits, names)
    if isinstance(root, Value):
        _draw_values(graph, root, style, highlight, max_nodes)
    else:
        _draw_tensors(graph, root, style, highlight, max_nodes)
    return graph


def render_graph(graph: Any, path: str | Path) -> Path:
    """Write a picture from `draw_graph` to ``path``; the suffix picks PNG, SVG or PDF.

    Args:
        graph: the Digraph returned by `draw_graph`.
        path: where to write, ending in .png, .svg or .pdf.

    Returns:
        The path written.

    Raises:
        ValueError: for another suffix.
        GraphvizNotFoundError: if Graphviz's ``dot`` is not installed (says how to install).

    Example:
        >>> y = Value(2.0, label="x").tanh()
        >>> render_graph(draw_graph(y), "out/y.svg")  # doctest: +SKIP
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in _FORMATS:
        raise ValueError(
            f"render_graph: the file must end in .png, .svg or .pdf, got {path.name!r}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if not isinstance(graph, _picture_class()):
        graph = _picture_class()(body=list(graph.body), graph_attr=dict(graph.graph_attr))
    graph.render(outfile=str(path), format=fmt, cleanup=True)
    return path


# ------------------------------------------------------------------------ helpers
def _highlight_name(highlight: Any) -> str:
    label = getattr(highlight, "label", "")
    return f"highlight {label!r}" if label else "highlight"


def _check_highlight_kind(root: Value | Tensor, highlight: Any) -> None:
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


def _not_in_graph(highlight: Any, reason: str = "") -> ValueError:
    return ValueError(
        f"draw_graph: {_highlight_name(highlight)} is not part of the graph that produced "
        f"root{reason}; pass a value the root was computed from"
    )


def escape_label(text: str) -> str:
    """Escape the characters that are special inside a Graphviz record label."""
    for char in '\\{}|<>"':
        text = text.replace(char, "\\" + char)
    return text.replace("\n", " ")


class _Style:
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


class _Layout(NamedTuple):
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


def _layout(
    graph: Any, root: Any, start: Any, highlight: Any, max_nodes: int, prefix: str
) -> _Layout:
    """Order the graph below ``root``, keep at most ``max_nodes`` vertices and mark the paths
    from ``start`` (the highlighted vertex; raise naming ``highlight`` if it is not there)."""
    order = vertices_below(root)
    kept = _nearest(root, max_nodes) if len(order) > max_nodes else order
    if start is not None and not any(vertex is start for vertex in order):
        raise _not_in_graph(highlight)
    collapsed = None
    if len(kept) < len(order):
        collapsed = _collapse_note(graph, len(order) - len(kept), len(order), max_nodes)
    return _Layout(
        order,
        {id(vertex) for vertex in kept},
        _dot_names(order, prefix),
        _on_paths_from(order, start),
        collapsed,
    )


# ------------------------------------------------------------------------ Value graphs
def _draw_values(graph: Any, root: Value, style: _Style, highlight: Any, max_nodes: int) -> None:
    order, kept_ids, ids, marked, collapsed = _layout(
        graph, root, highlight, highlight, max_nodes, "v"
    )
    for value in order:
        if id(value) not in kept_ids:
            continue
        name = ids[id(value)]
        fields = [escape_label(value.label or style.names.get(id(value), ""))]
        if style.data:
            fields.append(f"data {style.number(value.data)}")
        if style.grad:
            fields.append(f"grad {style.number(value.grad)}")
        attrs = {"shape": "record"}
        if id(value) in marked:
            attrs.update(color=_HIGHLIGHT, penwidth="2")
        graph.node(name, " | ".join(f for f in fields if f) or " ", **attrs)
        if not value._parents:
            continue
        op_name = name + "_op"
        symbol = SCALAR_OPS[value._op].symbol
        if value._op == "pow_const":
            symbol += exponent_text(value)
        op_attrs = {"shape": "circle" if len(symbol) <= 2 else "ellipse"}
        if id(value) in marked:
            op_attrs.update(color=_HIGHLIGHT, penwidth="2")
        graph.node(op_name, escape_label(symbol), **op_attrs)
        graph.edge(op_name, name, **_edge_style(id(value) in marked))
        missing = False
        for slot, parent in enumerate(value._parents):
            if id(parent) not in kept_ids:
                missing = True
                continue
            attrs = _edge_style(id(parent) in marked and id(value) in marked)
            if style.edge_grads:
                formula = SCALAR_OPS[value._op].formulas[slot]
                attrs["label"] = style.number(value._local_grads[slot])
                attrs["tooltip"] = f"d out / d input {slot} = {formula}"
            graph.edge(ids[id(parent)], op_name, **attrs)
        if missing and collapsed:
            graph.edge(collapsed, op_name, style="dashed")


def _edge_style(marked: bool) -> dict[str, str]:
    return {"color": _HIGHLIGHT, "penwidth": "2"} if marked else {}


# ------------------------------------------------------------------------ Tensor graphs
#: ops whose gradient for an input of a smaller, broadcast shape is summed back over the
#: broadcast axes (by the engine, or, for Linear's bias, by the rule itself)
_BROADCASTING = frozenset(["Add", "Sub", "Mul", "Div", "Pow", "Maximum", "Minimum", "Where"])
#: arrays with at most this many entries are shown in full in a picture
_FULL_PREVIEW = 16


def _tensor_fields(
    label: str, shape: tuple[int, ...], dtype: Any, data: Any, grad: Any, style: _Style
) -> str:
    fields = [escape_label(label)] if label else []
    fields.append(f"shape {shape} {dtype}")
    if style.data and data is not None:
        fields.append(escape_label("data " + array_text(np.asarray(data), _FULL_PREVIEW)))
    if style.grad and grad is not None:
        fields.append(escape_label("grad " + array_text(np.asarray(grad), _FULL_PREVIEW)))
    return " | ".join(fields)


def _summed_over(vertex: Any, position: int, name: str) -> str:
    """ "b (3,) <- summed over axis 0 of (4, 3)" when the gradient of input ``position`` is
    summed back over broadcast axes; "" otherwise."""
    op = vertex.name
    if op not in _BROADCASTING and not (op == "Linear" and position == 2):
        return ""
    text = reduction_text(vertex.output_meta[0][0], vertex.input_shapes[position])
    return f"{name} {text}".strip() if text else ""


def _edge_gradients(root: Tensor) -> tuple[dict[tuple[int, int], np.ndarray], str]:
    """The gradient each vertex sends along each input edge, from one backward pass of
    ``root`` run here (nothing is accumulated anywhere), and a note for the picture."""
    vertex = root._vertex()
    seed = np.ones(root.shape, dtype=root.dtype)
    sent: dict[tuple[int, int], np.ndarray] = {}
    try:
        for step_vertex, _, parent_grads, _ in walk_steps(
            [vertex], [seed], retain_graph=True, root_slots=[root._slot]
        ):
            for position, gradient in enumerate(parent_grads):
                if gradient is not None and step_vertex._parents[position] is not None:
                    sent[(id(step_vertex), position)] = np.asarray(gradient)
    except GraphFreedError:
        return {}, (
            "edge gradients not shown: backward() freed the graph; draw it before "
            "backward() or after backward(retain_graph=True)"
        )
    except Exception as exc:  # noqa: BLE001 - a picture still draws; the edges say why not
        return {}, f"edge gradients not shown: the backward pass raised {type(exc).__name__}"
    if root.data.size != 1:
        return sent, "edge gradients: of the sum of the root's entries"
    return sent, ""


def _constant_value(vertex: Any, position: int) -> Any:
    """The array of a constant input, when the op kept its inputs for backward."""
    saved = vertex._saved
    if isinstance(saved, tuple) and position < len(saved):
        item = saved[position]
        if isinstance(item, TensorBase) and item.shape == vertex.input_shapes[position]:
            return item.data
    return None


def _draw_tensors(graph: Any, root: Tensor, style: _Style, highlight: Any, max_nodes: int) -> None:
    root_vertex = root._vertex()
    root_grad = None if root.grad is None else root.grad.data
    start = None if highlight is None else highlight._vertex()
    if highlight is not None and start is None:
        raise _not_in_graph(highlight, " (it has requires_grad=False, so it is only a constant)")
    if root_vertex is None or root_vertex is root:  # a constant or a lone leaf
        if highlight is not None and start is not root_vertex:
            raise _not_in_graph(highlight)
        label = style.names.get(id(root)) or root.label
        graph.node(
            "t0",
            _tensor_fields(label, root.shape, root.dtype, root.data, root_grad, style),
            shape="record",
        )
        if style.edge_grads:
            graph.attr(label="edge gradients: none (the root has no graph)", labelloc="b")
        return
    order, kept_ids, ids, marked, collapsed = _layout(
        graph, root_vertex, start, highlight, max_nodes, "n"
    )
    tensors = live_outputs(v for v in order if id(v) in kept_ids)
    edge_grads, edge_note = _edge_gradients(root) if style.edge_grads else ({}, "")
    if edge_note:
        graph.attr(label=edge_note, labelloc="b")
    for vertex in order:
        if id(vertex) not in kept_ids:
            continue
        name = ids[id(vertex)]
        on_path = id(vertex) in marked
        if isinstance(vertex, Tensor):  # a leaf that requires grad
            label = style.names.get(id(vertex)) or vertex.label or "leaf"
            grad = None if vertex.grad is None else vertex.grad.data
            text = _tensor_fields(label, vertex.shape, vertex.dtype, vertex.data, grad, style)
            graph.node(name, text, shape="record", **_edge_style(on_path))
            continue
        graph.node(name, vertex.name, shape="box", style="rounded", **_edge_style(on_path))
        for slot, (shape, dtype) in enumerate(vertex.output_meta):
            is_root = vertex is root_vertex and slot == root._slot
            held = root if is_root else tensors.get((id(vertex), slot))
            label, data, grad = "", None, None
            if held is not None:
                label = style.names.get(id(held)) or held.label
                data = held.data
                grad = root_grad if is_root else (None if held.grad is None else held.grad.data)
            text = _tensor_fields(label, shape, dtype, data, grad, style)
            graph.node(f"{name}_out{slot}", text, shape="record", **_edge_style(on_path))
            graph.edge(name, f"{name}_out{slot}", **_edge_style(on_path))
        missing = False
        for position, parent in enumerate(vertex._parents):
            if parent is None:
                const = f"{name}_const{position}"
                shape = vertex.input_shapes[position]
                dtype = vertex.input_dtypes[position]
                value = _constant_value(vertex, position)
                text = f"constant | shape {shape} {dtype}"
                if value is not None and style.data:
                    text += " | " + escape_label(array_text(np.asarray(value), _FULL_PREVIEW))
                graph.node(const, text, shape="record", style="dashed")
                graph.edge(const, name)
                continue
            if id(parent) not in kept_ids:
                missing = True
                continue
            source = ids[id(parent)]
            parent_slot = (vertex._parent_slots or (0,) * len(vertex._parents))[position]
            if not isinstance(parent, Tensor):
                source = f"{source}_out{parent_slot}"
            attrs = _edge_style(on_path and id(parent) in marked)
            lines = []
            summed = _summed_over(
                vertex, position, _input_label(parent, parent_slot, tensors, style)
            )
            if summed:
                lines.append(summed)
            sent = edge_grads.get((id(vertex), position))
            if sent is not None:
                lines.append("grad " + array_text(sent))
            if lines:  # a plain label (not a record): only line breaks are special
                attrs["label"] = "\\n".join(line.replace("\\", "\\\\") for line in lines)
            graph.edge(source, name, **attrs)
        if missing and collapsed:
            graph.edge(collapsed, name, style="dashed")


def _input_label(parent: Any, slot: int, tensors: dict[Any, Any], style: _Style) -> str:
    """The name of a graph input: a parameter's dotted name or a tensor's label, if any."""
    if isinstance(parent, Tensor):
        return style.names.get(id(parent)) or parent.label
    held = tensors.get((id(parent), slot))
    return "" if held is None else style.names.get(id(held)) or held.label
