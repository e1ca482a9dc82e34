"""Where tensors outside the graph came from: the links that detach(), no_grad and
comparisons cut, kept so `diagnose_grads` can say *why* a parameter gets no gradient.

A tensor cut from the graph (``h.detach()``, ``w > 0``, ``Tensor(h)``, or the result of an
op run inside a `no_grad` block on tensors that require grad) carries an *origin* in its
``_origin`` slot: a plain tuple ``(how, sources, where)`` — how the link was cut
("detach()", "no_grad", "comparison >", "Tensor(t)"), what it was computed from (graph
vertices: Nodes or leaf Tensors requiring grad; or the origins of other cut tensors) and the
call site (under `detect_anomaly`, else None). An op that records nothing passes its inputs'
origins on to its results; a recorded op keeps them on its node (``Node._cuts``), so from an
output one can still find the parameters that were *meant* to reach it (`sources_of`).

Cost: origins are tuples (no objects with finalizers, no counters), so a cut tensor kept
alive costs nothing later. A recorded op reads its inputs' ``_origin`` slots; an unrecorded
op does so only under grad mode or while a `no_grad` block is open somewhere (the counter
`grad_mode.watch`), never inside the backward pass. Untraceable: values that leave the
engine as NumPy arrays (``t.data``, ``t.numpy()``, ``argmax``) and come back, and
``set_grad_enabled(False)`` used as a plain call rather than a block.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .anomaly import open_blocks as _anomaly_blocks
from .anomaly import state as _anomaly_state
from .anomaly import user_call_site

#: an origin: (how the link was cut, what it was computed from, call site or None)
Origin = tuple[str, tuple[Any, ...], "str | None"]


def _site() -> str | None:
    return user_call_site() if _anomaly_blocks.count and _anomaly_state.enabled else None


def cut(how: str, tensors: Any) -> Origin | None:
    """The origin of a tensor made from ``tensors`` outside the graph; None when none of
    them is in a graph or cut from one."""
    sources: list[Any] = []
    for tensor in tensors:
        if getattr(tensor, "requires_grad", False):
            sources.append(tensor._node or tensor)
        origin = getattr(tensor, "_origin", None)
        if origin is not None:
            sources.append(origin)
    return (how, tuple(sources), _site()) if sources else None


def note_unrecorded(tensors: tuple[Any, ...], results: tuple[Any, ...]) -> None:
    """An op that recorded nothing: pass its inputs' origins on to its results (one origin
    as it is, several merged), and inside no_grad note the inputs that require grad."""
    sources: list[Any] = []
    fresh = False
    for tensor in tensors:
        if tensor.requires_grad:  # recorded nothing although it requires grad: no_grad
            sources.append(tensor._node or tensor)
            fresh = True
        else:
            origin = tensor._origin
            if origin is not None:
                sources.append(origin)
    if not sources:
        return
    if not fresh and len(sources) == 1:
        origin = sources[0]
    else:
        site = user_call_site() if _anomaly_blocks.count and _anomaly_state.enabled else None
        origin = ("no_grad" if fresh else "merged", tuple(sources), site)
    for result in results:
        result._origin = origin


def note_recorded(node: Any, tensors: tuple[Any, ...]) -> None:
    """A recorded op: keep the origins of its inputs that are outside the graph."""
    found = tuple(
        [
            (position, tensor._origin)
            for position, tensor in enumerate(tensors)
            if tensor._origin is not None and node._parents[position] is None
        ]
    )
    if found:
        node._cuts = found


def cuts_of(vertex: Any) -> tuple[tuple[int | None, Origin], ...]:
    """The cut links into a graph vertex: (input position or None, origin) pairs, from its
    node (``_cuts``), from the tensors it saved for backward, or from a leaf's own origin."""
    found: list[tuple[int | None, Origin]] = list(getattr(vertex, "_cuts", ()))
    saved = getattr(vertex, "_saved", None)
    if isinstance(saved, tuple):  # built-in ops keep their inputs: catch what _cuts missed
        known = {id(origin) for _, origin in found}
        for position, item in enumerate(saved):
            origin = getattr(item, "_origin", None)
            if origin is not None and id(origin) not in known:
                found.append((position, origin))
                known.add(id(origin))
    origin = getattr(vertex, "_origin", None)  # a leaf made from a cut tensor
    if origin is not None:
        found.append((None, origin))
    return tuple(found)


def sources_of(origin: Origin) -> Iterator[tuple[str, Any, str | None]]:
    """Every graph vertex an origin leads back to, with how (and where) the link was cut:
    the cut nearest the vertex, as (how, vertex, where). No recursion."""
    stack = [origin]
    seen: set[int] = set()
    while stack:
        how, sources, where = stack.pop()
        if id(sources) in seen:
            continue
        seen.add(id(sources))
        for source in sources:
            if type(source) is tuple:
                stack.append(source)
            else:
                yield how, source, where
