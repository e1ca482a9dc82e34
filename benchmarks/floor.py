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
    """A minimal scalar Value: data, grad, parents and their local derivatives."""

    __slots__ = ("data", "grad", "parents", "local")

    def __init__(self, data: float, parents: tuple = (), local: tuple = ()) -> None:
        self.data, self.grad, self.parents, self.local = data, 0.0, parents, local

    def __add__(self, other: _Scalar) -> _Scalar:
        return _Scalar(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other: _Scalar) -> _Scalar:
        return _Scalar(self.data * other.data, (self, other), (other.data, self.data))

    def tanh(self) -> _Scalar:
        result = math.tanh(self.data)
        return _Scalar(result, (self,), (1.0 - result * result,))


def _scalar_backward(root: _Scalar) -> None:
    """Counting pass, then reverse accumulation with the numeric local derivatives."""
    waiting: dict[_Scalar, int] = {}
    stack = [root]
    while stack:
        for parent in stack.pop().parents:
            if parent in waiting:
                waiting[parent] += 1
            else:
                waiting[parent] = 1
                stack.append(parent)
    root.grad = 1.0
    ready = [root]
    while ready:
        vertex = ready.pop()
        grad = vertex.grad
        for parent, local in zip(vertex.parents, vertex.local):
            parent.grad += local * grad
            waiting[parent] -= 1
            if not waiting[parent]:
                ready.append(parent)


def scalar_build_backward(graph: Graph) -> list[_Scalar]:
    """Build ``graph`` (as `scalar_engine.build_values` does) and backpropagate it."""
    nodes = build_values(graph, _Scalar)
    _scalar_backward(nodes[-1])
    return nodes
