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
from pathlib import Path
from typing import Any

import numpy as np

from ..explaining.explain import exponent_text, parameter_names
from ..scalar.formulas import SCALAR_OPS
from ..scalar.value import Value
from ..tensor import Tensor
from .draw_tensors import draw_tensors
from .layout import (
    HIGHLIGHT,
    PictureStyle,
    check_highlight_kind,
    edge_style,
    escape_label,
    layout_vertices,
)

_RANKDIRS = ("LR", "RL", "TB", "BT")
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
    check_highlight_kind(root, highlight)
    names = parameter_names(module, "draw_graph")
    graph = _picture_class()(
        name="autograd_lite",
        graph_attr={"rankdir": rankdir, "fontname": "Helvetica"},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9"},
    )
    style = PictureStyle(show_data, show_grad, show_edge_grads, digits, names)
    if isinstance(root, Value):
        _draw_values(graph, root, style, highlight, max_nodes)
    else:
        draw_tensors(graph, root, style, highlight, max_nodes)
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
def _draw_values(
    graph: Any, root: Value, style: PictureStyle, highlight: Any, max_nodes: int
) -> None:
    order, kept_ids, ids, marked, collapsed = layout_vertices(
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
            attrs.update(color=HIGHLIGHT, penwidth="2")
        graph.node(name, " | ".join(f for f in fields if f) or " ", **attrs)
        if not value._parents:
            continue
        op_name = name + "_op"
        symbol = SCALAR_OPS[value._op].symbol
        if value._op == "pow_const":
            symbol += exponent_text(value)
        op_attrs = {"shape": "circle" if len(symbol) <= 2 else "ellipse"}
        if id(value) in marked:
            op_attrs.update(color=HIGHLIGHT, penwidth="2")
        graph.node(op_name, escape_label(symbol), **op_attrs)
        graph.edge(op_name, name, **edge_style(id(value) in marked))
        missing = False
        for slot, parent in enumerate(value._parents):
            if id(parent) not in kept_ids:
                missing = True
                continue
            attrs = edge_style(id(parent) in marked and id(value) in marked)
            if style.edge_grads:
                formula = SCALAR_OPS[value._op].formulas[slot]
                attrs["label"] = style.number(value._local_grads[slot])
                attrs["tooltip"] = f"d out / d input {slot} = {formula}"
            graph.edge(ids[id(parent)], op_name, **attrs)
        if missing and collapsed:
            graph.edge(collapsed, op_name, style="dashed")
