"""The Tensor graph walk: one order (`backward_order`) and reverse accumulation on it.

`Tensor.backward` and `grad()` go through `backpropagate`; the pictures, explain() and
gradcheck list vertices with `topological_order`, the same order reversed. (A `Value`
graph, whose edges are single floats, has its own lean walk in scalar/walk.py.) A *vertex*
of the graph is anything with this small interface:

- ``_parents``: tuple of parent vertices (``None`` for an input that needs no gradient);
- ``_parent_slots``: tuple saying which output of each parent an edge comes from, or
  ``None`` when every parent has a single output;
- ``_n_outputs``: how many outputs the vertex has (custom Functions may have several);
- ``_backward(grads, create_graph)``: given the gradient of each output (a list), return
  one gradient per parent (``None`` where there is none);
- ``_release()``: free what was saved for backward (called unless ``retain_graph``);
- ``_hooks``: the tensor hooks run on its total (`engine.hooks`), or None (read only by
  backward and grad, once some hook exists).

Leaves have no parents. Gradients reaching a vertex along several edges are added up
(``+``, never assignment), so a value used twice gets both contributions.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any

import numpy as np

from ..grad_mode import set_mode
from .hooks import HookRun
from .hooks import state as hook_state

# [fast path: bound ndarray] (np.generic: see engine/apply.py)
_generic = np.generic


def backward_order(roots: Sequence[Any]) -> Iterator[Any]:
    """Yield every vertex reachable from ``roots`` in the order the backward pass runs them.

    PyTorch's order: count the edges coming into each vertex from above, then run a vertex
    once every vertex above it has run (its count reached zero). Iterative, so a chain of a
    million vertices needs no recursion, and deterministic (parents in tuple order). The
    counts of a vertex's parents go down when the consumer asks for the next vertex, so a
    caller may use each vertex (send its gradients on) before its parents come.
    """
    unique_roots = list(roots) if len(roots) == 1 else _unique(roots)
    waiting = _count_children(unique_roots)
    ready = [root for root in unique_roots if not waiting[root]]
    pop_ready, push_ready = ready.pop, ready.append
    while ready:
        vertex = pop_ready()
        yield vertex
        for parent in vertex._parents:
            if parent is not None:
                count = waiting[parent] - 1
                waiting[parent] = count
                if not count:
                    push_ready(parent)


def topological_order(roots: Sequence[Any]) -> list[Any]:
    """Every vertex reachable from ``roots``, each after all of its parents: the backward
    order reversed (the order pictures, explain() and gradcheck list vertices in)."""
    order = list(backward_order(roots))
    order.reverse()
    return order


def backpropagate(
    roots: Sequence[Any],
    root_grads: Sequence[Any],
    *,
    retain_graph: bool,
    create_graph: bool,
    on_vertex: Callable[[Any, list[Any]], None] | None = None,
    root_slots: Sequence[int] | None = None,
    leaves_only: bool = False,
    hooks: bool = False,
    hook_targets: set[int] | None = None,
) -> dict[Any, Any]:
    """Send ``root_grads`` back from ``roots`` to every vertex they depend on.

    ``on_vertex(vertex, grads)`` is called once per reached vertex (per reached leaf with
    ``leaves_only``), with the list of its total output gradients, as soon as that total is
    final (all of its children are done). Rules run with graph recording off unless
    ``create_graph`` is True, in which case the gradients are themselves recorded and can be
    differentiated again.

    With ``hooks`` (backward and grad), the tensor hooks of a vertex (`engine.hooks`) run on
    its final total before anything else uses it; with ``hook_targets`` (ids of vertices),
    only at vertices from which one of them can be reached, as in PyTorch's grad().

    Returns:
        Without ``on_vertex``: every reached vertex -> the list of its total output
        gradients (kept to the end of the walk). With ``on_vertex``: an empty dict (each
        total is handed over and dropped as soon as it is final, to free memory early).
    """
    hook_run = (
        HookRun(list(roots), create_graph, hook_targets) if hooks and hook_state.used else None
    )
    walk = _walk(
        roots,
        root_grads,
        root_slots,
        retain_graph,
        create_graph,
        on_vertex,
        leaves_only,
        False,
        hook_run,
    )
    try:
        next(walk)  # without steps the walk runs to its end in one go
    except StopIteration as finished:
        pending: dict[Any, Any] = finished.value
        return pending
    raise AssertionError("the walk stopped at a step without being asked to")


def walk_steps(
    roots: Sequence[Any],
    root_grads: Sequence[Any],
    *,
    retain_graph: bool,
    root_slots: Sequence[int] | None = None,
    on_vertex: Callable[[Any, list[Any]], None] | None = None,
) -> Iterator[tuple[Any, list[Any], Sequence[Any], dict[Any, Any]]]:
    """`backpropagate`, paused after each vertex whose rule ran: yields (vertex, the total
    gradient of its outputs, the gradients it sent to its parents, the totals so far).

    The same walk as backward (not a copy), for step-by-step tools. Between steps, grad
    mode and the garbage collector are as the caller had them.
    """
    return _walk(roots, root_grads, root_slots, retain_graph, False, on_vertex, True, True, None)


def _walk(
    roots: Sequence[Any],
    root_grads: Sequence[Any],
    root_slots: Sequence[int] | None,
    retain_graph: bool,
    create_graph: bool,
    on_vertex: Callable[[Any, list[Any]], None] | None,
    leaves_only: bool,
    steps: bool,
    hook_run: HookRun | None,
) -> Generator[tuple[Any, list[Any], Sequence[Any], dict[Any, Any]], None, dict[Any, Any]]:
    """The walk itself, in `backward_order`: a vertex's rule runs once its total is final.

    A generator so that `walk_steps` can pause it; without ``steps`` it never yields.
    Vertices are dictionary keys directly: they hash by identity.
    """
    # vertex -> its total gradient so far: a list with one entry per output
    pending: dict[Any, Any] = {}
    slots = root_slots if root_slots is not None else [0] * len(roots)
    for root, grad, slot in zip(roots, root_grads, slots):
        _accumulate(pending, root, slot, grad)
    # [fast path: gc paused] the walk allocates one gradient per edge; cyclic-gc passes
    # triggered by those allocations find nothing (the graph is referenced from the roots)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    previous_mode = set_mode(create_graph)  # rules are recorded only under create_graph
    try:
        # with on_vertex, a total is dropped once handed over; without, it is kept to return
        take = pending.get if on_vertex is None else pending.pop
        get_pending = pending.get
        # [fast path: walk order inlined] `backward_order`'s loop, with its count-down of
        # each parent merged into the loop that sends the gradients: one pass over a
        # vertex's parents instead of two, and no generator to resume per vertex
        unique_roots = list(roots) if len(roots) == 1 else _unique(roots)
        waiting = _count_children(unique_roots)
        ready = [root for root in unique_roots if not waiting[root]]
        pop_ready, push_ready = ready.pop, ready.append
        while ready:
            vertex = pop_ready()
            parents = vertex._parents
            if not parents:  # a leaf: nothing further back
                if on_vertex is not None:
                    total = take(vertex, None)
                    if total is not None:
                        # (a leaf's _hooks slot is unset until its first hook)
                        if hook_run is not None and getattr(vertex, "_hooks", None) is not None:
                            hook_run.run(vertex, total)
                        on_vertex(vertex, total)
                continue
            total = take(vertex, None)
            if total is None:  # not reached by any gradient: only its parents' counts change
                for parent in parents:
                    if parent is not None:
                        count = waiting[parent] - 1
                        waiting[parent] = count
                        if not count:
                            push_ready(parent)
                continue
            # [fast path: no hooks] hook_run is None until a hook is registered in the process
            if hook_run is not None and vertex._hooks is not None:
                hook_run.run(vertex, total)
            if on_vertex is not None and not leaves_only:
                on_vertex(vertex, total)
            parent_grads = vertex._backward(total, create_graph)
            if not retain_graph:
                vertex._release()
            parent_slots = vertex._parent_slots
            position = -1  # (a hand-kept index: zip() costs an iterator per vertex)
            for parent in parents:
                position += 1
                if parent is None:
                    continue
                grad = parent_grads[position]
                if grad is not None:  # add into the parent's total (+=, never =)
                    so_far = get_pending(parent)
                    if so_far is None and parent._n_outputs == 1:
                        pending[parent] = [grad]
                    else:
                        if so_far is None:
                            so_far = pending[parent] = [None] * parent._n_outputs
                        slot = 0 if parent_slots is None else parent_slots[position]
                        previous = so_far[slot]
                        so_far[slot] = grad if previous is None else add_gradients(previous, grad)
                count = waiting[parent] - 1  # one edge into the parent done
                waiting[parent] = count
                if not count:
                    push_ready(parent)
            if steps:  # hand the caller its own grad mode and collector while paused
                set_mode(previous_mode)
                if gc_was_enabled:
                    gc.enable()
                yield vertex, total, parent_grads, pending
                gc.disable()
                set_mode(create_graph)
    finally:
        set_mode(previous_mode)
        if gc_was_enabled:
            gc.enable()
    return pending


def _unique(vertices: Sequence[Any]) -> list[Any]:
    """``vertices`` without repeats (the same output may be passed twice), order kept."""
    seen: set[int] = set()
    unique = []
    for vertex in vertices:
        if id(vertex) not in seen:
            seen.add(id(vertex))
            unique.append(vertex)
    return unique


def _count_children(roots: list[Any]) -> dict[Any, int]:
    """For every vertex below ``roots`` (and each root): how many edges come into it from above.

    ``roots`` must be free of repeats.
    """
    # the roots start at 0, so a root met below another root is counted, not expanded again
    waiting: dict[Any, int] = dict.fromkeys(roots, 0)
    stack = list(roots)
    pop, push, get = stack.pop, stack.append, waiting.get
    while stack:
        for parent in pop()._parents:
            if parent is None:
                continue
            count = get(parent)
            if count is None:  # first edge into it: expand it once
                waiting[parent] = 1
                push(parent)
            else:
                waiting[parent] = count + 1
    return waiting


def _accumulate(pending: dict[Any, Any], vertex: Any, slot: int, grad: Any) -> None:
    """Add ``grad`` into the pending total of output ``slot`` of ``vertex``."""
    so_far = pending.get(vertex)
    if so_far is None:
        so_far = pending[vertex] = [None] * vertex._n_outputs
    so_far[slot] = grad if so_far[slot] is None else add_gradients(so_far[slot], grad)


def add_gradients(total: Any, grad: Any) -> Any:
    """Sum two gradients of one output of a Tensor vertex or leaf (arrays, or Tensors under
    create_graph). NumPy sums 0-d arrays to a scalar; it is made a 0-d array again here, the
    one place gradients are added, so rules and leaves always receive arrays."""
    total = total + grad
    return np.asarray(total) if isinstance(total, _generic) else total
