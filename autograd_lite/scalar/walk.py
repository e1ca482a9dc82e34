"""The walk of a `Value` graph: its order, the backward pass, and the lock that lets one
pass run at a time.

A Value's edges are two slots and two floats, so its graph has a lean walk of its own
(Tensor graphs use `engine.walk`). The walk marks Values through their ``_total`` slot,
which doubles as the running gradient total of a backward pass. `backward_pass` is the one
reverse loop: `Value.backward` runs it in one go, the stepping tools pause it after each
Value that has parents.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterable
from typing import Any

#: held by every walk over Values (backward, zero_grad, the pictures' and explain's order)
WALK_LOCK = threading.RLock()
_FINISHED = object()  # stack marker of reverse_topological_order: the Value below is done
#: passes paused between steps (see `backward_pass`): each an [order, saved totals or None]
_PAUSED: list[list[Any]] = []


def backward_pass(
    root: Any, seed: float = 1.0, steps: bool = False
) -> Generator[tuple[Any, float, float, float | None], None, None]:
    """Add d root / d v (times ``seed``) into ``v.grad`` for every Value ``v`` below ``root``.

    The reverse loop of `Value.backward`: every Value in `reverse_topological_order`, its
    total final when it comes (every Value using it came before), sent on to its parents
    times the local derivative of each edge. A generator: without ``steps`` it never
    yields (run it with ``next(pass, None)``); with ``steps`` it pauses after each Value that
    has parents, yielding (that Value, its total, its first parent's total so far, its second
    parent's total so far or None).

    While paused it holds no lock, and if another walk over Values starts or resumes
    meanwhile (a backward, zero_grad, a picture, another paused pass), the paused pass's
    marks are first lifted off its Values, to be put back when it resumes: only the running
    walk has its marks on, so an unfinished or abandoned pass never blocks or corrupts
    another.
    """
    with WALK_LOCK:
        order = reverse_topological_order(root)  # sets every _total in it to 0.0
        root._total = seed
        try:
            for value in order:
                grad = value._total  # final: every Value using this one came before it
                value._total = None
                value.grad += grad
                parent = value._first
                if parent is None:  # a leaf (or a Value made under no_grad)
                    continue
                parent._total += value._d_first * grad  # the chain rule along the edge
                parent = value._second
                if parent is not None:
                    parent._total += value._d_second * grad
                if steps:
                    yield from _pause(order, value, grad)
        except BaseException:  # interrupted: no Value may look visited to the next pass
            clear_totals(order)
            raise


def _pause(
    order: list[Any], value: Any, grad: float
) -> Generator[tuple[Any, float, float, float | None], None, None]:
    """Yield one step of `backward_pass` with ``WALK_LOCK`` released (called holding it)."""
    second = value._second
    step = (value, grad, value._first._total, None if second is None else second._total)
    paused = [order, None]
    _PAUSED.append(paused)
    WALK_LOCK.release()
    try:
        yield step
    finally:
        WALK_LOCK.acquire()
        _PAUSED.remove(paused)
        _lift_paused()  # another paused pass's marks may be on (it paused after this one)
        if paused[1] is not None:  # another walk ran meanwhile: put the totals back
            for each, total in zip(order, paused[1]):
                each._total = total


def _lift_paused() -> None:
    """Take the marks of every paused `backward_pass` off its Values (kept to put back), so
    a new walk sees them unvisited. Called holding ``WALK_LOCK``."""
    for paused in _PAUSED:
        if paused[1] is None:
            paused[1] = [value._total for value in paused[0]]
            clear_totals(paused[0])


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
    if _PAUSED:  # a stepping pass is paused with its marks on: lift them first
        _lift_paused()
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
