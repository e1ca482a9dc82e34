"""Operations on Tensors: the context they save, the graph node they record, and `Function`.

Two kinds of operation share one `apply`:

- built-in ops (`Op` subclasses in ``ops/``): ``forward`` on NumPy arrays, ``backward`` on
  Tensors, so the backward pass can itself be recorded (``create_graph=True``) and
  differentiated again;
- users' custom functions (`Function` subclasses): ``forward`` and ``backward`` both on
  NumPy arrays, as in the API contract; differentiable once.

Every application gets a `Node`, which is also the op's context (``ctx``); it is linked into
the graph when grad mode is on and some input requires grad. Without ``create_graph``,
gradients travel as NumPy arrays (see `Node._backward`). After the rule runs,
`Node._backward` sums each gradient down to its input's shape (broadcasting), casts it to
the input's dtype and checks it: this is the one place that happens. Version stamps and
fingerprints for the in-place check live in versions.py, the detect_anomaly checks of
forward outputs and backward gradients in anomaly.py.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import anomaly
from .anomaly import _open_blocks as _anomaly_blocks
from .anomaly import _state as _anomaly_state
from .broadcast import sum_to_array
from .errors import GraphFreedError, InplaceModificationError
from .grad_mode import _state
from .versions import (
    VERSION_STAMPS,
    _changed_since,
    _checksum,
    _fingerprints,
    _nothing,
    _raise_modified,
    mutations,
)

if TYPE_CHECKING:
    from .tensor import Tensor


class Context:
    """What a forward pass leaves for its backward pass.

    ``save_for_backward(*values)`` keeps arrays (custom Functions) or Tensors (built-in ops);
    ``saved_tensors`` gives them back. ``needs_input_grad`` has one bool per input. Ops may
    also set plain attributes (an axis, a shape). Everything is dropped by `release`.

    In-place safety: when the op is recorded it takes a version stamp (``_stamp``) and keeps
    the saved Tensors (``_watched``) and weak references to outputs the backward reuses
    (``_outputs``); under `detect_anomaly` a CRC-32 of every saved array is noted too
    (``_fingerprints``). `check_unchanged` compares them before the backward rule runs.
    """

    _stamp: float = float("inf")  # nothing watched: no version is ever above it
    _watched: tuple[Tensor, ...] = ()
    _watched_index: tuple[int, ...] | None = None  # input positions; None: 0, 1, 2, ...
    _outputs: tuple[Any, ...] = ()  # weak references to outputs, all at version 0
    _fingerprints: tuple[tuple[str, np.ndarray, int], ...] = ()

    # Attributes the built-in ops (ops/*.py) set in forward for their backward rule, declared
    # (not assigned: a fresh Context has none of them) so a type checker knows their types.
    input_shape: tuple[int, ...]  # Sum, SumTo, Reshape, GetItem, BroadcastTo
    kept_shape: tuple[int, ...]  # Sum: the input shape with the summed axes set to 1
    kept: np.ndarray  # Max: the maxima with keepdims
    axes: tuple[int, ...]  # Max, LogSumExp: the reduced axes
    axis: int  # Softmax, LogSoftmax, Concatenate, Stack: a non-negative axis
    bounds: list[int]  # Concatenate: where each input starts and ends along the axis
    inverse: tuple[int, ...]  # Transpose: the inverse permutation
    index: Any  # GetItem, IndexAdd: a NumPy index
    exponent: float  # PowConst
    dtype: np.dtype  # Cast: the input's dtype
    out: np.ndarray  # Exp, Sqrt, Tanh, Sigmoid, Softmax, LogSoftmax: the forward output
    softmax: np.ndarray  # SoftmaxCrossEntropy
    target: np.ndarray  # SoftmaxCrossEntropy: class indices
    reduction: str  # SoftmaxCrossEntropy: "mean", "sum" or "none"

    created_at: str | None = None  # "file:line in function: source", under detect_anomaly
    _saved: tuple[Any, ...] | None = ()  # what save_for_backward kept; None once released

    def __init__(self, needs_input_grad: tuple[bool, ...] = ()) -> None:
        self.needs_input_grad = needs_input_grad

    def save_for_backward(self, *values: Any) -> None:
        """Keep ``values`` for the backward pass."""
        self._saved = values

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """What `save_for_backward` kept; raises once the graph's buffers were freed.

        While an `Op.array_backward` rule runs on arrays, the saved Tensors' arrays (see
        `Node._backward`).
        """
        saved = self._saved
        if saved is None:
            raise GraphFreedError(_FREED_MESSAGE)
        return saved

    def release(self) -> None:
        """Drop saved values and attributes so their memory can be reused."""
        attributes = self.__dict__  # the op's own attributes (ctx.out, ...), if any
        if attributes:
            attributes.clear()
        self._saved = None
        self._watched = ()

    def check_unchanged(self, name: str) -> None:
        """Raise `InplaceModificationError` if a value saved for backward was modified.

        Always checked (O(1) per value): the version counter of each saved Tensor, bumped by
        every assignment to ``.data`` (``t.data = ...``, ``t.data += ...``), and of each
        output the rule reuses. Under `detect_anomaly` also (O(size)): the CRC-32 of each
        saved array, which catches writes like ``t.data[0] = 5`` that no counter sees.
        """
        stamp = self._stamp
        positions = self._watched_index or range(len(self._watched))
        for position, tensor in zip(positions, self._watched):
            if _changed_since(tensor, stamp):
                _raise_modified(name, f"input {position}", tensor)
        for position, ref in enumerate(self._outputs):
            tensor = ref()
            if tensor is not None and _changed_since(tensor, stamp):
                _raise_modified(name, f"output {position}", tensor)
        for what, array, checksum in self._fingerprints:
            if _checksum(array) != checksum:
                raise InplaceModificationError(
                    f"{name}: {what} (shape {array.shape}), saved for backward, was modified "
                    "in place after the forward pass (its contents changed, e.g. by "
                    "t.data[...] = ...), so the gradient would be wrong. Write the new values "
                    "into a new array (t.data = t.data.copy(); ...) or run the backward first."
                )


_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or to use values saved for "
    "backward after they were freed). The first backward() freed the graph's saved "
    "buffers; pass retain_graph=True to the first backward() or grad() call if you need "
    "to go through the graph again."
)


class Node(Context):
    """The graph vertex recorded for one application of an op or custom Function.

    It is also the op's `Context` (as in PyTorch, the context *is* the node): one object per
    op instead of two, which halves the objects the cyclic garbage collector has to scan
    while a graph is being built. Every op gets one; only recorded ones are linked
    (`_link`) into the graph.
    """

    # Every node gets needs_input_grad and _saved in `_apply`, a recorded one all of these
    # (`_apply`, `_link`), so a Node never reads Context's class defaults of the last four.
    # The op's own attributes (ctx.out, ...) and rare bookkeeping live in the instance dict;
    # with the per-op bookkeeping in slots, `release` of an op without attributes clears an
    # empty dict instead of making and clearing one of three entries (~1 K instructions).
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
    )

    fn: type[Op | Function]
    _parents: tuple[Any, ...]
    #: which output of each parent an edge comes from; None when all are output 0 (saves a
    #: tuple per op in the common case)
    _parent_slots: tuple[int, ...] | None
    _n_outputs: int
    #: shape and dtype of every output, then of every input, flat: (shape, dtype, shape, ...)
    #: (one tuple instead of four per op: fewer objects for the garbage collector). A
    #: built-in op with one output whose inputs all have its shape and dtype keeps only the
    #: output's pair: its gradients need no fitting (see `_link` and `_backward`).
    _meta: tuple[Any, ...]

    def _link(
        self, fn: type[Op | Function], tensors: tuple[Tensor, ...], results: tuple, builtin: bool
    ) -> None:
        """Record this node as the producer of ``results`` from ``tensors`` (``builtin``: an
        `Op`, whose rules give each input a gradient of its own shape and dtype when all
        inputs have the output's)."""
        self.fn = fn
        self._n_outputs = n_outputs = len(results)
        if n_outputs == 1 and len(tensors) == 2:  # the common binary op, spelled out
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
                self._meta = (shape, dtype)  # (saves fitting checks per gradient in backward)
            else:
                self._meta = (shape, dtype, shape_a, dtype_a, shape_b, dtype_b)
            results[0]._node = self
        elif n_outputs == 1 and len(tensors) == 1:  # unary (relu, exp, the loss), likewise
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
        else:  # one pass over outputs and inputs
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

        With ``create_graph`` the gradients are Tensors and the rule is recorded; without,
        they are NumPy arrays from end to end (no Tensor per edge: saves a wrapper object
        and an unwrap per gradient).
        """
        saved = self._saved
        if saved is None:
            raise GraphFreedError(f"{self.name}: {_FREED_MESSAGE}")
        created_at = self.created_at  # set (with the fingerprints) only under detect_anomaly
        if mutations.last > self._stamp or created_at is not None and self._fingerprints:
            self.check_unchanged(self.name)
        if created_at is not None:
            anomaly.check_incoming(self, grads)
        fn = self.fn
        single = len(grads) == 1 and grads[0] is not None
        raw: Any
        if create_graph:
            if fn.is_builtin and single:
                raw = fn.backward(self, grads[0])  # an Op, called directly: saves a call
            else:
                raw = fn._run_backward(self, grads)
        elif fn.array_backward and single:
            if saved:  # the rule's saved_tensors are the arrays while it runs
                self._saved = _arrays_of(saved)
            try:
                raw = fn.backward(self, grads[0])
            finally:
                self._saved = saved
        else:
            raw = fn._run_backward_on_arrays(self, grads)
        if type(raw) is not tuple:
            raw = (raw,)
        parents = self._parents
        if len(raw) != len(parents):
            raise RuntimeError(
                f"{self.name}.backward returned {len(raw)} gradient(s), expected "
                f"{len(parents)} (one per input, None where there is none)"
            )
        meta = self._meta
        position = 2 * self._n_outputs  # where input 0's shape is in _meta
        # only the output's shape and dtype: a built-in op whose inputs all have them, so its
        # gradients fit already (see _link; saves reading two attributes per gradient)
        fits = len(meta) == position
        # the rule's tuple itself unless a gradient is dropped or changed (then a list):
        # saves a list per node in the common case
        fitted: Any = raw
        index = -1
        for grad in raw:  # (an index by hand: enumerate cost ~750 instructions per node)
            index += 1
            if grad is None:
                continue
            if parents[index] is None:  # an input that needs no gradient
                if fitted is raw:
                    fitted = list(raw)
                fitted[index] = None
                continue
            if not create_graph and type(grad) is not np.ndarray:
                grad = _as_array(grad)  # a NumPy scalar (0-d arithmetic) or a Tensor
            if not fits:
                shape, dtype = meta[position + 2 * index], meta[position + 2 * index + 1]
                if grad.shape != shape or grad.dtype != dtype:  # a call only when fitting
                    grad = self._fit(index, grad, shape, dtype)
            if grad is not raw[index]:
                if fitted is raw:
                    fitted = list(raw)
                fitted[index] = grad
        if created_at is not None:
            anomaly.check_produced(self, fitted)
        return fitted

    def _fit(self, index: int, grad: Any, shape: tuple[int, ...], dtype: np.dtype) -> Any:
        """Sum a gradient (array or Tensor) down to input ``index``'s shape, in its dtype."""
        if grad.shape != shape:
            if not _broadcasts_to(shape, grad.shape):
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

    # graph-vertex interface: the walk calls release directly (saves a call per node)
    _release = Context.release


def _arrays_of(saved: tuple[Tensor, ...]) -> tuple[np.ndarray, ...]:
    """The arrays of saved Tensors, for a rule run on arrays (see `Op.array_backward`)."""
    count = len(saved)
    # spelled out for unary, binary and ternary (linear) ops: saves a list and a
    # comprehension call per backward
    if count == 2:
        return (saved[0]._data, saved[1]._data)
    if count == 1:
        return (saved[0]._data,)
    if count == 3:
        return (saved[0]._data, saved[1]._data, saved[2]._data)
    return tuple([t._data for t in saved])


def _as_array(grad: Any) -> np.ndarray:
    """A gradient from a rule run on arrays, as an ndarray (from a NumPy scalar or a Tensor)."""
    if isinstance(grad, _tensor_type()):
        return grad._data
    return np.asarray(grad)


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """True when an array of ``shape`` broadcasts to ``target`` (so a gradient sums back)."""
    if len(shape) > len(target):
        return False
    lead = len(target) - len(shape)
    return all(s == 1 or s == t for s, t in zip(shape, target[lead:]))


def _apply(fn: type[Op | Function], inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run ``fn.forward`` on the inputs' arrays and record a Node when a gradient is needed.

    This runs once per operation (and once per op of every backward rule), so it is kept
    lean: no per-call imports, no generators, no comprehensions on the common path, and
    nothing saved when nothing is recorded.
    """
    tensor_type: type[Tensor] = _TENSOR if _TENSOR is not None else _tensor_type()
    tensors = inputs
    for x in inputs:  # numbers, arrays and bool masks take the slow path, once
        if not isinstance(x, tensor_type) or x._data.dtype is _BOOL:
            tensors = _prepare_inputs(fn, inputs, tensor_type)
            break
    record = False
    if _state.enabled:
        for t in tensors:
            if t.requires_grad:
                record = True
                break
    n_inputs = len(tensors)
    ctx = _new_object(Node)  # the op's context, linked into the graph below if recorded
    if record:
        if n_inputs == 2:  # shared tuples: saves building one per recorded op
            ctx.needs_input_grad = _GRAD_NEEDED[tensors[0].requires_grad][tensors[1].requires_grad]
        elif n_inputs == 1:  # recorded, so its one input requires grad (a shared tuple)
            ctx.needs_input_grad = _ONE_GRAD_NEEDED
        else:
            ctx.needs_input_grad = tuple([t.requires_grad for t in tensors])
    else:  # a shared all-False tuple: saves building one per unrecorded op
        ctx.needs_input_grad = _NO_GRAD_NEEDED[n_inputs] if n_inputs < 4 else (False,) * n_inputs
    builtin = fn.is_builtin
    if builtin:  # Op.forward on arrays; the inputs are kept only when recording
        saves_inputs = record and fn.saves_inputs
        ctx._saved = tensors if saves_inputs else ()
        # one, two or three inputs spelled out, and ``**kwargs`` only for an op with options
        # (sum, reshape, the loss, ...): saves building argument lists and a dict per op
        if kwargs:
            if n_inputs == 1:
                outputs = fn.forward(ctx, tensors[0]._data, **kwargs)
            else:
                outputs = fn.forward(ctx, *[t._data for t in tensors], **kwargs)
        elif n_inputs == 2:
            outputs = fn.forward(ctx, tensors[0]._data, tensors[1]._data)
        elif n_inputs == 1:
            outputs = fn.forward(ctx, tensors[0]._data)
        elif n_inputs == 3:  # (linear with a bias)
            a, b, c = tensors
            outputs = fn.forward(ctx, a._data, b._data, c._data)
        else:
            outputs = fn.forward(ctx, *[t._data for t in tensors])
    else:
        ctx._saved = ()
        outputs = fn._run_forward(ctx, tensors, kwargs, record)
    wrap = _WRAP  # Tensor._wrap, bound once: saves making a bound method per op
    single = type(outputs) is not tuple
    if single:  # the common case, without building a list
        dtype = outputs.dtype if type(outputs) is np.ndarray else None
        if dtype is not _F64 and dtype is not _F32 and dtype is not _BOOL:
            outputs = _as_float_array(outputs)
        results: tuple[Tensor, ...] = (wrap(outputs, record),)
    else:
        results = tuple([wrap(_as_float_array(a), record) for a in outputs])
    if fn.returns_view:
        _link_views(tensors[0], results)
    # the thread-local flag (a lookup of ~0.1 us) is read only while some thread has a
    # detect_anomaly block open
    anomalous = _anomaly_blocks.count and _anomaly_state.enabled
    if anomalous:
        site = anomaly.user_call_site()
        if _anomaly_state.check_forward:
            anomaly.check_forward(fn, tensors, results, site)
    if record:
        ctx._link(fn, tensors, results, builtin)
        if builtin:  # a built-in op's in-place guard, inline: saves a call per op
            saves_output = fn.saves_output
            ctx._stamp = next(VERSION_STAMPS) if saves_inputs or saves_output else _UNWATCHED
            ctx._watched = tensors if saves_inputs else ()
            if saves_output:
                ctx._outputs = tuple([weakref.ref(r) for r in results])
        else:
            ctx._stamp, ctx._watched = _UNWATCHED, ()
            fn._guard(ctx, tensors, results)  # type: ignore[union-attr]  # a Function
        if anomalous:
            ctx.created_at = site
            ctx._fingerprints = _fingerprints(fn, ctx, results)
        else:
            ctx.created_at = None
    return results[0] if single else results


def _prepare_inputs(
    fn: type[Op | Function], inputs: tuple[Any, ...], tensor_type: type[Tensor]
) -> tuple[Tensor, ...]:
    """Inputs as Tensors (numbers and arrays wrapped), bool masks promoted to float."""
    tensors = tuple([x if isinstance(x, tensor_type) else _as_tensor(x) for x in inputs])
    for t in tensors:  # a bool tensor (from a comparison) takes part as 0.0 / 1.0
        if t._data.dtype.kind == "b":
            return _promote_bools(fn, tensors)
    return tensors


_new_object = object.__new__
#: the version stamp of a node that watches nothing: no tensor's version is ever above it
_UNWATCHED = float("inf")
_BOOL, _F32, _F64 = np.dtype(np.bool_), np.dtype(np.float32), np.dtype(np.float64)
#: needs_input_grad of an unrecorded op with 0, 1, 2 or 3 inputs
_NO_GRAD_NEEDED = [(False,) * n for n in range(4)]
#: needs_input_grad of a recorded binary op, by the inputs' requires_grad (bools index it)
_GRAD_NEEDED = [[(False, False), (False, True)], [(True, False), (True, True)]]
#: needs_input_grad of a recorded unary op
_ONE_GRAD_NEEDED = (True,)


def _promote_bools(fn: type[Op | Function], tensors: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    """Bool inputs as float, as PyTorch promotes them: float64, or float32 when every float
    input is float32. Positions in ``fn.bool_inputs`` (``where``'s condition) stay bool."""
    keep = fn.bool_inputs
    floats = [t._data.dtype for t in tensors if t._data.dtype.kind == "f"]
    target = np.result_type(*floats) if floats else np.dtype(np.float64)
    wrap = _tensor_type()._wrap
    return tuple(
        [
            wrap(t._data.astype(target), False)
            if t._data.dtype.kind == "b" and i not in keep
            else t
            for i, t in enumerate(tensors)
        ]
    )


def _link_views(source: Tensor, results: tuple) -> None:
    """Link outputs that view ``source``'s memory to it (``_base``, as `Tensor.detach` does).

    Then an assignment to the source's ``.data`` also counts as a change of the view, and an
    assignment through the view as a change of the source (conservatively).
    """
    base = source if source._base is None else source._base
    for result in results:
        if np.may_share_memory(result._data, source._data):
            result._base = base


def _tensor_type() -> type[Tensor]:
    """The Tensor class (imported late: tensor.py imports this module)."""
    global _TENSOR, _WRAP
    if _TENSOR is None:
        from .tensor import Tensor

        _TENSOR, _WRAP = Tensor, Tensor._wrap
    return _TENSOR


def _as_tensor(x: Any) -> Tensor:
    from .tensor import as_tensor

    return as_tensor(x)


_TENSOR: type[Tensor] | None = None
_WRAP: Callable[[np.ndarray, bool], Tensor]  # Tensor._wrap, set with _TENSOR
_RESULT_DTYPES = frozenset([np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.bool_)])


def _as_float_array(array: Any) -> np.ndarray:
    """A forward result as float32/float64 (bool for comparisons); anything else -> float64."""
    if type(array) is not np.ndarray:
        array = np.asarray(array)
    if array.dtype not in _RESULT_DTYPES:
        array = array.astype(np.float64)
    return array


class Op:
    """Base of the built-in ops: forward on arrays, backward on Tensors (differentiable)."""

    #: False for ops whose backward never looks at the inputs (add, reshape, ...), so the
    #: inputs are not kept alive by the graph.
    saves_inputs: bool = True
    #: True for ops whose backward reuses the forward output (exp, tanh, softmax, ...), so
    #: writes into the output's ``.data`` are checked too.
    saves_output: bool = False
    #: True for ops whose output may be a view of input 0's array (reshape, transpose, ...).
    returns_view: bool = False
    #: Input positions that take a boolean array as it is (``where``'s condition); every
    #: other bool input is promoted to float before forward (see `_promote_bools`).
    bool_inputs: tuple[int, ...] = ()
    #: True for the built-in ops: `_apply` calls their forward directly (a Function's is checked)
    is_builtin = True
    #: True for ops whose backward uses only what NumPy arrays and Tensors share (operators,
    #: reshape, transpose, sum): without create_graph it then runs on the arrays directly.
    array_backward = False

    @classmethod
    def apply(cls, *inputs: Any, **kwargs: Any) -> Any:
        """Apply the op to Tensors (or arrays / numbers) and return Tensor output(s)."""
        return _apply(cls, inputs, kwargs)

    @classmethod
    def _run_forward(
        cls, ctx: Context, tensors: tuple[Tensor, ...], kwargs: dict, record: bool
    ) -> Any:
        if record and cls.saves_inputs:  # nothing is kept when no graph is recorded
            ctx._saved = tensors
        return cls.forward(ctx, *[t._data for t in tensors], **kwargs)

    @classmethod
    def _run_backward(cls, node: Node, grads: list[Tensor | None]) -> Any:
        """The rule on Tensors (recorded under create_graph); missing gradients as zeros."""
        return cls.backward(node, *_fill_missing(grads, node, as_tensors=True))

    @classmethod
    def _run_backward_on_arrays(cls, node: Node, grads: list[np.ndarray | None]) -> Any:
        """The rule of an op that is not `array_backward`, with gradients given as arrays.

        It runs on Tensors, unrecorded; `Node._backward` takes the arrays out of its results.
        """
        wrap = _tensor_type()._wrap
        tensors = [wrap(g, False) for g in _fill_missing(grads, node)]
        return cls.backward(node, *tensors)

    # The base signatures take (*Any, **Any): mypy then accepts each op's own parameters
    # (forward(ctx, a, b), backward(ctx, grad_output)) as a valid override.
    @staticmethod
    def forward(ctx: Context, *arrays: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, *grad_outputs: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


def _fill_missing(grads: list[Any], node: Node, as_tensors: bool = False) -> list[Any]:
    """The gradients of a node's outputs, zeros for outputs that received none (arrays, or
    Tensors when ``as_tensors``)."""
    for g in grads:  # not `None in grads`: that would call Tensor.__eq__
        if g is None:
            break
    else:
        return grads  # the loop found no None
    zeros = [np.zeros(shape, dtype=dtype) for shape, dtype in node.output_meta]
    if as_tensors:
        wrap = _tensor_type()._wrap
        return [wrap(z, False) if g is None else g for g, z in zip(grads, zeros)]
    return [z if g is None else g for g, z in zip(grads, zeros)]


class Function:
    """Base class for custom differentiable functions written with NumPy.

    Subclass it with two static methods, both on NumPy arrays:

    - ``forward(ctx, *inputs)`` returns an array (or a tuple of arrays for several outputs);
      call ``ctx.save_for_backward(...)`` to keep what backward needs.
    - ``backward(ctx, *grad_outputs)`` gets one gradient array per output and returns one
      gradient array (or None) per input.

    Use it as ``Square.apply(x)``. Inputs may be Tensors, arrays or numbers; outputs are
    Tensors. A custom Function is differentiable once: its backward is not recorded.

    Example:
        >>> class Square(Function):
        ...     @staticmethod
        ...     def forward(ctx, x): ctx.save_for_backward(x); return x * x
        ...     @staticmethod
        ...     def backward(ctx, grad): (x,) = ctx.saved_tensors; return 2 * x * grad
        >>> y = Square.apply(Tensor([3.0], requires_grad=True))
    """

    returns_view = False  # see Op.returns_view
    bool_inputs: tuple[int, ...] = ()  # see Op.bool_inputs
    is_builtin = False  # see Op.is_builtin
    saves_inputs = False  # a Function saves what its forward passes to save_for_backward
    saves_output = False  # its outputs are watched by _guard when forward saved them
    array_backward = False  # see Op.array_backward: a Function's backward is on arrays anyway

    @classmethod
    def apply(cls, *inputs: Any) -> Any:
        """Run the function on Tensors (or arrays / numbers), recording it in the graph."""
        return _apply(cls, inputs, {})

    @classmethod
    def _guard(cls, ctx: Context, tensors: tuple[Tensor, ...], results: tuple) -> None:
        """Watch the inputs and outputs whose arrays forward saved (compared by identity)."""
        saved = [value for value in (ctx._saved or ()) if isinstance(value, np.ndarray)]
        if not saved:
            return

        def is_saved(tensor: Tensor) -> bool:
            return any(value is tensor._data for value in saved)

        positions = tuple([i for i, t in enumerate(tensors) if is_saved(t)])
        ctx._watched = tuple([tensors[i] for i in positions])
        ctx._watched_index = positions
        ctx._stamp = next(VERSION_STAMPS)
        # an output that was not saved gets a reference to nothing, so positions stay right
        ctx._outputs = tuple([weakref.ref(r) if is_saved(r) else _nothing for r in results])

    @classmethod
    def _run_forward(
        cls, ctx: Context, tensors: tuple[Tensor, ...], kwargs: dict, record: bool
    ) -> Any:
        outputs = cls.forward(ctx, *[t._data for t in tensors])
        for index, output in enumerate(outputs if isinstance(outputs, tuple) else (outputs,)):
            kind = getattr(output, "dtype", np.asarray(output).dtype).kind
            if kind not in "biuf" or isinstance(output, _tensor_type()):
                raise TypeError(
                    f"{cls.__name__}.forward returned {type(output).__name__} "
                    f"(dtype kind {kind!r}) as output {index}; expected a numeric NumPy array "
                    "(forward works on arrays: return an ndarray, not a Tensor)"
                )
            if kind == "b":  # a Tensor with grad_fn must hold floats; masks come from < > ==
                raise TypeError(
                    f"{cls.__name__}.forward returned a bool array as output {index}; a "
                    "Function's outputs are float (integers become float64): return "
                    "mask.astype(float), or compute the mask outside the Function"
                )
        return outputs

    @classmethod
    def _run_backward(cls, node: Node, grads: list[Tensor | None]) -> Any:
        """Under create_graph: the same arrays as `_run_backward_on_arrays`, as Tensors (a
        Function is differentiable once: its backward is not recorded)."""
        arrays = [None if g is None else g._data for g in grads]
        wrap = _tensor_type()._wrap
        raw = cls._run_backward_on_arrays(node, arrays)
        return tuple([None if g is None else wrap(g, False) for g in raw])

    @classmethod
    def _run_backward_on_arrays(cls, node: Node, grads: list[np.ndarray | None]) -> Any:
        """Call the user's backward on arrays and check what it returns (one float array or
        None per input); `Node._backward` then fits each to its input's shape and dtype."""
        raw = cls.backward(node, *_fill_missing(grads, node))
        if not isinstance(raw, tuple):
            raw = (raw,)
        n_inputs = len(node._parents)
        if len(raw) != n_inputs:
            raise RuntimeError(
                f"{cls.__name__}.backward returned {len(raw)} gradient(s), expected "
                f"{n_inputs} (one per input of forward, None where there is none)"
            )
        arrays: list[np.ndarray | None] = []
        index = -1
        for grad in raw:  # (an index by hand: enumerate cost ~750 instructions per node)
            index += 1
            if grad is None:
                arrays.append(None)
                continue
            if isinstance(grad, _tensor_type()):
                raise TypeError(
                    f"{cls.__name__}.backward returned a Tensor for input {index}; a custom "
                    "Function's backward works on NumPy arrays (return grad.data)"
                )
            array = np.asarray(grad)
            if array.dtype.kind != "f":
                raise TypeError(
                    f"{cls.__name__}.backward returned a {array.dtype} gradient for input "
                    f"{index}; expected a floating-point array (e.g. grad.astype(float))"
                )
            arrays.append(array)
        return tuple(arrays)

    @staticmethod
    def forward(ctx: Context, *inputs: np.ndarray) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, *grad_outputs: np.ndarray) -> Any:
        raise NotImplementedError
