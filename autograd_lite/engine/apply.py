"""`apply`: run an op's forward on its inputs' arrays and record a `Node` when a gradient is needed.

Every Tensor operation, and every operation of a backward rule run with ``create_graph``,
comes through here once, so this is the engine's hottest code. Its steps:

1. inputs as Tensors (numbers and arrays wrapped; bool masks promoted to float);
2. record or not: grad mode is on and some input requires grad;
3. the forward rule on the arrays (`Op.forward` directly, a `Function` checked);
4. the outputs wrapped as Tensors of the class tensor.py bound (`tensor_base.bound`);
5. when recording: the node linked into the graph and its in-place guard set up.

`apply_binary` (the arithmetic operators) and `apply_unary` (the Tensor methods of one
input) are the same steps spelled out for one built-in op with one output.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from ..grad_mode import grad_off as _grad_off
from ..grad_mode import state as _grad_state
from ..grad_mode import watch as _watch
from . import anomaly, provenance
from .anomaly import open_blocks as _anomaly_blocks
from .anomaly import state as _anomaly_state
from .node import Node, NodeWithAttributes
from .tensor_base import TensorBase, bound, float_array
from .versions import fingerprints, mutations, nothing

# [fast path: bound ndarray] NumPy's module defines __getattr__, so Python cannot specialise
# an `np.ndarray` lookup in hot code (each is a dictionary search); a global is one load
_ndarray = np.ndarray
#: the version stamp of a node that watches nothing: no tensor's version is ever above it
_UNWATCHED = float("inf")
_BOOL, _F32, _F64 = np.dtype(np.bool_), np.dtype(np.float32), np.dtype(np.float64)
# Shared needs_input_grad tuples [fast path: shared tuples]: unrecorded ops with 0-3
# inputs, recorded binary ops (indexed by the inputs' requires_grad), recorded unary ops.
_NO_GRAD_NEEDED = [(False,) * n for n in range(4)]
_GRAD_NEEDED = [[(False, False), (False, True)], [(True, False), (True, True)]]
_ONE_GRAD_NEEDED = (True,)
_RESULT_DTYPES = frozenset([_F32, _F64, _BOOL])


def apply(fn: Any, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Apply ``fn`` (an `Op` or `Function` class) to ``inputs``; a Tensor or a tuple of them."""
    tensors = inputs
    for x in inputs:  # numbers, arrays and bool masks take the slow path, once
        if not isinstance(x, TensorBase) or x._data.dtype is _BOOL:
            tensors = _prepare_inputs(fn, inputs)
            break
    record = False
    # [fast path: grad-mode count] this thread's flag is read only while some thread has
    # grad mode off (grad_mode.is_grad_enabled, inlined)
    enabled = not _grad_off.count or _grad_state.enabled
    if enabled:
        for t in tensors:
            if t.requires_grad:
                record = True
                break
    n_inputs = len(tensors)
    # the op's context, linked into the graph below if recorded; made by a call of its
    # class, not object.__new__ [fast path: node by call]
    ctx = NodeWithAttributes()
    if record:
        if n_inputs == 2:
            ctx.needs_input_grad = _GRAD_NEEDED[tensors[0].requires_grad][tensors[1].requires_grad]
        elif n_inputs == 1:  # recorded, so its one input requires grad
            ctx.needs_input_grad = _ONE_GRAD_NEEDED
        else:
            ctx.needs_input_grad = tuple([t.requires_grad for t in tensors])
    else:
        ctx.needs_input_grad = _NO_GRAD_NEEDED[n_inputs] if n_inputs < 4 else (False,) * n_inputs
    builtin = fn.is_builtin
    if builtin:  # Op.forward on arrays; the inputs are kept only when recording
        saves_inputs = record and fn.saves_inputs
        ctx._saved = tensors if saves_inputs else ()
        # [fast path: spelled-out forward call] one and two inputs without an argument
        # list, and ``**kwargs`` only for ops with options
        if kwargs:
            outputs = fn.forward(ctx, *[t._data for t in tensors], **kwargs)
        elif n_inputs == 2:
            outputs = fn.forward(ctx, tensors[0]._data, tensors[1]._data)
        elif n_inputs == 1:
            outputs = fn.forward(ctx, tensors[0]._data)
        else:
            outputs = fn.forward(ctx, *[t._data for t in tensors])
    else:
        ctx._saved = ()
        outputs = fn.run_forward(ctx, tensors)
    wrap = bound.wrap
    single = type(outputs) is not tuple
    if single:
        dtype = outputs.dtype if type(outputs) is _ndarray else None
        if dtype is not _F64 and dtype is not _F32 and dtype is not _BOOL:
            outputs = _as_float_array(outputs)
        results: tuple[Any, ...] = (wrap(outputs, record),)
    else:
        results = tuple([wrap(_as_float_array(a), record) for a in outputs])
    if fn.returns_view:
        _link_views(tensors[0], results)
    # [fast path: anomaly count] the thread-local flag is read only while a block is open
    anomalous = _anomaly_blocks.count and _anomaly_state.enabled
    if anomalous:
        site = anomaly.user_call_site()
        if _anomaly_state.check_forward:
            anomaly.check_forward(fn, tensors, results, site)
    if record:
        ctx._link(fn, tensors, results, builtin)
        ctx._hooks = None
        if builtin:  # a built-in op watches its saved inputs and the outputs it reuses
            saves_output = fn.saves_output
            ctx._stamp = mutations.last if saves_inputs or saves_output else _UNWATCHED
            ctx._watched = tensors if saves_inputs else ()
            if not saves_output:
                ctx._outputs = ()
            elif saves_output is True:
                ctx._outputs = tuple([weakref.ref(r) for r in results])
            else:  # the outputs at these positions only (the others are copies never read)
                kept = saves_output
                ctx._outputs = tuple(
                    [weakref.ref(r) if i in kept else nothing for i, r in enumerate(results)]
                )
        else:
            ctx._stamp, ctx._watched, ctx._outputs = _UNWATCHED, (), ()
            fn.guard(ctx, tensors, results)
        if anomalous:
            ctx.created_at = site
            ctx._fingerprints = fingerprints(fn, ctx, results)
            if _anomaly_state.record_inputs:  # for gradcheck's search of the faulty op
                ctx.recorded = (tuple([t._data.copy() for t in tensors]), dict(kwargs))
        else:
            ctx.created_at = None
        for t in tensors:  # inputs cut from the graph (engine.provenance, for diagnose_grads)
            if t._origin is not None:
                provenance.note_recorded(ctx, tensors)
                break
    elif enabled or _watch.count:  # not in the backward pass: pass on where inputs came from
        origin = None
        for t in tensors:
            if t.requires_grad or origin is not None and t._origin is not None:
                provenance.note_unrecorded(tensors, results)  # no_grad, or several origins
                break
            origin = origin or t._origin
        else:
            if origin is not None:  # one input's origin, passed on as it is
                for result in results:
                    result._origin = origin
    return results[0] if single else results


