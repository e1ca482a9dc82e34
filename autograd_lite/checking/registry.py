"""The op registry: every public Tensor operation with its NumPy reference and test domain.

One entry per way of reaching an op from the public API (``a + b`` and ``b.__radd__(a)``
are two entries; ``x ** 2.0`` and ``x ** y`` are two). The property tests iterate this
table (forward against the reference, gradcheck, gradgradcheck), and a test fails when a
public Tensor method, operator or module function is neither covered here nor listed in
`NOT_OPS`. Nothing here imports Hypothesis: the ``shapes`` and ``kwargs`` fields name
strategies that ``tests/strategies.py`` knows how to draw.

The entry type, the input domains and the shape and keyword-argument kinds are in
`op_entry`; the elementwise math, reductions and einsum entries in `registry_math`, the
shape, indexing and in-place entries in `registry_shape`, the recurrent cells in
`registry_recurrent`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..functions import concatenate, linear, maximum, softmax_cross_entropy, stack, where
from .op_entry import DOMAINS, KWARGS_KINDS, SHAPE_KINDS, OpEntry
from .registry_math import MATH_ENTRIES
from .registry_recurrent import RECURRENT_ENTRIES
from .registry_shape import SHAPE_ENTRIES

__all__ = ["DOMAINS", "KWARGS_KINDS", "NOT_OPS", "REGISTRY", "SHAPE_KINDS", "OpEntry"]


def _logsumexp(x: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    """The naive formula, computed in float64: in float32, exp(-100) is subnormal and the
    naive log loses the last digits the engine's stable rule keeps (-99.98 for -100)."""
    wide = np.exp(np.asarray(x, dtype=np.float64))
    return np.log(np.sum(wide, axis=axis, keepdims=keepdims)).astype(np.asarray(x).dtype)


def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return x - np.log(np.exp(x).sum(axis=axis, keepdims=True))


def _class_of_row(logits: np.ndarray) -> np.ndarray:
    """A fixed class index per row of (N, C) logits for the cross-entropy entries."""
    if logits.ndim != 2 or 0 in logits.shape:  # let the op itself reject such logits
        return np.zeros(0, dtype=np.intp)
    return np.arange(logits.shape[0]) % logits.shape[1]


def _cross_entropy_reference(x: np.ndarray) -> np.ndarray:
    return np.mean(-_log_softmax(x, axis=1)[np.arange(x.shape[0]), _class_of_row(x)])


def _binary(
    name: str,
    dunder: str,
    reference: Callable[..., Any],
    domains: tuple[str, str] = ("real", "real"),
) -> OpEntry:
    return OpEntry(
        name,
        lambda a, b: getattr(a, dunder)(b),
        reference,
        domains,
        covers=(f"Tensor.{dunder}",),
        shapes="broadcast",
    )


def _reflected(
    name: str,
    dunder: str,
    reference: Callable[..., Any],
    domains: tuple[str, str] = ("real", "real"),
) -> OpEntry:
    # b.__rsub__(a) is what Python calls for `a - b` when a is a number or an ndarray.
    return OpEntry(
        name,
        lambda a, b: getattr(b, dunder)(a),
        reference,
        domains,
        covers=(f"Tensor.{dunder}",),
        shapes="broadcast",
    )


def _unary(name: str, reference: Callable[..., Any], domain: str = "real") -> OpEntry:
    return OpEntry(
        name, lambda x: getattr(x, name)(), reference, (domain,), covers=(f"Tensor.{name}",)
    )


def _comparison(name: str, dunder: str, ufunc: np.ufunc) -> OpEntry:
    return OpEntry(
        name,
        lambda a, b: getattr(a, dunder)(b),
        lambda a, b: ufunc(a, b),
        ("real", "real"),
        covers=(f"Tensor.{dunder}",),
        shapes="broadcast",
        differentiable=False,
        twice_differentiable=False,
    )


