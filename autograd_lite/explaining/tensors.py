"""explain() for Tensor graphs: follow one element of a gradient through the recorded ops.

Path counts are found by dynamic programming over the op graph; each listed path sends the
seed gradient back along its own chain of ops only (by linearity the paths add up).
"""

from __future__ import annotations

from typing import Any, TypeGuard

import numpy as np

from ..engine.walk import topological_order
from ..errors import GraphFreedError
from ..grad_mode import no_grad
from ..tensor import Tensor
from .live import live_outputs
from .results import OpStep, TensorExplanation, TensorPath, reduction_text


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


def explain_tensor(
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
    from ..engine.backward import grad

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
            slots = vertex._parent_slots or (0,) * len(vertex._parents)
            return parent is wrt or slots[slot] == wrt._slot
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

    tensors = live_outputs(vertex for vertex in order if id(vertex) in relevant)
    stack: list[tuple[Any, list[tuple[Any, int]]]] = [(root, [])]
    while stack and len(result.paths) < max_paths:
        vertex, steps = stack.pop()
        if vertex is target:
            result.paths.append(_follow(output, wrt, steps, element, names, tensors))
            continue
        for slot in reversed(range(len(vertex._parents))):
            if edge_ok(vertex, slot):
                stack.append((vertex._parents[slot], steps + [(vertex, slot)]))
    return result


def input_name(vertex: Any, slot: int, names: dict[int, str], tensors: dict[Any, Any]) -> str:
    """A name for input ``slot`` of ``vertex``: a parameter's dotted name, a tensor's label,
    else the op that made it ("Tanh output"); "a constant" for an input outside the graph."""
    parent = vertex._parents[slot]
    if parent is None:
        return "a constant"
    if isinstance(parent, Tensor):
        return names.get(id(parent)) or parent.label or "a leaf"
    parent_slot = (vertex._parent_slots or (0,) * len(vertex._parents))[slot]
    live = tensors.get((id(parent), parent_slot))
    if live is not None and (live.label or names.get(id(live))):
        return names.get(id(live)) or live.label
    suffix = f" output {parent_slot}" if parent._n_outputs > 1 else " output"
    return f"{parent.name}{suffix}"


def _follow(
    output: Tensor,
    wrt: Tensor,
    steps: list[tuple[Any, int]],
    element: tuple[int, ...],
    names: dict[int, str],
    tensors: dict[Any, Any],
) -> TensorPath:
    """Send the seed gradient back along one chain of ops only (linearity: paths add up)."""
    grads: list[Any] = [None] * output._vertex()._n_outputs
    grads[output._slot] = np.ones(output.shape, dtype=output.dtype)  # as the walk: arrays
    op_steps = []
    delivered = None
    with no_grad():
        for vertex, slot in steps:
            upstream = next(g for g in grads if g is not None)
            shape = upstream.shape
            raw = vertex.fn.run_backward(vertex, grads, False)  # before the engine fits it
            raw = raw if isinstance(raw, tuple) else (raw,)
            summed = ""
            if raw[slot] is not None:
                summed = reduction_text(np.shape(raw[slot]), vertex.input_shapes[slot])
            op_steps.append(
                OpStep(
                    vertex.name,
                    slot,
                    shape,
                    upstream.copy(),
                    input_name(vertex, slot, names, tensors),
                    summed,
                )
            )
            passed = vertex._backward(grads, False)[slot]
            if passed is None:
                break
            parent = vertex._parents[slot]
            grads = [None] * parent._n_outputs
            grads[(vertex._parent_slots or (0,) * len(vertex._parents))[slot]] = passed
        else:
            delivered = next(g for g in grads if g is not None).copy()
    contribution = 0.0 if delivered is None else float(delivered[element])
    return TensorPath(tuple(op_steps), delivered, contribution)
