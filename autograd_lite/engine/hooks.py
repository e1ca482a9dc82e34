"""Tensor hooks: functions run on a tensor's gradient during the backward walk.

``t.register_hook(fn)`` and ``t.retain_grad()`` (see `autograd_lite.tensor_hooks`) end up
here. As in PyTorch, a hook belongs to the tensor's *vertex*: a leaf's hooks live on the
leaf itself, a non-leaf's on the `Node` that produced it, filed under the output slot the
tensor is (``t._slot``). So a hook sees the gradient exactly when the walk has the vertex's
final total, after broadcast reduction (`Node._backward` reduces every gradient to its
input's shape before it is added to a total).

What runs at a vertex, in this order (PyTorch's order): the tensor's hooks in registration
order (each may return a replacement, seen by the next hook, the rest of the walk and
``.grad``); then, for a tensor that ``retain_grad()`` was called on, the store into its
``.grad``; then the vertex's rule, or for a leaf the accumulation into ``.grad``.

Cost when no hook is used: one test of a local per vertex. `state.used` turns True at the first
registration in the process; until then the walk does not look for hooks at all, and
afterwards it reads one attribute per vertex: ``_hooks``, None on the Node class, and a
slot of leaf tensors left unset until the leaf's first hook (so making a tensor costs
nothing more; read it with ``getattr(t, "_hooks", None)``). A node holds the tensor it
retains by weak reference, so no reference cycle keeps a graph alive (graphs are freed by
reference counting alone).
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from .tensor_base import TensorBase, bound


class _HookState:
    """Whether any hook or retain_grad was registered in this process (then the walk looks
    for hooks at every vertex; before, not at all)."""

    __slots__ = ("used",)

    def __init__(self) -> None:
        self.used = False


state = _HookState()

#: ids of handles, unique in the process (a removed hook's id is never reused)
_HANDLE_IDS = itertools.count()
#: held while a retained .grad is read and replaced by the sum (two threads' passes)
_RETAIN_LOCK = threading.Lock()


class VertexHooks:
    """The hooks of one vertex: for each output slot, its hooks (by handle id, in
    registration order) and, for a non-leaf that retains its gradient, a weak reference
    to it. A leaf uses slot 0."""

    __slots__ = ("hooks", "tensors", "retained", "__weakref__")

    def __init__(self) -> None:
        self.hooks: dict[int, dict[int, Callable[[Any], Any]]] = {}
        #: slot -> weak reference to the tensor, to name it in errors and to retain into
        self.tensors: dict[int, weakref.ref[Any]] = {}
        #: slots whose tensor keeps its .grad (retain_grad)
        self.retained: set[int] = set()


class RemovableHandle:
    """What `Tensor.register_hook` returns: ``handle.remove()`` takes the hook away.

    Removing twice, or after the graph was freed, does nothing. Usable as a context
    manager: the hook is removed on leaving the ``with`` block.
    """

    __slots__ = ("_owner", "_slot", "id")

    def __init__(self, owner: VertexHooks, slot: int) -> None:
        # weak: a handle the user keeps does not keep the hooks (or what they capture) alive
        self._owner = weakref.ref(owner)
        self._slot = slot
        self.id = next(_HANDLE_IDS)

    def remove(self) -> None:
        """Remove the hook; it will not run again."""
        owner = self._owner()
        if owner is not None:
            owner.hooks.get(self._slot, {}).pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<RemovableHandle id={self.id}>"


def _vertex_hooks(tensor: TensorBase) -> VertexHooks:
    """The hooks of ``tensor``'s vertex (made on first use): on its node, or on a leaf."""
    owner = tensor._node if tensor._node is not None else tensor
    hooks = getattr(owner, "_hooks", None)  # (a leaf's slot is unset until its first hook)
    if hooks is None:
        hooks = owner._hooks = VertexHooks()
    hooks.tensors[tensor._slot] = weakref.ref(tensor)
    return hooks


def add_hook(tensor: TensorBase, hook: Callable[[Any], Any]) -> RemovableHandle:
    """Implementation of `Tensor.register_hook`."""
    if not tensor.requires_grad:
        raise RuntimeError(
            f"register_hook: cannot register a hook on a tensor that doesn't require gradient "
            f"({describe(tensor)}): it has no gradient to watch. Make it with "
            "requires_grad=True, or hook a tensor computed from one."
        )
    if not callable(hook):
        raise TypeError(f"register_hook: the hook must be callable, got {type(hook).__name__}")
    hooks = _vertex_hooks(tensor)
    handle = RemovableHandle(hooks, tensor._slot)
    hooks.hooks.setdefault(tensor._slot, {})[handle.id] = hook
    state.used = True
    return handle


def retain(tensor: TensorBase) -> None:
    """Implementation of `Tensor.retain_grad`: a non-leaf keeps its gradient in ``.grad``."""
    if not tensor.requires_grad:
        raise RuntimeError(
            f"retain_grad: can't retain_grad on a tensor that has requires_grad=False "
            f"({describe(tensor)}): no gradient reaches it."
        )
    if tensor._node is None:  # a leaf keeps its .grad anyway
        return
    _vertex_hooks(tensor).retained.add(tensor._slot)
    state.used = True