_ENTRIES: tuple[OpEntry, ...] = (
    _binary("add", "__add__", np.add),
    _reflected("radd", "__radd__", np.add),
    _binary("sub", "__sub__", np.subtract),
    _reflected("rsub", "__rsub__", np.subtract),
    _binary("mul", "__mul__", np.multiply),
    _reflected("rmul", "__rmul__", np.multiply),
    _binary("truediv", "__truediv__", np.divide, ("real", "nonzero")),
    _reflected("rtruediv", "__rtruediv__", np.divide, ("real", "nonzero")),
    _binary("pow", "__pow__", np.power, ("positive", "real")),
    _reflected("rpow", "__rpow__", np.power, ("positive", "real")),
    OpEntry(
        "pow_number",
        lambda x, exponent: x**exponent,
        lambda x, exponent: np.power(x, exponent),
        ("positive",),
        covers=("Tensor.__pow__",),
        kwargs="exponent",
    ),
    OpEntry("neg", lambda x: -x, np.negative, ("real",), covers=("Tensor.__neg__",)),
    OpEntry(
        "matmul",
        lambda a, b: a @ b,
        np.matmul,
        ("real", "real"),
        covers=("Tensor.__matmul__",),
        shapes="matmul",
    ),
    OpEntry(
        "rmatmul",
        lambda a, b: b.__rmatmul__(a),
        np.matmul,
        ("real", "real"),
        covers=("Tensor.__rmatmul__",),
        shapes="matmul",
    ),
    OpEntry(
        "sum",
        lambda x, axis, keepdims: x.sum(axis=axis, keepdims=keepdims),
        lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims),
        ("real",),
        covers=("Tensor.sum",),
        kwargs="reduce",
    ),
    OpEntry(
        "mean",
        lambda x, axis, keepdims: x.mean(axis=axis, keepdims=keepdims),
        lambda x, axis, keepdims: np.mean(x, axis=axis, keepdims=keepdims),
        ("real",),
        covers=("Tensor.mean",),
        kwargs="reduce",
    ),
    OpEntry(
        "max",
        lambda x, axis, keepdims: x.max(axis=axis, keepdims=keepdims),
        lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims),
        ("distinct",),
        covers=("Tensor.max",),
        kwargs="reduce",
    ),
    OpEntry(
        "reshape",
        lambda x, shape: x.reshape(*shape),
        lambda x, shape: np.reshape(x, shape),
        ("real",),
        covers=("Tensor.reshape",),
        kwargs="reshape",
    ),
    OpEntry(
        "transpose",
        # one tuple: transpose(0, 1) on a matrix raises (the PyTorch-habit error)
        lambda x, axes: x.transpose(axes) if axes else x.transpose(),
        lambda x, axes: np.transpose(x, axes),
        ("real",),
        covers=("Tensor.transpose",),
        kwargs="transpose",
    ),
    OpEntry("T", lambda x: x.T, lambda x: x.T, ("real",), covers=("Tensor.T",)),
    OpEntry(
        "getitem",
        lambda x, index: x[index],
        lambda x, index: np.asarray(x[index]),
        ("real",),
        covers=("Tensor.__getitem__",),
        kwargs="basic_index",
    ),
    OpEntry(
        "getitem_array",
        lambda x, index: x[index],
        lambda x, index: x[index],
        ("real",),
        covers=("Tensor.__getitem__",),
        kwargs="array_index",
    ),
    _unary("exp", np.exp),
    _unary("log", np.log, "positive"),
    _unary("sqrt", np.sqrt, "positive"),
    _unary("abs", np.abs, "distinct"),
    _unary("tanh", np.tanh),
    _unary("sigmoid", lambda x: 1.0 / (1.0 + np.exp(-x))),
    _unary("relu", lambda x: np.where(x > 0, x, 0.0), "distinct"),
    _unary("softplus", lambda x: np.log1p(np.exp(x))),
    OpEntry(
        "logsumexp",
        lambda x, axis, keepdims: x.logsumexp(axis=axis, keepdims=keepdims),
        _logsumexp,
        ("real",),
        covers=("Tensor.logsumexp",),
        kwargs="reduce",
    ),
    OpEntry(
        "softmax",
        lambda x, axis: x.softmax(axis=axis),
        _softmax,
        ("real",),
        covers=("Tensor.softmax",),
        kwargs="axis",
    ),
    OpEntry(
        "log_softmax",
        lambda x, axis: x.log_softmax(axis=axis),
        _log_softmax,
        ("real",),
        covers=("Tensor.log_softmax",),
        kwargs="axis",
    ),
    OpEntry(
        "concatenate",
        lambda *xs, axis: concatenate(xs, axis=axis),
        lambda *xs, axis: np.concatenate(xs, axis=axis),
        ("real", "real", "real"),
        covers=("autograd_lite.concatenate",),
        shapes="concatenate",
    ),
    OpEntry(
        "stack",
        lambda *xs, axis: stack(xs, axis=axis),
        lambda *xs, axis: np.stack(xs, axis=axis),
        ("real", "real"),
        covers=("autograd_lite.stack",),
        shapes="stack",
    ),
    OpEntry(
        "where",
        lambda cond, a, b: where(cond > 0, a, b),
        lambda cond, a, b: np.where(cond > 0, a, b),
        ("nonzero", "real", "real"),
        covers=("autograd_lite.where",),
        shapes="broadcast",
    ),
    OpEntry(
        "maximum",
        maximum,
        np.maximum,
        ("distinct", "distinct"),
        covers=("autograd_lite.maximum",),
        shapes="broadcast",
    ),
    OpEntry(
        "linear",
        lambda x, weight, bias: linear(x, weight, bias),
        lambda x, weight, bias: np.matmul(x, weight.T) + bias,
        ("real", "real", "real"),
        covers=("autograd_lite.linear",),
        shapes="linear",
    ),
    OpEntry(
        "softmax_cross_entropy",
        lambda x: softmax_cross_entropy(x, _class_of_row(x.data)),
        _cross_entropy_reference,
        ("real",),
        covers=("autograd_lite.softmax_cross_entropy",),
        shapes="logits",
    ),
    _comparison("lt", "__lt__", np.less),
    _comparison("le", "__le__", np.less_equal),
    _comparison("gt", "__gt__", np.greater),
    _comparison("ge", "__ge__", np.greater_equal),
    _comparison("eq", "__eq__", np.equal),
    _comparison("ne", "__ne__", np.not_equal),
)

