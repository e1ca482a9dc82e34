"""`Node`: the graph vertex recorded for one application of an op or custom Function.

A node is also the op's context (as in PyTorch, the context *is* the node): a
`NodeWithAttributes`, a `Context` too, for ops that keep values of their own (``ctx.out``);
a plain `Node`, without an instance dict, for the arithmetic operators. `_link`
records which tensors it was computed from; `_backward` runs the op's rule (through the
op's ``run_backward``, see `ops.op.Op`) and then, in this one place, sums each gradient
back over broadcast axes, casts it to its input's dtype and checks it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import GraphFreedError
from . import anomaly
from .broadcast import broadcasts_to, sum_to_array
from .context import FREED_MESSAGE, Context, ContextBase
from .tensor_base import TensorBase, bound
from .versions import mutations

# [fast path: bound ndarray] NumPy's module defines __getattr__, so Python cannot specialise
# an `np.ndarray` lookup in hot code (each is a dictionary search); a global is one load
_ndarray = np.ndarray


if TYPE_CHECKING:  # ops declare ``ctx: Context``; a Node takes every call a Context takes
    _NodeBase = Context
else:
    _NodeBase = ContextBase


class Node(_NodeBase):
    """The graph vertex recorded for one application of an op or custom Function.

    Every op application gets one (as its ``ctx``); only recorded ones are linked into the
    graph (`_link`). The graph-vertex interface the walk uses: ``_parents``,
    ``_parent_slots``, ``_n_outputs``, ``_backward(grads, create_graph)``, ``_release()``.

    A plain Node has no instance dict, so it takes no attribute beyond its bookkeeping:
    `apply_binary` makes these for the arithmetic operators, whose ops keep nothing of
    their own; everything else gets a `NodeWithAttributes`. [fast path: dict-less node]
    """

    # The per-op bookkeeping lives in slots. [fast path: node slots]
    __slots__ = (
        "needs_input_grad",
        "fn",
        "_parents",
        "_parent_slots",
        "_n_outputs",
        "_meta",
        "_saved",
        "_stamp",
        "_watched",
        "created_at",
        "_cuts",
        "_outputs",
        "_hooks",
        "__weakref__",
    )

    #: the Op or Function class that was applied
    fn: Any
    #: the input vertices: a producing Node, a leaf Tensor, or None (needs no gradient)
    _parents: tuple[Any, ...]
    #: which output of each parent an edge comes from; None when all are output 0
    _parent_slots: tuple[int, ...] | None
    _n_outputs: int
    #: shape and dtype of every output, then of every input, flat: (shape, dtype, shape, ...).
    #: A built-in op with one output whose inputs all have its shape and dtype keeps only
    #: the output's pair: its gradients need no fitting (see `_link` and `_backward`).
    _meta: tuple[Any, ...]
    #: (input position, origin) for inputs cut from the graph (see `engine.provenance`);
    #: set only then
    _cuts: tuple[tuple[int, Any], ...]
    #: the hooks of its output tensors (`engine.hooks.VertexHooks`): None until the first
    #: ``register_hook``/``retain_grad`` on one of them
    _hooks: Any

    def _link(
        self,
        fn: Any,
        tensors: tuple[TensorBase, ...],
        results: tuple[TensorBase, ...],
        builtin: bool,
    ) -> None:
        """Record this node as the producer of ``results`` from ``tensors`` (``builtin``: an
        `Op`, whose rules give each input a gradient of its own shape and dtype when all
        inputs have the output's)."""
        self.fn = fn
        self._n_outputs = n_outputs = len(results)
        # [fast path: spelled-out link] the binary and unary cases without loops or lists
        if n_outputs == 1 and len(tensors) == 2:
            a, b = tensors
            data_a, data_b, out = a._data, b._data, results[0]._data
            # a Tensor's vertex (Tensor._vertex, inlined): its node, itself if a leaf
            # requiring grad, else None
            self._parents = (
                a._node or (a if a.requires_grad else None),
                b._node or (b if b.requires_grad else None),
            )
            self._parent_slots = (a._slot, b._slot) if a._slot or b._slot else None
            shape, dtype = out.shape, out.dtype
            shape_a, dtype_a, shape_b, dtype_b = (
                data_a.shape,
                data_a.dtype,
                data_b.shape,
                data_b.dtype,
            )
            if builtin and dtype_a is dtype and dtype_b is dtype and shape_a == shape == shape_b:
                self._meta = (shape, dtype)  # [fast path: compact meta]
            else:
                self._meta = (shape, dtype, shape_a, dtype_a, shape_b, dtype_b)
            results[0]._node = self
        elif n_outputs == 1 and len(tensors) == 1:
            (a,) = tensors
            data_a, out = a._data, results[0]._data
            self._parents = (a._node or (a if a.requires_grad else None),)
            self._parent_slots = (a._slot,) if a._slot else None
            shape, dtype, shape_a, dtype_a = out.shape, out.dtype, data_a.shape, data_a.dtype
            if builtin and dtype_a is dtype and shape_a == shape:
                self._meta = (shape, dtype)
            else:
                self._meta = (shape, dtype, shape_a, dtype_a)
            results[0]._node = self
        else:  # the general case: one pass over outputs and inputs
            meta: list[Any] = []
            for slot, result in enumerate(results):
                data = result._data
                meta += (data.shape, data.dtype)
                result._node = self
                result._slot = slot
            parents: list[Any] = []
            slots: list[int] = []
            for t in tensors:
                data = t._data
                meta += (data.shape, data.dtype)
                parents.append(t._node or (t if t.requires_grad else None))
                slots.append(t._slot)
            self._meta = tuple(meta)
            self._parents = tuple(parents)
            self._parent_slots = tuple(slots) if any(slots) else None

    # ---------------------------------------------------------------- views of the record
    @property
    def name(self) -> str:
        """The op's name as shown in errors and pictures, e.g. 'Mul'."""
        return self.fn.__name__

    @property
    def ctx(self) -> Node:
        """The op's context: the node itself."""
        return self

    @property
    def freed(self) -> bool:
        """True once backward released what was saved (see `Context.release`)."""
        return self._saved is None

    @property
    def output_meta(self) -> tuple[tuple[tuple[int, ...], np.dtype], ...]:
        """(shape, dtype) of every output."""
        meta = self._meta
        return tuple([(meta[2 * i], meta[2 * i + 1]) for i in range(self._n_outputs)])

    @property
    def input_shapes(self) -> tuple[tuple[int, ...], ...]:
        """The shape of every input at forward time."""
        meta, start = self._meta, 2 * self._n_outputs
        if len(meta) == start:  # every input has the output's shape and dtype
            return (meta[0],) * len(self._parents)
        return meta[start::2]

    @property
    def input_dtypes(self) -> tuple[np.dtype, ...]:
        """The dtype of every input at forward time."""
        meta, start = self._meta, 2 * self._n_outputs
        if len(meta) == start:
            return (meta[1],) * len(self._parents)
        return meta[start + 1 :: 2]

    # ---------------------------------------------------------------- backward
    def _backward(self, grads: list[Any], create_graph: bool) -> Sequence[Any]:
        """One gradient per input from the gradient of each output (None where none).

        Without ``create_graph`` gradients are NumPy arrays from end to end; with it they
        are Tensors and the rule is recorded, so it can be differentiated again.
        """
        if self._saved is None:
            raise GraphFreedError(f"{self.name}: {FREED_MESSAGE}")
        created_at = self.created_at  # set (with the fingerprints) only under detect_anomaly
        if mutations.last > self._stamp or created_at is not None and self._fingerprints:
            self.check_unchanged(self.name)
        if created_at is not None:
            anomaly.check_incoming(self, grads)
        fn = self.fn
        if fn.array_backward and len(grads) == 1 and grads[0] is not None:
            raw = fn.backward(self, grads[0])  # [fast path: direct array rule]
        else:
            raw = fn.run_backward(self, grads, create_graph)
        if type(raw) is not tuple:
            raw = (raw,)
        parents = self._parents
        if len(raw) != len(parents):
            raise RuntimeError(
                f"{self.name}.backward returned {len(raw)} gradient(s), expected "
                f"{len(parents)} (one per input, None where there is none)"
            )
        # [fast path: compact meta] a node that kept only its output's (shape, dtype) has
        # inputs of exactly that shape and dtype: its rule's gradients fit as they are
        fits = len(self._meta) == 2
        # [fast path: rule's tuple] handed on as it is unless a gradient is dropped or fitted
        fitted: Any = raw
        index = -1
        for grad in raw:  # (a hand-kept index: enumerate costs an iterator per node)
            index += 1
            if grad is None:
                continue
            if parents[index] is None:  # an input that needs no gradient
                if fitted is raw:
                    fitted = list(raw)
                fitted[index] = None
            elif not fits or not create_graph and type(grad) is not _ndarray:
                fit = self._fit_gradient(index, grad, create_graph)
                if fit is not grad:
                    if fitted is raw:
                        fitted = list(raw)
                    fitted[index] = fit
        if created_at is not None:
            anomaly.check_produced(self, fitted)
        return fitted

    def grads_or_zeros(self, grads: list[Any], as_tensors: bool = False) -> list[Any]:
        """The gradients of this node's outputs, zeros for outputs that received none
        (arrays, or Tensors when ``as_tensors``)."""
        for g in grads:  # not `None in grads`: that would call Tensor.__eq__
            if g is None:
                break
        else:
            return grads
        zeros = [np.zeros(shape, dtype=dtype) for shape, dtype in self.output_meta]
        if as_tensors:
            wrap = bound.wrap
            return [wrap(z, False) if g is None else g for g, z in zip(grads, zeros)]
        return [z if g is None else g for g, z in zip(grads, zeros)]

    def _fit_gradient(self, index: int, grad: Any, create_graph: bool) -> Any:
        """A rule's gradient for input ``index`` as an array (a Tensor under
        ``create_graph``) of that input's shape and dtype."""
        if not create_graph and type(grad) is not _ndarray:
            grad = _as_array(grad)  # a NumPy scalar (0-d arithmetic) or a Tensor
        meta = self._meta
        if len(meta) == 2:  # compact: every input has the output's shape and dtype
            shape, dtype = meta
        else:
            position = 2 * (self._n_outputs + index)
            shape, dtype = meta[position], meta[position + 1]
        if grad.shape != shape or grad.dtype != dtype:
            grad = self._fit(index, grad, shape, dtype)
        return grad

    def _fit(self, index: int, grad: Any, shape: tuple[int, ...], dtype: np.dtype) -> Any:
        """Sum a gradient (array or Tensor) down to input ``index``'s shape, in its dtype."""
        if grad.shape != shape:
            if not broadcasts_to(shape, grad.shape):
                raise RuntimeError(
                    f"{self.name}.backward returned a gradient of shape {grad.shape} for "
                    f"input {index} of shape {shape}; they do not broadcast"
                )
            if type(grad) is np.ndarray:  # (a full sum gives a NumPy scalar: made an array)
                grad = np.asarray(sum_to_array(grad, shape))
            else:
                grad = grad._sum_to(shape)
        if grad.dtype != dtype:
            grad = grad.astype(dtype) if type(grad) is np.ndarray else grad._cast(dtype)
        return grad

    # the walk's name for releasing a node's saved values
    _release = ContextBase.release


class NodeWithAttributes(Node, Context):
    """A `Node` that is also a `Context` with an instance dict: the op may keep values of its
    own on it (``ctx.axis``, ``ctx.out``), and releasing it drops them. Every op applied
    through `apply`, and every custom Function, gets one."""

    __slots__ = ()
    _release = Context.release
    # made by `apply`, which sets its fields one by one: no arguments, and object's own
    # initialiser, which Python calls without running any code of its own [fast path: node
    # by call]
    __init__ = object.__init__


def _as_array(grad: Any) -> np.ndarray:
    """A gradient from a rule run on arrays, as an ndarray (from a NumPy scalar or a Tensor)."""
    if isinstance(grad, TensorBase):
        return grad._data
    return np.asarray(grad)
