"""The picture of a Tensor graph: each tensor's label, shape, dtype, data and grad, constants
with their values, broadcast reductions and the gradient sent along each edge."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.tensor_base import TensorBase
from ..engine.walk import walk_steps
from ..errors import GraphFreedError
from ..explaining.explain import array_text
from ..explaining.live import live_outputs
from ..explaining.results import reduction_text
from ..tensor import Tensor
from .layout import PictureStyle, edge_style, escape_label, layout_vertices, not_in_graph

_BROADCASTING = frozenset(["Add", "Sub", "Mul", "Div", "Pow", "Maximum", "Minimum", "Where"])
#: arrays with at most this many entries are shown in full in a picture
_FULL_PREVIEW = 16


def _tensor_fields(
    label: str, shape: tuple[int, ...], dtype: Any, data: Any, grad: Any, style: PictureStyle
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


def draw_tensors(
    graph: Any, root: Tensor, style: PictureStyle, highlight: Any, max_nodes: int
) -> None:
    root_vertex = root._vertex()
    root_grad = None if root.grad is None else root.grad.data
    start = None if highlight is None else highlight._vertex()
    if highlight is not None and start is None:
        raise not_in_graph(highlight, " (it has requires_grad=False, so it is only a constant)")
    if root_vertex is None or root_vertex is root:  # a constant or a lone leaf
        if highlight is not None and start is not root_vertex:
            raise not_in_graph(highlight)
        label = style.names.get(id(root)) or root.label
        graph.node(
            "t0",
            _tensor_fields(label, root.shape, root.dtype, root.data, root_grad, style),
            shape="record",
        )
        if style.edge_grads:
            graph.attr(label="edge gradients: none (the root has no graph)", labelloc="b")
        return
    order, kept_ids, ids, marked, collapsed = layout_vertices(
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
            graph.node(name, text, shape="record", **edge_style(on_path))
            continue
        graph.node(name, vertex.name, shape="box", style="rounded", **edge_style(on_path))
        for slot, (shape, dtype) in enumerate(vertex.output_meta):
            is_root = vertex is root_vertex and slot == root._slot
            held = root if is_root else tensors.get((id(vertex), slot))
            label, data, grad = "", None, None
            if held is not None:
                label = style.names.get(id(held)) or held.label
                data = held.data
                grad = root_grad if is_root else (None if held.grad is None else held.grad.data)
            text = _tensor_fields(label, shape, dtype, data, grad, style)
            graph.node(f"{name}_out{slot}", text, shape="record", **edge_style(on_path))
            graph.edge(name, f"{name}_out{slot}", **edge_style(on_path))
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
            attrs = edge_style(on_path and id(parent) in marked)
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


def _input_label(parent: Any, slot: int, tensors: dict[Any, Any], style: PictureStyle) -> str:
    """The name of a graph input: a parameter's dotted name or a tensor's label, if any."""
    if isinstance(parent, Tensor):
        return style.names.get(id(parent)) or parent.label
    held = tensors.get((id(parent), slot))
    return "" if held is None else style.names.get(id(held)) or held.label
