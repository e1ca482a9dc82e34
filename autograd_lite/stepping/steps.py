"""`backward_steps()`: the backward pass run one node at a time, in the engine's own order.

It does not reimplement backward: a Value graph is walked by the loop `Value.backward`
runs (`scalar.walk.backward_pass`), a Tensor graph by the walk `Tensor.backward` runs
(`engine.walk.walk_steps` through `engine.backward.backward_walk_steps`), each paused after
every node whose rule ran. Run to its end, it leaves exactly the gradients ``backward()``
leaves (it *is* a backward pass: gradients accumulate into ``.grad`` as usual).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.backward import backward_walk_steps
from ..engine.tensor_base import TensorBase
from ..scalar.value import Value
from ..scalar.walk import backward_pass


@dataclass(frozen=True, eq=False)
class BackwardStep:
    """One node of the backward pass: the gradient arriving at it and what it sends back.

    Attributes:
        index: position in the pass, from 0 (the output's own node); printed from 1.
        node: the Value, or for a Tensor graph the recorded op node (``node.name`` is its op).
        op: the op's name (``"mul"``, ``"tanh"``... for Values; ``"Mul"``, ``"Sum"``... for
            Tensor ops).
        label: the node's label ("" when it has none; for a Tensor op node, the output
            Tensor's label when it is the output of the pass).
        upstream: the total gradient arriving at the node, d output / d node (a float for a
            Value; an array for a Tensor op, or a tuple with one per output for an op with
            several outputs, None where none arrived).
        inputs: the node's inputs in operand order (Values; for a Tensor op, a leaf Tensor,
            an op node whose output it is, or None for a constant that needs no gradient).
        input_labels: the inputs' labels ("" when none).
        local: per input, the local derivative d node / d input (a float) for a Value; for a
            Tensor op, the gradient it sends to that input (the chain rule already applied:
            a Tensor op has no single local number).
        contribution: per input, what this node adds to that input's gradient: upstream *
            local for a Value, the gradient sent for a Tensor op (None where none).
        accumulated: per input, its total gradient so far in this pass, this step included
            (final once the input's own step comes or, for a leaf, once its last user's
            step has run).
    """

    index: int
    node: Any
    op: str
    label: str
    upstream: Any
    inputs: tuple[Any, ...]
    input_labels: tuple[str, ...]
    local: tuple[Any, ...]
    contribution: tuple[Any, ...]
    accumulated: tuple[Any, ...]

    @property
    def name(self) -> str:
        """A readable name of the node: its label, else its op (and value, for a Value)."""
        return _name(self.node, self.label)

    @property
    def input_names(self) -> tuple[str, ...]:
        """A readable name of each input (see `name`)."""
        return tuple(_name(node, label) for node, label in zip(self.inputs, self.input_labels))

    def __str__(self) -> str:
        head = f"{self.name} ({self.op})" if self.label else self.name
        # counted from 1 in text, as the page counts its steps (``index`` counts from 0)
        lines = [f"step {self.index + 1}: {head}, upstream {_text(self.upstream)}"]
        is_value = isinstance(self.node, Value)
        for name, local, sent, total in zip(
            self.input_names, self.local, self.contribution, self.accumulated
        ):
            if sent is None:
                lines.append(f"  -> {name}: no gradient")
            elif is_value:
                lines.append(
                    f"  -> {name}: {_text(self.upstream)} x {_text(local)} = {_text(sent)}"
                    f"  (so far {_text(total)})"
                )
            else:
                lines.append(f"  -> {name}: sends {_text(sent)}  (so far {_text(total)})")
        return "\n".join(lines)


def backward_steps(
    output: Value | TensorBase, grad: Any = None, *, retain_graph: bool = False
) -> Iterator[BackwardStep]:
    """Run the backward pass from ``output`` one node at a time, yielding a `BackwardStep`
    per node whose rule runs, in the order ``backward()`` runs them.

    Args:
        output: a Value, or a Tensor that requires grad.
        grad: the gradient to start from: a number for a Value (1.0 when left out); for a
            Tensor as in ``Tensor.backward`` (may be left out for a single element).
        retain_graph: (Tensor graphs) keep what the ops saved, so that backward can run
            through the graph again; as in ``Tensor.backward``. A Value graph always keeps it.

    Returns:
        An iterator of steps. It is the backward pass itself: gradients accumulate into
        ``.grad`` as they do in ``backward()`` (a leaf Tensor's when the walk reaches it,
        after its last user's step); run to its end, it leaves exactly the gradients
        ``backward()`` leaves. Leaves have no step of their own: their gradients appear as
        inputs' ``accumulated`` totals.

    Raises:
        TypeError: if ``output`` is neither a Value nor a Tensor, or a Value's ``grad`` is
            not a real number.
        RuntimeError, ShapeError: as ``Tensor.backward`` (no graph; a missing or
            mis-shaped ``grad``), raised here, before the first step.

    Example:
        >>> x = Value(3.0, label="x"); y = x * x; y.label = "y"
        >>> for step in backward_steps(y):
        ...     print(step)
        step 1: y (mul), upstream 1
          -> x: 1 x 3 = 3  (so far 6)
          -> x: 1 x 3 = 3  (so far 6)
    """
    if isinstance(output, Value):
        if grad is None:
            seed = 1.0
        elif isinstance(grad, bool) or not isinstance(grad, numbers.Real):
            raise TypeError(
                f"backward_steps: grad for a Value must be a real number, got {type(grad).__name__}"
            )
        else:
            seed = float(grad)
        return _value_steps(output, seed)
    if isinstance(output, TensorBase):
        _, walk = backward_walk_steps(output, grad, retain_graph=retain_graph)
        return _tensor_steps(output, walk)
    raise TypeError(
        f"backward_steps: output must be a Value or a Tensor, got {type(output).__name__}"
    )


def _value_steps(output: Value, seed: float) -> Iterator[BackwardStep]:
    index = -1
    for value, grad, first_total, second_total in backward_pass(output, seed, steps=True):
        index += 1
        parents = value._parents
        local = value._local_grads
        totals = (first_total,) if len(parents) == 1 else (first_total, second_total)
        yield BackwardStep(
            index=index,
            node=value,
            op=value._op,
            label=value.label,
            upstream=grad,
            inputs=parents,
            input_labels=tuple(parent.label for parent in parents),
            local=local,
            # the engine's own product (d_first * grad): the same float
            contribution=tuple(derivative * grad for derivative in local),
            accumulated=totals,
        )


def _tensor_steps(output: TensorBase, walk: Iterator[Any]) -> Iterator[BackwardStep]:
    root = output._vertex()
    index = -1
    for vertex, totals, sent, pending in walk:
        index += 1
        parents = vertex._parents
        slots = vertex._parent_slots or (0,) * len(parents)
        contributions = []
        accumulated = []
        for position, parent in enumerate(parents):
            gradient = None if parent is None else sent[position]
            contributions.append(_copy(gradient))
            so_far = None if parent is None else pending.get(parent)
            accumulated.append(None if so_far is None else _copy(so_far[slots[position]]))
        upstream = (
            _copy(totals[0]) if vertex._n_outputs == 1 else tuple(_copy(total) for total in totals)
        )
        yield BackwardStep(
            index=index,
            node=vertex,
            op=vertex.name,
            label=output.label if vertex is root else "",
            upstream=upstream,
            inputs=tuple(parents),
            input_labels=tuple(getattr(parent, "label", "") or "" for parent in parents),
            local=tuple(contributions),
            contribution=tuple(contributions),
            accumulated=tuple(accumulated),
        )


def _copy(array: Any) -> Any:
    """A step's own copy of a gradient (the walk goes on adding into its totals)."""
    return None if array is None else np.array(array, copy=True)


def _name(node: Any, label: str) -> str:
    if label:
        return label
    if node is None:
        return "constant"
    if isinstance(node, Value):
        if not node._op:
            return f"{node.data:.4g}"
        return f"({node._op} = {node.data:.4g})"
    if isinstance(node, TensorBase):
        return "leaf"
    return f"({node.name})"


def _text(value: Any) -> str:
    """Short text of a number or an array for `BackwardStep.__str__`."""
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return "(" + ", ".join(_text(item) for item in value) + ")"
    array = np.asarray(value)
    if array.size == 1:
        number = float(array.reshape(()))
        return f"{number:.4g}" if math.isfinite(number) else str(number)
    return " ".join(
        np.array2string(array, precision=4, threshold=8, edgeitems=2, separator=", ").split()
    )
