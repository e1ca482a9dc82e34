"""The story draw_backward tells: one text and one set of highlights per step of
`backward_steps`, every number from the engine."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine.tensor_base import TensorBase
from ..explaining.explain import array_text
from ..scalar.value import Value
from ..scalar.walk import values_below
from ..stepping.steps import BackwardStep
from .backward_page import colour_edges, node_labels
from .layout import dot_names, escape_label, vertices_below

if TYPE_CHECKING:
    from ..tensor import Tensor


#: the texts of a gradient not reached yet, and of the current node's colours
UNREACHED = "grad ?"
_CURRENT, _TARGET = "#d62728", "#1f77b4"
#: arrays larger than this keep only their text preview in the page's step data
_EXACT_LIMIT = 10_000


def _exact(value: Any) -> Any:
    """A number or array as JSON: floats exactly (their repr round-trips), an array as
    {"shape", "data": its elements in C order}; non-finite numbers as text ("nan", "inf")."""
    if value is None:
        return None
    if isinstance(value, tuple):
        return [_exact(item) for item in value]
    if isinstance(value, float) or np.ndim(value) == 0 and not isinstance(value, np.ndarray):
        number = float(value)
        return number if math.isfinite(number) else str(number)
    array = np.asarray(value, dtype=float)
    if array.size > _EXACT_LIMIT:
        return {"shape": list(array.shape), "data": None}
    data = [number if math.isfinite(number) else str(number) for number in array.ravel()]
    return {"shape": list(array.shape), "data": data}


@dataclass(eq=False)
class _Story:
    """Everything the page and the GIF show, as text, from the steps."""

    base: Any  # the Digraph drawn without gradients
    labels: dict[str, str]  # DOT name -> its label in ``base`` (for nodes showing a grad)
    layout_texts: dict[str, str]  # DOT name -> the widest grad text it takes (lays it out)
    states: list[dict[str, str]]  # per position: DOT name -> grad text
    data: dict[str, Any]

    @classmethod
    def build(
        cls,
        output: Value | Tensor,
        steps: list[BackwardStep],
        graph: Any,
        digits: int,
        grad: Any,
    ) -> _Story:
        is_value = isinstance(output, Value)

        def number(value: Any) -> str:
            if value is None:
                return "none"
            if isinstance(value, tuple):
                return "(" + ", ".join(number(item) for item in value) + ")"
            if is_value:
                return f"{value:.{digits}g}"
            return array_text(np.asarray(value))

        labels = node_labels(graph.body)
        names = dot_names(output)
        root_vertex = output if isinstance(output, Value) else output._vertex()

        def dot_name(node: Any, slot: int = 0) -> str | None:
            """The drawn node holding the value of ``node`` (output ``slot``), if drawn."""
            if node is None or id(node) not in names:
                return None
            name = names[id(node)]
            if not is_value and not isinstance(node, TensorBase):
                name = f"{name}_out{slot}"
            return name if name in labels else None

        def op_name(node: Any) -> str | None:
            """The drawn node of the operation that produced ``node``."""
            if id(node) not in names:
                return None
            name = names[id(node)] + ("_op" if is_value else "")
            return name if name in labels else None

        output_name = steps[0].name if steps else _plain_name(output)
        root_name = dot_name(root_vertex, 0 if isinstance(output, Value) else output._slot)
        seed = _seed_value(output, grad)
        state: dict[str, str] = {}
        # every drawn value gets a gradient text: "?" until the pass reaches it
        grad_names = [name for name in _value_names(output, names) if name in labels]
        for name in grad_names:
            state[name] = UNREACHED
        if root_name is not None:
            state[root_name] = "grad " + number(seed)
        initial = dict(state)
        states = [dict(state)]
        step_data = []
        for step in steps:
            slots = _input_slots(step)
            changes: dict[str, str] = {}
            inputs = []
            for position, node in enumerate(step.inputs):
                target = dot_name(node, slots[position])
                total = step.accumulated[position]
                if target is not None and total is not None:
                    changes[target] = "grad " + number(total)
                inputs.append(
                    {
                        "node": target,
                        "name": step.input_names[position],
                        "local": _exact(step.local[position]),
                        "contribution": _exact(step.contribution[position]),
                        "accumulated": _exact(total),
                        "local_text": number(step.local[position]),
                        "contribution_text": number(step.contribution[position]),
                        "accumulated_text": number(total),
                    }
                )
            state.update(changes)
            states.append(dict(state))
            here = dot_name(step.node, 0) if is_value else None
            operation = op_name(step.node)
            outputs: list[str] = []
            if not is_value and id(step.node) in names:
                prefix = names[id(step.node)]
                outputs = [
                    f"{prefix}_out{slot}"
                    for slot in range(step.node._n_outputs)
                    if f"{prefix}_out{slot}" in labels
                ]
            # the value node first: the callout is placed beside it
            current = [name for name in (here, *outputs, operation) if name is not None]
            if is_value:
                arriving = [[operation, here]] if here and operation else []
            else:
                arriving = [[operation, out] for out in outputs] if operation else []
            sources = [dot_name(node, slots[position]) for position, node in enumerate(step.inputs)]
            sending = [[source, operation] for source in sources if source and operation]
            targets = sorted({source for source in sources if source})
            title, lines, callout = _step_text(step, output_name, is_value, number)
            step_data.append(
                {
                    "index": step.index,
                    "node": here or operation,
                    "op": step.op,
                    "name": step.name,
                    "upstream": _exact(step.upstream),
                    "upstream_text": number(step.upstream),
                    "inputs": inputs,
                    "grads": changes,
                    "current": current,
                    "targets": targets,
                    "arriving": arriving,
                    "sending": sending,
                    "title": f"Step {step.index + 1} of {len(steps)}: {title}",
                    "lines": lines,
                    "callout": callout,
                }
            )
        layout_texts = {name: max((s[name] for s in states), key=len) for name in grad_names}
        seed_text = number(seed)
        data = {
            "kind": "Value" if is_value else "Tensor",
            "output": output_name,
            "digits": digits,
            "seed": _exact(seed),
            "root": root_name,  # the drawn node of the output (None when not drawn)
            "grad_nodes": {
                name: {"initial": initial[name], "final": state[name]} for name in grad_names
            },
            "start": {
                "title": f"Before the first step: d {output_name} / d {output_name} = "
                f"{seed_text} (the seed)",
                "lines": [
                    f"{len(steps)} steps, in the order backward() runs them. Press Next "
                    "(or the right arrow key) to run the first."
                ],
            },
            "end": {
                "title": f"Done: all {len(steps)} steps ran; every gradient shown is final "
                "(what backward() leaves, from zero)",
            },
            "steps": step_data,
        }
        return cls(graph, labels, layout_texts, states, data)

    # -------------------------------------------------------------------- pictures
    def _graph_with(self, texts: dict[str, str]) -> Any:
        graph = self.base.copy()
        for name, text in texts.items():
            graph.node(name, label=f"{self.labels[name]} | {escape_label(text)}")
        return graph

    def layout_graph(self) -> Any:
        """The picture with each value's widest gradient text: the page's layout."""
        return self._graph_with(self.layout_texts)

    def frame_graph(self, position: int, sizes: dict[str, tuple[str, str]]) -> Any:
        """The picture at ``position`` (0: before the first step; k: after step k), every
        node at its size in the layout so that all frames are laid out alike."""
        graph = self._graph_with(self.states[position])
        if position:
            step = self.data["steps"][position - 1]
            graph.body = colour_edges(graph.body, step["arriving"], _CURRENT)
            graph.body = colour_edges(graph.body, step["sending"], _TARGET)
            for name in step["current"]:
                graph.node(name, color=_CURRENT, penwidth="3", fontcolor=_CURRENT)
            for name in step["targets"]:
                graph.node(name, color=_TARGET, penwidth="3")
        for name, (width, height) in sizes.items():
            graph.node(name, width=width, height=height, fixedsize="true")
        return graph

    def caption(self, position: int) -> list[str]:
        """The text under a GIF frame."""
        if position == 0:
            start = self.data["start"]
            return [start["title"], *start["lines"]]
        step = self.data["steps"][position - 1]
        lines = [step["title"], *step["lines"]]
        if position == len(self.data["steps"]):
            lines.append(self.data["end"]["title"])
        return lines


def _step_text(
    step: BackwardStep, output_name: str, is_value: bool, number: Callable[[Any], str]
) -> tuple[str, list[str], list[str]]:
    """The title, the panel's lines and the callout's lines of one step."""
    title = f"{step.name} ({step.op})" if step.label else step.name
    lines = [f"upstream d {output_name} / d {step.name} = {number(step.upstream)}"]
    callout = (
        ["upstream x local = contribution"] if is_value else [f"upstream {number(step.upstream)}"]
    )
    for name, local, sent, total in zip(
        step.input_names, step.local, step.contribution, step.accumulated
    ):
        if sent is None:
            lines.append(f"-> {name}: no gradient")
            continue
        if is_value:
            product = f"{number(step.upstream)} x {number(local)} = {number(sent)}"
            lines.append(f"-> {name}: upstream x local = {product}  (so far {number(total)})")
            callout.append(f"{product} -> {name}")
        else:
            lines.append(f"-> {name}: sends {number(sent)}  (so far {number(total)})")
            callout.append(f"sends {number(sent)} -> {name}")
    return title, lines, callout


def _plain_name(output: Any) -> str:
    label = getattr(output, "label", "")
    return label or "output"


def _seed_value(output: Value | TensorBase, grad: Any) -> Any:
    if isinstance(output, Value):
        return 1.0 if grad is None else float(grad)
    if grad is None:
        return np.ones(output.shape, dtype=output.dtype)
    return np.asarray(getattr(grad, "data", grad), dtype=output.dtype)


def _value_names(output: Value | TensorBase, names: dict[int, str]) -> list[str]:
    """The DOT names of the nodes that stand for a value (which shows a gradient): every
    Value; a Tensor graph's leaves and op outputs (not its op boxes or constants)."""
    if isinstance(output, Value):
        return [names[id(value)] for value in values_below(output)]
    vertex = output._vertex()
    if vertex is None or vertex is output:
        return list(names.values())
    found = []
    for each in vertices_below(vertex):
        if isinstance(each, TensorBase):
            found.append(names[id(each)])
        else:
            found += [f"{names[id(each)]}_out{slot}" for slot in range(each._n_outputs)]
    return found


def _input_slots(step: BackwardStep) -> tuple[int, ...]:
    slots = getattr(step.node, "_parent_slots", None)
    return tuple(slots) if slots else (0,) * len(step.inputs)