#: name -> entry, in declaration order.
REGISTRY: dict[str, OpEntry] = {
    entry.name: entry for entry in _ENTRIES + MATH_ENTRIES + SHAPE_ENTRIES + RECURRENT_ENTRIES
}

#: Public names that are not tensor operations, each with the reason.
NOT_OPS: dict[str, str] = {
    "Tensor.__init__": "constructor",
    "Tensor.__repr__": "printing",
    "Tensor.__len__": "container protocol, returns an int",
    "Tensor.__bool__": "truth value, returns a bool",
    "Tensor.__hash__": "identity hash",
    "Tensor.backward": "runs the graph walk; tested in test_graph",
    "Tensor.detach": "cuts the graph; no computation",
    "Tensor.numpy": "returns the ndarray",
    "Tensor.item": "returns a Python number",
    "Tensor.__float__": "returns a Python number (float(t))",
    "Tensor.__int__": "returns a Python number (int(t))",
    "Tensor.requires_grad_": "sets a flag",
    "Tensor.__array__": "conversion for np.asarray(t); tested in test_tensor_habits",
    "Tensor.register_hook": "registers a gradient hook; tested in test_hooks",
    "Tensor.retain_grad": "sets a flag; tested in test_hooks",
    "autograd_lite.as_tensor": "constructor",
    "autograd_lite.grad": "graph walk",
    "autograd_lite.no_grad": "grad mode",
    "autograd_lite.enable_grad": "grad mode",
    "autograd_lite.is_grad_enabled": "grad mode",
    "autograd_lite.set_grad_enabled": "grad mode",
    "autograd_lite.gradcheck": "the checker itself",
    "autograd_lite.gradgradcheck": "the checker itself",
    "autograd_lite.draw_graph": "pictures",
    "autograd_lite.draw_backward": "pictures (an interactive page of the backward pass)",
    "autograd_lite.backward_steps": "the graph walk, one node at a time",
    "autograd_lite.explain": "chain-rule breakdown",
    "autograd_lite.detect_anomaly": "debugging mode (context manager)",
    "autograd_lite.is_anomaly_enabled": "debugging mode flag",
    "autograd_lite.diagnose_grads": "a report on gradients (reads the graph)",
    "Tensor.argmax": "returns an int64 NumPy array (no gradient); tested in test_reductions",
    "Tensor.argmin": "returns an int64 NumPy array (no gradient); tested in test_reductions",
    "autograd_lite.zeros": "creation: a new leaf tensor",
    "autograd_lite.ones": "creation: a new leaf tensor",
    "autograd_lite.full": "creation: a new leaf tensor",
    "autograd_lite.zeros_like": "creation: a new leaf tensor",
    "autograd_lite.ones_like": "creation: a new leaf tensor",
    "autograd_lite.arange": "creation: a new leaf tensor",
    "autograd_lite.linspace": "creation: a new leaf tensor",
    "autograd_lite.eye": "creation: a new leaf tensor",
    "autograd_lite.rand": "creation: random draws into a new leaf tensor",
    "autograd_lite.randn": "creation: random draws into a new leaf tensor",
    "autograd_lite.manual_seed": "seeds the global random generator",
    "autograd_lite.default_generator": "returns the global random generator",
}


def covered_names() -> set[str]:
    """Every public name some registry entry exercises."""
    return {name for entry in REGISTRY.values() for name in entry.covers}