def apply_binary(fn: Any, a: Any, b: Any) -> Any:
    """`apply` for a built-in op with one output (never a view) on two Tensors: the same
    steps spelled out for the operators (``a * b`` ...). [fast path: binary apply]

    The op keeps no attribute of its own on its context: its node is a plain, dict-less
    `Node`. [fast path: dict-less node]

    Anything unusual takes the general `apply`: a bool input, an input cut from the graph
    (provenance), an open `detect_anomaly` block. The result is the one `apply` gives.
    """
    data_a, data_b = a._data, b._data
    dtype_a, dtype_b = data_a.dtype, data_b.dtype
    if (
        dtype_a is _BOOL
        or dtype_b is _BOOL
        or a._origin is not None
        or b._origin is not None
        or _anomaly_blocks.count
    ):
        return apply(fn, (a, b), {})
    ctx = Node()
    grad_a, grad_b = a.requires_grad, b.requires_grad
    record = (grad_a or grad_b) and (not _grad_off.count or _grad_state.enabled)
    if not record:
        ctx.needs_input_grad = _NO_GRAD_NEEDED[2]
        ctx._saved = ()
        out = fn.forward(ctx, data_a, data_b)
        if type(out) is not _ndarray or out.dtype not in _RESULT_DTYPES:
            out = _as_float_array(out)
        result = bound.wrap(out, False)
        if (grad_a or grad_b) and _watch.count:  # used under no_grad: for diagnose_grads
            provenance.note_unrecorded((a, b), (result,))
        return result
    ctx.needs_input_grad = _GRAD_NEEDED[grad_a][grad_b]
    tensors = (a, b)
    saves_inputs = fn.saves_inputs
    ctx._saved = tensors if saves_inputs else ()
    out = fn.forward(ctx, data_a, data_b)
    dtype = out.dtype if type(out) is _ndarray else None
    if dtype is not _F64 and dtype is not _F32 and dtype is not _BOOL:
        out = _as_float_array(out)
        dtype = out.dtype
    result = bound.wrap(out, True)
    # Node._link's binary case, inlined
    ctx.fn = fn
    ctx._n_outputs = 1
    ctx._parents = (
        a._node or (a if grad_a else None),
        b._node or (b if grad_b else None),
    )
    ctx._parent_slots = (a._slot, b._slot) if a._slot or b._slot else None
    shape, shape_a, shape_b = out.shape, data_a.shape, data_b.shape
    if dtype_a is dtype and dtype_b is dtype and shape_a == shape == shape_b:
        ctx._meta = (shape, dtype)  # [fast path: compact meta]
    else:
        ctx._meta = (shape, dtype, shape_a, dtype_a, shape_b, dtype_b)
    result._node = ctx
    saves_output = fn.saves_output
    ctx._stamp = mutations.last if saves_inputs or saves_output else _UNWATCHED
    ctx._watched = tensors if saves_inputs else ()
    ctx._outputs = (weakref.ref(result),) if saves_output else ()
    ctx.created_at = None
    ctx._hooks = None
    return result


