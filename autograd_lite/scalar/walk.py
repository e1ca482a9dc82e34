"""The walk of a `Value` graph: its order, and the lock that lets one pass run at a time.

A Value's edges are two slots and two floats, so its graph has a lean walk of its own
(Tensor graphs use `engine.walk`). The walk marks Values through their ``_total`` slot,
which doubles as the running gradient total of a backward pass.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

#: held by every walk over Values (backward, zero_grad, the pictures' and explain's order)
WALK_LOCK = threading.RLock()
_FINISHED = object()  # stack marker of reverse_topological_order: the Value below is done


def reverse_topological_order(root: Any) -> list[Any]:
    """``root`` and every Value it depends on, each one before all of its parents.

    Iterative depth-first search, so a chain of a million Values needs no recursion. When a
    Value is expanded it goes back on the stack under the `_FINISHED` marker, its parents on
    top: when the marker comes off, every parent has been emitted, and the Value follows
    them. That is parents-first order, reversed at the end. A Value is marked (its
    ``_total`` set to 0.0) when it is expanded, not when pushed: a Value pushed early and
    reached again from higher up the stack must be emitted before that later user. The
    caller resets every ``_total`` to None.
    """
    order: list[Any] = []
    stack: list[Any] = [root]
    pop, push, emit = stack.pop, stack.append, order.append  # bound once, not per Value
    try:
        while stack:
            value = pop()
            if value is _FINISHED:
                emit(pop())
                continue
            if value._total is not None:  # reached again along another edge: expanded
                continue
            value._total = 0.0  # expanded (and its total starts at 0 for the backward pass)
            push(value)
            push(_FINISHED)  # (a marker rather than a (value, done) pair: no tuple per Value)
            parent = value._second
            if parent is not None and parent._total is None:
                push(parent)
            parent = value._first
            if parent is not None and parent._total is None:
                push(parent)
    except BaseException:  # (e.g. KeyboardInterrupt) undo the marks, as backward() does
        clear_totals(order)
        clear_totals(value for value in stack if value is not _FINISHED)
        raise
    order.reverse()
    return order


def clear_totals(values: Iterable[Any]) -> None:
    """Mark ``values`` as outside any backward pass again."""
    for value in values:
        value._total = None


def values_below(root: Any) -> list[Any]:
    """``root`` and every Value it depends on, each after all of its parents."""
    with WALK_LOCK:
        order = reverse_topological_order(root)
        clear_totals(order)
    order.reverse()
    return order
