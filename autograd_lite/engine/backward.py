"""Tensor entry points to the graph walk: `Tensor.backward` and the functional `grad`.

Both are thin layers over `walk.backpropagate`; they differ only in what they do with the
gradient that reaches a vertex (accumulate into a leaf's ``.grad``, or hand it back).
`backward_walk_steps` is `Tensor.backward`'s pass paused after each vertex, for the stepping
tools.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ..errors import ShapeError
from .hooks import describe, retain
from .tensor_base import TensorBase, bound, float_array
from .walk import add_gradients, backpropagate, backward_order, walk_steps

#: held while a leaf's .grad is read and replaced by the sum
_LEAF_LOCK = threading.Lock()


def _seed(output: TensorBase, grad: Any, where: str) -> Any:
    """The starting gradient for ``output``: ``grad`` checked, or 1 for a single element."""
    if not output.requires_grad:
        raise RuntimeError(
            f"{where}: the tensor does not require grad and has no graph to go back through "
            "(did it come from tensors with requires_grad=True, outside no_grad()?)"
        )
    if grad is None:
        if output.data.size != 1:
            raise RuntimeError(
                f"{where}: grad can be left out only for a single-element tensor, but this "
                f"one has shape {output.shape}. Pass grad=<a tensor of shape {output.shape}>, "
                "e.g. the ones of that shape to differentiate the sum of its elements."
            )
        # np.array for the usual 0-d loss: a C call, where np.ones is a Python function
        one = (
            np.array(1, dtype=output.dtype)
            if output.ndim == 0
            else np.ones(output.shape, output.dtype)
        )
        return bound.wrap(one, False)
    seed = grad if isinstance(grad, TensorBase) else bound.wrap(float_array(grad, None), False)
    if seed.shape != output.shape:
        raise ShapeError(
            f"{where}: grad has shape {seed.shape} but the tensor has shape {output.shape}; "
            "they must be equal"
        )
    if seed.dtype != output.dtype:
        seed = bound.wrap(seed.data.astype(output.dtype), seed.requires_grad)
    return seed


def run_backward(
    output: TensorBase,
    grad: Any,
    *,
    retain_graph: bool,
    create_graph: bool,
    inputs: TensorBase | Sequence[TensorBase] | None = None,
) -> None:
    """Implementation of `Tensor.backward`: accumulate into every reached leaf's ``.grad``
    (only into ``inputs``, when given)."""
    seed = _seed(output, grad, "backward")
    root = output._vertex()
    # with inputs=: the leaves to accumulate into, and every input's vertex (for the hooks)
    only_leaves: set[int] | None = None
    targets: set[int] | None = None
    if inputs is not None:
        only_leaves, targets = _backward_inputs(inputs, root)
    backpropagate(
        [root],
        [_walk_value(seed, create_graph)],
        root_slots=[output._slot],
        retain_graph=retain_graph or create_graph,
        create_graph=create_graph,
        on_vertex=_leaf_delivery(create_graph, only_leaves, seed._data),
        leaves_only=True,  # only leaves get a .grad (non-leaves through retain_grad's hook)
        hooks=True,
        hook_targets=targets,
    )


def backward_walk_steps(
    output: TensorBase, grad: Any, *, retain_graph: bool, where: str = "backward_steps"
) -> tuple[Any, Iterator[tuple[Any, list[Any], Sequence[Any], dict[Any, Any]]]]:
    """`run_backward` (without create_graph), paused after each vertex whose rule ran.

    The same seed, the same walk (`walk.walk_steps`) and the same accumulation into the
    leaves' ``.grad``; a leaf's ``.grad`` is written when the walk reaches it, after the
    step of its last user. Returns (the seed's array, the walk); run the walk to its end.
    (Tensor hooks do not run in a stepped pass.)
    """
    seed = _seed(output, grad, where)
    walk = walk_steps(
        [output._vertex()],
        [seed._data],
        root_slots=[output._slot],
        retain_graph=retain_graph,
        on_vertex=_leaf_delivery(False, None, seed._data),
    )
    return seed._data, walk


def _leaf_delivery(
    create_graph: bool, only_leaves: set[int] | None, seed: Any
) -> Callable[[Any, list[Any]], None]:
    """What backward does with a leaf's total: add it into the leaf's ``.grad`` (only into
    the leaves whose ids are in ``only_leaves``, when given). ``seed``: the seed's array."""
    wrap = bound.wrap
    handed = {id(seed)}  # arrays someone else holds: the seed, earlier leaves' .grad

    def deliver(vertex: Any, grads: list[Any]) -> None:
        if not isinstance(vertex, TensorBase):  # a leaf Node (no inputs) has no .grad
            return
        if only_leaves is not None and id(vertex) not in only_leaves:
            return
        with _LEAF_LOCK:  # two threads' passes may reach one leaf: no update is lost
            previous = vertex.grad
            if create_graph:  # Tensors, recorded: the sum is differentiable too
                vertex.grad = grads[0] if previous is None else add_gradients(previous, grads[0])
            elif previous is None:  # arrays (see _walk_value)
                total = grads[0]
                # A .grad owns its array, as PyTorch clones a gradient it cannot steal:
                # `w.grad *= 0.5` under no_grad writes into it in place, and the walk may
                # hand one array to two leaves (a + b), or the caller's seed, or a view.
                if total.base is not None or id(total) in handed:
                    total = total.copy()
                handed.add(id(total))
                vertex.grad = wrap(total, False)
            else:
                vertex.grad = wrap(add_gradients(previous._data, grads[0]), False)

    return deliver


def _backward_inputs(inputs: Any, root: Any) -> tuple[set[int], set[int]]:
    """Check ``backward``'s ``inputs=`` against the graph below ``root``; return the ids of
    the leaves among them and of every input's vertex.

    As in PyTorch, an input may be a leaf or not; a non-leaf input is marked
    ``retain_grad()`` (its .grad is filled from then on). Unlike PyTorch, which ignores an
    input the output does not depend on, such an input is an error: it would get no
    gradient, which is almost always a mistake (a tensor from another graph, or detached).
    """
    tensors = [inputs] if isinstance(inputs, TensorBase) else list(inputs)
    if not tensors:
        raise RuntimeError(
            "backward: inputs= is empty; give the tensors to accumulate gradients into, or "
            "leave inputs out to accumulate into every leaf"
        )
    for position, tensor in enumerate(tensors):
        if not isinstance(tensor, TensorBase):
            raise TypeError(
                f"backward: inputs[{position}] is {type(tensor).__name__}, not a Tensor"
            )
        if not tensor.requires_grad:
            raise RuntimeError(
                f"backward: inputs[{position}] ({describe(tensor)}) does not require grad, so "
                "no gradient can be accumulated into it"
            )
    reached = {id(vertex) for vertex in backward_order([root])}
    for position, tensor in enumerate(tensors):
        if id(tensor._vertex()) not in reached:
            raise RuntimeError(
                f"backward: inputs[{position}] ({describe(tensor)}) is not part of the graph "
                "of the tensor backward was called on: that tensor was not computed from it "
                "(is it from another computation, or detached?)"
            )
    for tensor in tensors:
        if tensor._node is not None:
            retain(tensor)
    leaves = {id(tensor) for tensor in tensors if tensor._node is None}
    return leaves, {id(tensor._vertex()) for tensor in tensors}


def _walk_value(grad: Any, create_graph: bool) -> Any:
    """A gradient as the walk carries it: a Tensor under create_graph, else its array.

    Without create_graph nothing is recorded, so gradients travel as bare NumPy arrays and
    become Tensors only where they are handed to the user.
    """
    return grad if create_graph else grad._data


def _is_sequence_of_arrays(value: Any) -> bool:
    """True for a list/tuple of Tensors or arrays (one gradient per output)."""
    return isinstance(value, (list, tuple)) and all(
        isinstance(item, (TensorBase, np.ndarray)) for item in value
    )


def grad(
    outputs: TensorBase | Sequence[TensorBase],
    inputs: TensorBase | Sequence[TensorBase],
    grad_outputs: Any | Sequence[Any] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> tuple[Any, ...]:
    """Return d outputs / d inputs as a tuple of Tensors, one per input (like torch.autograd.grad).

    No leaf's ``.grad`` is touched. Tensor hooks run on the way, as in PyTorch: those of the
    inputs (what they return is what grad returns) and of the tensors between the outputs
    and the inputs, so a tensor there that ``retain_grad()`` was called on gets its
    ``.grad`` too. An input the outputs do not depend on gets a zero gradient (a
    documented difference from PyTorch, which raises unless ``allow_unused``).

    Args:
        outputs: tensor(s) to differentiate; single-element unless ``grad_outputs`` is given.
        inputs: tensor(s) requiring grad (leaves or intermediate results).
        grad_outputs: the upstream gradient for each output (ones for single elements).
        retain_graph: keep saved buffers for another pass; defaults to ``create_graph``.
        create_graph: record the gradient computation, for higher-order derivatives.

    Returns:
        A tuple with one gradient Tensor per input, each of that input's shape.

    Example:
        >>> x = Tensor(2.0, requires_grad=True)
        >>> (g,) = grad(x ** 3, x, create_graph=True)   # 3x^2 = 12
        >>> grad(g, x)[0].item()                         # 6x = 12
        12.0
    """
    outputs_seq = [outputs] if isinstance(outputs, TensorBase) else list(outputs)
    inputs_seq = [inputs] if isinstance(inputs, TensorBase) else list(inputs)
    if grad_outputs is None:
        grad_outputs_seq: list[Any] = [None] * len(outputs_seq)
    elif isinstance(outputs, TensorBase) and not _is_sequence_of_arrays(grad_outputs):
        grad_outputs_seq = [grad_outputs]  # one output: its gradient, as any array-like
    else:
        grad_outputs_seq = list(grad_outputs)
    if len(grad_outputs_seq) != len(outputs_seq):
        raise ValueError(
            f"grad: got {len(grad_outputs_seq)} grad_outputs for {len(outputs_seq)} outputs"
        )
    if retain_graph is None:
        retain_graph = create_graph

    wanted: dict[int, list[tuple[int, int]]] = {}
    for position, tensor in enumerate(inputs_seq):
        if not isinstance(tensor, TensorBase) or not tensor.requires_grad:
            raise RuntimeError(f"grad: input {position} does not require grad")
        wanted.setdefault(id(tensor._vertex()), []).append((tensor._slot, position))
    results: list[Any] = [None] * len(inputs_seq)

    def capture(vertex: Any, grads: list[Any]) -> None:
        for slot, position in wanted.get(id(vertex), ()):
            if grads[slot] is not None:
                gradient = grads[slot]
                if not create_graph:  # an array (see _walk_value)
                    gradient = bound.wrap(gradient, False)
                results[position] = gradient

    seeds = [_seed(out, g, "grad") for out, g in zip(outputs_seq, grad_outputs_seq)]
    backpropagate(
        [out._vertex() for out in outputs_seq],
        [_walk_value(seed, create_graph) for seed in seeds],
        root_slots=[out._slot for out in outputs_seq],
        retain_graph=retain_graph,
        create_graph=create_graph,
        on_vertex=capture,
        hooks=True,
        hook_targets=set(wanted),
    )
    return tuple(
        result if result is not None else bound.wrap(np.zeros_like(tensor.data), False)
        for result, tensor in zip(results, inputs_seq)
    )