def apply_unary(fn: Any, a: Any, **kwargs: Any) -> Any:
    """`apply` for a built-in op with one output on one Tensor (``kwargs``: its options):
    the same steps spelled out for the Tensor methods (``x.tanh()``, ``x[i]``, ``-x`` ...).
    [fast path: unary apply]

    Anything unusual takes the general `apply`: a bool input, an input cut from the graph
    (provenance), an open `detect_anomaly` block. The result is the one `apply` gives.
    """
    data = a._data
    dtype_a = data.dtype
    if dtype_a is _BOOL or a._origin is not None or _anomaly_blocks.count:
        return apply(fn, (a,), kwargs)
    ctx = NodeWithAttributes()
    grad_a = a.requires_grad
    record = grad_a and (not _grad_off.count or _grad_state.enabled)
    if record:
        ctx.needs_input_grad = _ONE_GRAD_NEEDED
        tensors = (a,)
        saves_inputs = fn.saves_inputs
        ctx._saved = tensors if saves_inputs else ()
    else:
        ctx.needs_input_grad = _NO_GRAD_NEEDED[1]
        ctx._saved = ()
    out = fn.forward(ctx, data, **kwargs) if kwargs else fn.forward(ctx, data)
    dtype = out.dtype if type(out) is _ndarray else None
    if dtype is not _F64 and dtype is not _F32 and dtype is not _BOOL:
        out = _as_float_array(out)
        dtype = out.dtype
    result = bound.wrap(out, record)
    if fn.returns_view:
        _link_views(a, (result,))
    if not record:
        if grad_a and _watch.count:  # used under no_grad: for diagnose_grads
            provenance.note_unrecorded((a,), (result,))
        return result
    # Node._link's unary case, inlined
    ctx.fn = fn
    ctx._n_outputs = 1
    ctx._parents = (a._node or a,)  # (recorded: a requires grad)
    ctx._parent_slots = (a._slot,) if a._slot else None
    shape, shape_a = out.shape, data.shape
    if dtype_a is dtype and shape_a == shape:
        ctx._meta = (shape, dtype)  # [fast path: compact meta]
    else:
        ctx._meta = (shape, dtype, shape_a, dtype_a)
    result._node = ctx
    ctx._hooks = None
    saves_output = fn.saves_output
    ctx._stamp = mutations.last if saves_inputs or saves_output else _UNWATCHED
    ctx._watched = tensors if saves_inputs else ()
    ctx._outputs = (weakref.ref(result),) if saves_output else ()
    ctx.created_at = None
    return result


def _prepare_inputs(fn: Any, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
    """Inputs as Tensors (numbers and arrays wrapped), bool masks promoted to float."""
    wrap = bound.wrap
    tensors = tuple(
        [x if isinstance(x, TensorBase) else wrap(float_array(x, None), False) for x in inputs]
    )
    for t in tensors:  # a bool tensor (from a comparison) takes part as 0.0 / 1.0
        if t._data.dtype.kind == "b":
            return _promote_bools(fn, tensors)
    return tensors


def _promote_bools(fn: Any, tensors: tuple[Any, ...]) -> tuple[Any, ...]:
    """Bool inputs as float, as PyTorch promotes them: float64, or float32 when every float
    input is float32. Positions in ``fn.bool_inputs`` (``where``'s condition) stay bool."""
    keep = fn.bool_inputs
    floats = [t._data.dtype for t in tensors if t._data.dtype.kind == "f"]
    target = np.result_type(*floats) if floats else np.dtype(np.float64)
    promoted = []
    for i, t in enumerate(tensors):
        if t._data.dtype.kind == "b" and i not in keep:
            mask, t = t, bound.wrap(t._data.astype(target), False)
            t._origin = mask._origin  # a comparison's record goes on (engine.provenance)
        promoted.append(t)
    return tuple(promoted)


def _link_views(source: Any, results: tuple[Any, ...]) -> None:
    """Link outputs that view ``source``'s memory to it (``_base``, as `Tensor.detach` does).

    Then an assignment to the source's ``.data`` also counts as a change of the view, and an
    assignment through the view as a change of the source (conservatively).
    """
    base = source if source._base is None else source._base
    for result in results:
        if np.may_share_memory(result._data, source._data):
            result._base = base


def _as_float_array(array: Any) -> np.ndarray:
    """A forward result as float32/float64 (bool for comparisons); anything else -> float64."""
    if type(array) is not _ndarray:
        array = np.asarray(array)
    if array.dtype not in _RESULT_DTYPES:
        array = array.astype(np.float64)
    return array
