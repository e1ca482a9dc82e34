"""The floor: the least any graph-recording engine pays in CPython, as a yardstick.

Two deliberately minimal engines that do only what recording and reverse accumulation
cannot avoid: one object per result, one per recorded op with its parents and what the
rule needs, a pass that counts children and a pass that runs the rules in reverse order.
They have no grad mode, dtype rules, broadcasting, in-place checks, anomaly mode or
pictures, and each supports only the ops its benchmark uses.

They are not part of autograd_lite. They answer one question for the per-op and Value
targets of issue 8: how far below the floor of pure Python is the limit? An engine can
approach its floor but not beat it, so a target below the floor needs compiled code.
Their gradients are checked against autograd_lite's before timing.
"""

from __future__ import annotations

import math

import numpy as np

from .scalar_engine import Graph, build_values


# -------------------------------------------------------------------- tensor chain
class _Array:
    """A recorded array: its data and the op that made it (None for a leaf)."""

    __slots__ = ("data", "requires_grad", "op")

    def __init__(self, data: np.ndarray, requires_grad: bool = False, op: _Mul | None = None):
        self.data, self.requires_grad, self.op = data, requires_grad, op


class _Mul:
    """The record of one a * b: its inputs (the rule needs their data)."""

    __slots__ = ("a", "b")

    def __init__(self, a: _Array, b: _Array) -> None:
        self.a, self.b = a, b


def _multiply(a: _Array, b: _Array) -> _Array:
    needs = a.requires_grad or b.requires_grad
    return _Array(np.multiply(a.data, b.data), needs, _Mul(a, b) if needs else None)


def _chain_backward(root: _Array, seed: np.ndarray) -> dict[_Array, np.ndarray]:
    """Counting pass, then each rule once all its consumers are done (as autograd_lite)."""
    waiting: dict[_Array, int] = {}
    stack = [root]
    while stack:
        op = stack.pop().op
        if op is None:
            continue
        for parent in (op.a, op.b):
            if parent.requires_grad:
                if parent in waiting:
                    waiting[parent] += 1
                else:
                    waiting[parent] = 1
                    stack.append(parent)
    pending = {root: seed}
    leaves = {}
    ready = [root]
    while ready:
        vertex = ready.pop()
        grad = pending.pop(vertex)
        op = vertex.op
        if op is None:
            leaves[vertex] = grad
            continue
        for parent, other in ((op.a, op.b), (op.b, op.a)):
            if parent.requires_grad:
                contribution = np.multiply(grad, other.data)
                pending[parent] = (
                    contribution if parent not in pending else pending[parent] + contribution
                )
                waiting[parent] -= 1
                if not waiting[parent]:
                    ready.append(parent)
    return leaves


def chain_forward_backward(start: np.ndarray, factors: np.ndarray, seed: np.ndarray, length: int):
    """d/dx of x * c * c * ... (``length`` times), recorded and backpropagated minimally."""
    x = _Array(start, requires_grad=True)
    constant = _Array(factors)
    y = x
    for _ in range(length):
        y = _multiply(y, constant)
    return _chain_backward(y, seed)[x]


# -------------------------------------------------------------------- scalar graph
class _Scalar:
    """A minimal scalar Value: data, grad, up to two parents with their local derivatives
    in slots (one object per node), and the running total of a backward pass."""

    __slots__ = ("data", "grad", "a", "b", "da", "db", "total")

    def __init__(self, data: float) -> None:
        self.data, self.grad, self.a, self.b, self.total = data, 0.0, None, None, None

    def __add__(self, other: _Scalar) -> _Scalar:
        out = _new(_Scalar)
        out.data, out.grad, out.total = self.data + other.data, 0.0, None
        out.a, out.b, out.da, out.db = self, other, 1.0, 1.0
        return out

    def __mul__(self, other: _Scalar) -> _Scalar:
        out = _new(_Scalar)
        out.data, out.grad, out.total = self.data * other.data, 0.0, None
        out.a, out.b, out.da, out.db = self, other, other.data, self.data
        return out

    def tanh(self) -> _Scalar:
        result = math.tanh(self.data)
        out = _new(_Scalar)
        out.data, out.grad, out.total = result, 0.0, None
        out.a, out.b, out.da = self, None, 1.0 - result * result
        return out


_new = object.__new__
_DONE = object()


def _scalar_backward(root: _Scalar) -> None:
    """Depth-first order (marks in the nodes), then one reverse sweep of multiply-adds."""
    order = []
    stack: list = [root]
    while stack:
        vertex = stack.pop()
        if vertex is _DONE:
            order.append(stack.pop())
            continue
        if vertex.total is not None:
            continue
        vertex.total = 0.0
        stack.append(vertex)
        stack.append(_DONE)
        if vertex.b is not None and vertex.b.total is None:
            stack.append(vertex.b)
        if vertex.a is not None and vertex.a.total is None:
            stack.append(vertex.a)
    root.total = 1.0
    for vertex in reversed(order):
        grad = vertex.total
        vertex.total = None
        vertex.grad += grad
        if vertex.a is not None:
            vertex.a.total += vertex.da * grad
            if vertex.b is not None:
                vertex.b.total += vertex.db * grad


def scalar_build_backward(graph: Graph) -> list[_Scalar]:
    """Build ``graph`` (as `scalar_engine.build_values` does) and backpropagate it."""
    nodes = build_values(graph, _Scalar)
    _scalar_backward(nodes[-1])
    return nodes


def scalar_chain_backward(length: int) -> tuple[float, float]:
    """The chain of `scalar_engine.make_chain` (y = x * k * k ...) built and backpropagated
    minimally; returns (d y / d x, d y / d k)."""
    x, factor = _Scalar(0.5), _Scalar(1.0 - 1e-7)
    y = x
    for _ in range(length):
        y = y * factor
    _scalar_backward(y)
    return x.grad, factor.grad