def retains(tensor: TensorBase) -> bool:
    """Whether ``tensor`` is a non-leaf whose ``.grad`` is filled by backward."""
    node = tensor._node
    if node is None or node._hooks is None:
        return False
    return tensor._slot in node._hooks.retained


def describe(tensor: Any) -> str:
    """A tensor as errors name it: its label if it has one, else its shape and dtype."""
    if tensor.label:
        return f"tensor {tensor.label!r} of shape {tensor.shape}"
    return f"the tensor of shape {tensor.shape} and dtype {tensor.dtype}"


class HookRun:
    """The hooks' side of one walk (made only once some hook exists in the process).

    ``targets``: for `grad` and ``backward(inputs=...)``, the ids of the vertices asked
    for. Then, as in PyTorch, a hook runs only at a vertex the walk needs for them (one
    from which a target can be reached); vertices elsewhere are not part of that pass.
    The set is worked out on first use, i.e. only when a hooked vertex is met.
    """

    __slots__ = ("create_graph", "roots", "targets", "needed")

    def __init__(self, roots: list[Any], create_graph: bool, targets: set[int] | None) -> None:
        self.create_graph = create_graph
        self.roots = roots
        self.targets = targets
        self.needed: set[int] | None = None

    def run(self, vertex: Any, total: list[Any]) -> None:
        """Run the hooks of ``vertex`` (which has some) on its final ``total``, in place."""
        if self.targets is not None:
            needed = self.needed
            if needed is None:
                needed = self.needed = _leading_to(self.roots, self.targets)
            if id(vertex) not in needed:
                return
        hooks: VertexHooks = vertex._hooks
        for slot, by_id in list(hooks.hooks.items()):
            if by_id and total[slot] is not None:
                total[slot] = self._run_slot(
                    vertex, hooks, slot, tuple(by_id.values()), total[slot]
                )
        for slot in tuple(hooks.retained):
            if total[slot] is not None:
                self._retain(hooks, slot, total[slot])

    def _run_slot(
        self, vertex: Any, hooks: VertexHooks, slot: int, functions: tuple[Any, ...], grad: Any
    ) -> Any:
        create_graph = self.create_graph
        # what the hooks see: a Tensor (the walk carries bare arrays without create_graph)
        given = grad if create_graph else bound.wrap(grad, False)
        for function in functions:
            result = function(given)
            if result is None:
                continue
            if isinstance(result, np.ndarray):
                result = bound.wrap(result, False)
            elif not isinstance(result, TensorBase):
                raise TypeError(
                    f"{_hook_name(function)} registered on {_name_in_graph(vertex, hooks, slot)} "
                    f"returned {type(result).__name__}; a hook returns a Tensor (the new "
                    "gradient) or None (to keep the gradient as it is)"
                )
            if result.shape != given.shape or result.dtype != given.dtype:
                raise RuntimeError(
                    f"{_hook_name(function)} registered on {_name_in_graph(vertex, hooks, slot)} "
                    f"returned a gradient of shape {result.shape} and dtype {result.dtype}, but "
                    f"the gradient it replaces has shape {given.shape} and dtype {given.dtype}; "
                    "a hook must return a gradient of the tensor's own shape and dtype (or None)"
                )
            given = result
        return given if create_graph else given._data

    def _retain(self, hooks: VertexHooks, slot: int, grad: Any) -> None:
        """Add ``grad`` into the retained tensor's ``.grad`` (if the tensor still exists)."""
        reference = hooks.tensors.get(slot)
        tensor = reference() if reference is not None else None
        if tensor is None:
            return
        with _RETAIN_LOCK:
            previous = tensor.grad
            if self.create_graph:  # a Tensor, recorded: the sum is differentiable too
                tensor.grad = grad if previous is None else previous + grad
            else:  # a copy: the array itself travels on to the rest of the walk
                total = np.array(grad) if previous is None else previous._data + grad
                tensor.grad = bound.wrap(np.asarray(total), False)


def _leading_to(roots: list[Any], targets: set[int]) -> set[int]:
    """The ids of the vertices below ``roots`` from which a target can be reached (the
    targets included): a depth-first search deciding each vertex after its parents."""
    needed: set[int] = set()
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False) for root in roots]
    while stack:
        vertex, parents_done = stack.pop()
        if parents_done:  # (in a graph without cycles every parent was decided before)
            parents = vertex._parents
            if id(vertex) in targets or any(p is not None and id(p) in needed for p in parents):
                needed.add(id(vertex))
            continue
        if id(vertex) in seen:
            continue
        seen.add(id(vertex))
        stack.append((vertex, True))
        stack.extend((p, False) for p in vertex._parents if p is not None and id(p) not in seen)
    return needed


def _hook_name(function: Any) -> str:
    name = getattr(function, "__qualname__", None) or type(function).__name__
    return f"the hook {name}"


def _name_in_graph(vertex: Any, hooks: VertexHooks, slot: int) -> str:
    """The tensor whose gradient is at ``slot`` of ``vertex``, for an error message."""
    if isinstance(vertex, TensorBase):
        return describe(vertex)
    reference = hooks.tensors.get(slot)
    tensor = reference() if reference is not None else None
    if tensor is not None:
        return describe(tensor)
    shape, dtype = vertex._meta[2 * slot], vertex._meta[2 * slot + 1]
    return f"output {slot} of {vertex.name} (shape {shape}, dtype {dtype})"
