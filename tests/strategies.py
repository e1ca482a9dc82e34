"""Hypothesis strategies for the property suite: shapes, values inside an op's domain, dtypes.

`op_case(entry)` draws everything one registry entry needs: input arrays whose shapes fit
the entry's shape kind (broadcasting pairs, matmul operands, concatenation pieces) and
whose values lie in each input's declared domain, plus the keyword arguments (axes,
indices, exponents). Shapes include 0-d arrays and size-1 dimensions; sides stay small so
that full Jacobians stay cheap.
"""

from __future__ import annotations

from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import strategies as st

from autograd_lite.checking.registry import OpEntry
from autograd_lite.checking.registry_recurrent import RECURRENT_GATES

MAX_DIMS = 3
MAX_SIDE = 3
#: Spacing of the grid "distinct" values are drawn from: far above any finite-difference step.
DISTINCT_SPACING = 0.05
_DISTINCT_GRID = [k * DISTINCT_SPACING for k in range(-40, 41) if k != 0]

float_dtypes = st.sampled_from([np.float32, np.float64])


def shapes(min_dims: int = 0, max_dims: int = MAX_DIMS) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes with 0..3 dims of size 1..3 (0-d and size-1 dims included)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=MAX_SIDE)


def broadcastable_shapes(count: int) -> st.SearchStrategy[tuple[tuple[int, ...], ...]]:
    """``count`` shapes that broadcast together (NumPy rules), some 0-d, some with size-1 dims."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=count, min_dims=0, max_dims=MAX_DIMS, max_side=MAX_SIDE
    ).map(lambda result: result.input_shapes)


def _elements(domain: str, dtype: Any) -> st.SearchStrategy[float]:
    width = 32 if np.dtype(dtype) == np.float32 else 64
    if domain == "real":
        return st.floats(-2.0, 2.0, width=width)
    if domain == "positive":
        return st.floats(0.25, 2.0, width=width)
    if domain == "nonzero":
        return st.floats(0.25, 2.0, width=width) | st.floats(-2.0, -0.25, width=width)
    if domain == "small":
        return st.floats(-1.0, 1.0, width=width)
    if domain == "off_steps":  # k/2 + [1/16, 7/16]: at least 1/16 from every multiple of 0.5
        offsets = st.floats(0.0625, 0.4375, width=width)  # exact in float32 too
        return st.tuples(st.integers(-4, 3), offsets).map(lambda pair: pair[0] * 0.5 + pair[1])
    raise ValueError(f"no element strategy for domain {domain!r}")


@st.composite
def arrays_in_domains(
    draw: st.DrawFn, shapes_: tuple[tuple[int, ...], ...], domains: tuple[str, ...], dtype: Any
) -> list[np.ndarray]:
    """One array per shape, each inside its domain; all "distinct" inputs share one grid.

    Values of "distinct" inputs are different grid points (never 0, at least
    `DISTINCT_SPACING` apart), so no kink or tie is within reach of a finite difference.
    """
    distinct_total = sum(
        int(np.prod(shape)) for shape, domain in zip(shapes_, domains) if domain == "distinct"
    )
    pool = iter(draw(st.permutations(_DISTINCT_GRID))[:distinct_total])
    arrays = []
    for shape, domain in zip(shapes_, domains):
        if domain == "distinct":
            values = [next(pool) for _ in range(int(np.prod(shape)))]
            arrays.append(np.array(values, dtype=dtype).reshape(shape))
        else:
            arrays.append(draw(hnp.arrays(dtype, shape, elements=_elements(domain, dtype))))
    return arrays


@st.composite
def matmul_shapes(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Operands for ``a @ b``: 1-D or 2-D or batched on either side, batch dims broadcasting."""
    rows, inner, cols = (draw(st.integers(1, MAX_SIDE)) for _ in range(3))
    batch_a, batch_b = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=2)
    ).input_shapes
    a = (inner,) if draw(st.booleans()) else batch_a + (rows, inner)
    b = (inner,) if draw(st.booleans()) else batch_b + (inner, cols)
    return a, b


@st.composite
def reduce_kwargs(draw: st.DrawFn, ndim: int) -> dict[str, Any]:
    """``axis`` (None, an int, or a tuple of distinct axes, possibly empty) and ``keepdims``."""
    choices = [st.none(), hnp.valid_tuple_axes(ndim)]
    if ndim:
        choices.append(st.integers(-ndim, ndim - 1))
    return {"axis": draw(st.one_of(choices)), "keepdims": draw(st.booleans())}


@st.composite
def reshape_targets(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape with the same number of elements: the prime factors regrouped, maybe a -1."""
    size = int(np.prod(shape))
    factors = [p for p in (2, 3, 5, 7) for _ in range(_multiplicity(size, p))]
    n_dims = draw(st.integers(0 if size == 1 else 1, MAX_DIMS))
    target = [1] * n_dims
    for factor in draw(st.permutations(factors)):
        target[draw(st.integers(0, n_dims - 1))] *= factor
    if target and draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    return tuple(target)


def _multiplicity(number: int, prime: int) -> int:
    count = 0
    while number % prime == 0 and number > 1:
        number //= prime
        count += 1
    return count


@st.composite
def array_indices(draw: st.DrawFn, shape: tuple[int, ...]) -> Any:
    """Integer-array indices (with repeats, negative entries): x[i], x[:, i] or x[i, j]."""

    def index_array(size: int, index_shape: tuple[int, ...]) -> np.ndarray:
        return draw(hnp.arrays(np.intp, index_shape, elements=st.integers(-size, size - 1)))

    index_shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4))
    kinds = ["first"] + (["second", "pair"] if len(shape) >= 2 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "first":
        return index_array(shape[0], index_shape)
    if kind == "second":
        return (slice(None), index_array(shape[1], index_shape))
    return (index_array(shape[0], index_shape), index_array(shape[1], index_shape))


EXPONENTS = (-2.0, -0.5, 0.0, 0.5, 1.0, 2, 3, 2.5)
#: keyword-argument kinds that need an axis to work on (their inputs have >= 1 dimension)
NEEDS_AN_AXIS = ("axis", "array_index", "swapaxes", "split", "chunk", "take_along_axis")

#: clip bounds: odd multiples of DISTINCT_SPACING / 2, so no "distinct" value sits on one
_BOUNDS = [(k + 0.5) * DISTINCT_SPACING for k in range(-42, 42)]


def _reduced_count(shape: tuple[int, ...], axis: Any) -> int:
    """How many elements one output of a reduction over ``axis`` gathers."""
    if axis is None:
        axes: tuple[int, ...] = tuple(range(len(shape)))
    elif isinstance(axis, int):
        axes = (axis,)
    else:
        axes = tuple(axis)
    return int(np.prod([shape[a] for a in axes])) if shape else 1


@st.composite
def variance_kwargs(draw: st.DrawFn, shape: tuple[int, ...]) -> dict[str, Any]:
    """Reduction arguments and a ddof (0, 0.5 or 1) that leaves degrees of freedom."""
    kwargs = draw(reduce_kwargs(len(shape)))
    count = _reduced_count(shape, kwargs["axis"])
    kwargs["ddof"] = draw(st.sampled_from([0, 0.5, 1] if count > 1 else [0]))
    return kwargs


@st.composite
def norm_kwargs(draw: st.DrawFn, shape: tuple[int, ...]) -> dict[str, Any]:
    """Reduction arguments and an ord: None or 'fro' over any axes, 2 over at most one."""
    kwargs = draw(reduce_kwargs(len(shape)))
    axis = kwargs["axis"]
    axes_count = len(shape) if axis is None else 1 if isinstance(axis, int) else len(axis)
    kwargs["ord"] = draw(st.sampled_from([None, "fro", 2] if axes_count <= 1 else [None, "fro"]))
    return kwargs


@st.composite
def clip_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    """Bounds ``low`` and ``high``, each None or between grid points (low may exceed high)."""
    bound = st.none() | st.sampled_from(_BOUNDS)
    return {"low": draw(bound), "high": draw(bound)}


#: the index letters einsum cases draw from (an upper-case one tests the implicit order)
_EINSUM_LETTERS = "ijkB"


@st.composite
def einsum_case(draw: st.DrawFn, n_operands: int) -> tuple[str, list[tuple[int, ...]]]:
    """Subscripts for ``n_operands`` operands and shapes that fit them.

    Terms of 0-3 letters with repeats (diagonals, traces), sometimes a '...' whose
    dimensions broadcast across operands, sometimes a size-1 dimension where another
    operand has the full size; the output implicit or an explicit choice of letters.
    """
    sizes = {letter: draw(st.integers(1, MAX_SIDE)) for letter in _EINSUM_LETTERS}
    letters = st.sampled_from(_EINSUM_LETTERS)
    terms = [draw(st.lists(letters, max_size=3)) for _ in range(n_operands)]
    with_ellipsis = [draw(st.booleans()) for _ in range(n_operands)]
    broadcast = draw(
        hnp.mutually_broadcastable_shapes(
            num_shapes=n_operands, min_dims=0, max_dims=2, max_side=MAX_SIDE
        )
    ).input_shapes
    subscripts, shapes = [], []
    for term, dotted, extra in zip(terms, with_ellipsis, broadcast):
        shape = []
        for letter in term:
            once = term.count(letter) == 1
            shrink = once and draw(st.integers(0, 4)) == 0  # broadcast a size-1 dimension
            shape.append(1 if shrink else sizes[letter])
        if dotted:
            cut = draw(st.integers(0, len(term)))
            subscripts.append("".join(term[:cut]) + "..." + "".join(term[cut:]))
            shapes.append(tuple(shape[:cut]) + tuple(extra) + tuple(shape[cut:]))
        else:
            subscripts.append("".join(term))
            shapes.append(tuple(shape))
    text = ",".join(subscripts)
    if draw(st.booleans()):  # explicit output: distinct letters of the inputs, any order
        present = sorted(set("".join("".join(t) for t in terms)))
        chosen = draw(st.permutations(present))[: draw(st.integers(0, len(present)))]
        output = "".join(chosen)
        if any(with_ellipsis):
            cut = draw(st.integers(0, len(output)))
            output = output[:cut] + "..." + output[cut:]
        text += "->" + output
    return text, shapes


@st.composite
def recurrent_shapes(draw: st.DrawFn, kind: str) -> list[tuple[int, ...]]:
    """The input shapes of a recurrent cell (``kind`` a key of RECURRENT_GATES): a batch of
    1-3 rows or none (1-D x, h, c; not for the sequence, which is (L, N, I))."""
    inputs, hidden = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE))
    rows = RECURRENT_GATES[kind] * hidden
    if kind == "lstm_sequence":
        steps, batch = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, 2))
        x, state = (steps, batch, inputs), (batch, hidden)
    else:
        lead = draw(st.sampled_from([(), (1,), (2,), (3,)]))
        x, state = lead + (inputs,), lead + (hidden,)
    states = [state, state] if kind.startswith("lstm") else [state]
    return [x, *states, (rows, inputs), (rows, hidden), (rows,), (rows,)]


@st.composite
def op_case(draw: st.DrawFn, entry: OpEntry, dtype: Any = np.float64) -> tuple[list, dict]:
    """Input arrays (in the entry's domains) and keyword arguments for one registry entry."""
    kwargs: dict[str, Any] = {}
    if entry.shapes == "broadcast":
        input_shapes = draw(broadcastable_shapes(entry.n_inputs))
    elif entry.shapes == "matmul":
        input_shapes = draw(matmul_shapes())
    elif entry.shapes == "linear":  # x (..., in), weight (out, in), bias (out,)
        inner, out = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE))
        batch = draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=MAX_SIDE))
        input_shapes = [batch + (inner,), (out, inner), (out,)][: entry.n_inputs]
    elif entry.shapes in RECURRENT_GATES:  # x, h, [c], w_ih, w_hh, b_ih, b_hh
        input_shapes = draw(recurrent_shapes(entry.shapes))
    elif entry.shapes == "logits":  # (N, C) scores for a classification loss
        input_shapes = [(draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE)))]
    elif entry.shapes == "concatenate":
        base = list(draw(shapes(min_dims=1)))
        axis = draw(st.integers(-len(base), len(base) - 1))
        input_shapes = []
        for _ in range(entry.n_inputs):
            base[axis] = draw(st.integers(1, MAX_SIDE))
            input_shapes.append(tuple(base))
        kwargs["axis"] = axis
    elif entry.shapes == "einsum":
        kwargs["subscripts"], input_shapes = draw(einsum_case(entry.n_inputs))
    elif entry.shapes == "stack":
        shape = draw(shapes())
        input_shapes = [shape] * entry.n_inputs
        kwargs["axis"] = draw(st.integers(-len(shape) - 1, len(shape)))
    elif entry.shapes == "inplace":  # t <op>= x: x broadcasts to t's shape
        shape = draw(shapes())
        input_shapes = [shape, draw(shapes_broadcasting_to(shape))]
    elif entry.shapes == "setitem":  # t[index] = value
        shape = draw(shapes())
        kwargs["index"] = index = draw(hnp.basic_indices(shape, allow_newaxis=True))
        target = np.empty(shape)[index].shape
        input_shapes = [shape, draw(shapes_broadcasting_to(target))]
    else:
        min_dims = 1 if entry.kwargs in NEEDS_AN_AXIS else 0
        input_shapes = [draw(shapes(min_dims=min_dims))] * entry.n_inputs
    first = tuple(input_shapes[0])

    if entry.kwargs == "reduce":
        kwargs.update(draw(reduce_kwargs(len(first))))
    elif entry.kwargs == "axis":
        kwargs["axis"] = draw(st.integers(-len(first), len(first) - 1))
    elif entry.kwargs == "reshape":
        kwargs["shape"] = draw(reshape_targets(first))
    elif entry.kwargs == "transpose":
        kwargs["axes"] = draw(st.none() | st.permutations(range(len(first))).map(tuple))
    elif entry.kwargs == "basic_index":
        kwargs["index"] = draw(hnp.basic_indices(first, allow_newaxis=True))
    elif entry.kwargs == "array_index":
        kwargs["index"] = draw(array_indices(first))
    elif entry.kwargs == "exponent":
        kwargs["exponent"] = draw(st.sampled_from(EXPONENTS))
    elif entry.kwargs == "variance":
        kwargs.update(draw(variance_kwargs(first)))
    elif entry.kwargs == "norm":
        kwargs.update(draw(norm_kwargs(first)))
    elif entry.kwargs == "cumsum":
        axes = [None] + list(range(-max(len(first), 1), max(len(first), 1)))
        kwargs["axis"] = draw(st.sampled_from(axes))
    elif entry.kwargs == "clip":
        kwargs.update(draw(clip_kwargs()))
    elif entry.kwargs is not None:
        kwargs.update(draw(SHAPE_KWARGS[entry.kwargs](first)))
    arrays = draw(arrays_in_domains(tuple(map(tuple, input_shapes)), entry.domains, dtype))
    return arrays, kwargs


# ---------------------------------------------------------------- shape and indexing ops
@st.composite
def shapes_broadcasting_to(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts to ``shape`` without growing it: a suffix, some sides 1
    (never 0: an empty input has no Jacobian column to check)."""
    kept = draw(st.integers(0, len(shape)))
    suffix = shape[len(shape) - kept :]
    return tuple(1 if side == 0 or draw(st.booleans()) else side for side in suffix)


def _axis(shape: tuple[int, ...]) -> st.SearchStrategy[int]:
    return st.integers(-len(shape), len(shape) - 1)


def _axes_tuple(ndim: int, allowed: list[int] | None = None) -> st.SearchStrategy[tuple]:
    """Distinct axes, each possibly written negative."""
    choices = list(range(ndim)) if allowed is None else allowed
    if not choices:
        return st.just(())
    return st.lists(st.sampled_from(choices), unique=True, max_size=len(choices)).flatmap(
        lambda axes: st.tuples(*[st.sampled_from([a, a - ndim]) for a in axes])
    )


@st.composite
def squeeze_kwargs(draw: st.DrawFn, shape: tuple[int, ...]) -> dict[str, Any]:
    ones = [i for i, side in enumerate(shape) if side == 1]
    choices = [st.none()]
    if ones:
        choices += [st.sampled_from(ones), _axes_tuple(len(shape), ones)]
    return {"axis": draw(st.one_of(choices))}


@st.composite
def expand_dims_kwargs(draw: st.DrawFn, shape: tuple[int, ...]) -> dict[str, Any]:
    added = draw(st.integers(1, 2))
    result_ndim = len(shape) + added
    if added == 1 and draw(st.booleans()):
        return {"axis": draw(st.integers(-result_ndim, result_ndim - 1))}
    axes = draw(
        st.lists(st.integers(0, result_ndim - 1), min_size=added, max_size=added, unique=True)
    )
    return {"axis": tuple(axes)}


@st.composite
def flatten_kwargs(draw: st.DrawFn, shape: tuple[int, ...]) -> dict[str, Any]:
    ndim = max(len(shape), 1)  # a 0-d tensor flattens as if it were (1,)
    start = draw(st.integers(0, ndim - 1))
    end = draw(st.integers(start, ndim - 1))
    return {
        "start": draw(st.sampled_from([start, start - ndim])),
        "end": draw(st.sampled_from([end, end - ndim])),
    }


@st.composite
def swapaxes_kwargs(draw: st.DrawFn, shape: tuple[int, ...]) -> dict[str, Any]:
    return {"axes": (draw(_axis(shape)), draw(_axis(shape)))}


@st.composite
def broadcast_to_kwargs(draw: st.DrawFn, shape: tuple[int, ...]) -> dict[str, Any]:
    """A target the shape broadcasts to: new leading axes, size-1 sides grown."""
    lead = draw(hnp.array_shapes(min_dims=0, max_dims=max(0, MAX_DIMS - len(shape)), max_side=3))
    grown = tuple(draw(st.integers(1, MAX_SIDE)) if side == 1 else side for side in shape)
    return {"shape": lead + grown}


@st.composite
def tile_kwargs(draw: st.DrawFn, shape: tuple[int, ...]) -> dict[str, Any]:
    reps = st.lists(st.integers(0, 2), max_size=len(shape) + 1).map(tuple)
    return {"reps": draw(st.integers(0, 2) | reps)}


@st.composite
def repeat_kwargs(draw: st.DrawFn, shape: tuple[int, ...]) -> dict[str, Any]:
    axis = draw(st.none() | _axis(shape)) if shape else None
    length = int(np.prod(shape)) if axis is None else shape[axis]
    counts = st.lists(st.integers(0, 2), min_size=length, max_size=length)
    return {"repeats": draw(st.integers(0, 3) | counts), "axis": axis}


@st.composite
def split_kwargs(draw: st.DrawFn, shape: tuple[int, ...]) -> dict[str, Any]:
    axis = draw(_axis(shape))
    length = shape[axis]
    divisors = [n for n in range(1, length + 1) if length % n == 0]
    cuts = st.lists(st.integers(0, length), max_size=3).map(sorted).map(tuple)
    return {"sections": draw(st.sampled_from(divisors) | cuts), "axis": axis}


@st.composite
def chunk_kwargs(draw: st.DrawFn, shape: tuple[int, ...]) -> dict[str, Any]:
    return {"n": draw(st.integers(1, 4)), "axis": draw(_axis(shape))}


@st.composite
def pad_kwargs(draw: st.DrawFn, shape: tuple[int, ...]) -> dict[str, Any]:
    width = st.integers(0, 2)
    pair = st.tuples(width, width)
    forms = [width, pair]
    if shape:  # one (before, after) pair per axis
        forms.append(st.tuples(*[pair] * len(shape)))
    return {
        "pad_width": draw(st.one_of(forms)),
        "constant_values": draw(st.sampled_from([0.0, 1.5, -2.0])),
    }


@st.composite
def flip_kwargs(draw: st.DrawFn, shape: tuple[int, ...]) -> dict[str, Any]:
    choices = [st.none(), _axes_tuple(len(shape))]
    if shape:
        choices.append(_axis(shape))
    return {"axis": draw(st.one_of(choices))}


@st.composite
def take_along_axis_kwargs(draw: st.DrawFn, shape: tuple[int, ...]) -> dict[str, Any]:
    """Indices of the tensor's ndim (other axes 1 or the tensor's side), negative ones too."""
    if draw(st.integers(0, 4)) == 0:  # axis=None: the flattened tensor, 1-D indices
        size = int(np.prod(shape))
        picks = hnp.arrays(
            np.intp, (draw(st.integers(1, 4)),), elements=st.integers(-size, size - 1)
        )
        return {"indices": draw(picks), "axis": None}
    axis = draw(_axis(shape))
    index_shape = tuple(
        draw(st.integers(1, 4)) if d == axis % len(shape) else draw(st.sampled_from([1, side]))
        for d, side in enumerate(shape)
    )
    length = shape[axis]
    elements = st.integers(-length, length - 1)
    return {"indices": draw(hnp.arrays(np.intp, index_shape, elements=elements)), "axis": axis}


@st.composite
def masked_fill_kwargs(draw: st.DrawFn, shape: tuple[int, ...]) -> dict[str, Any]:
    mask = draw(hnp.arrays(np.bool_, draw(shapes_broadcasting_to(shape))))
    return {"mask": mask, "value": draw(st.sampled_from([0.0, -1.5, 2.0]))}


@st.composite
def windows_kwargs(draw: st.DrawFn, shape: tuple[int, ...]) -> dict[str, Any]:
    """Window lengths for every axis (axis=None) or for some axes, an axis maybe twice."""
    if not shape or draw(st.booleans()):
        return {"window_shape": tuple(draw(st.integers(1, side)) for side in shape), "axis": None}
    axes = draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=3))
    remaining = list(shape)
    window = []
    for axis in axes:
        length = draw(st.integers(1, remaining[axis]))
        remaining[axis] -= length - 1
        window.append(length)
    return {"window_shape": tuple(window), "axis": tuple(axes)}


@st.composite
def blocks_kwargs(draw: st.DrawFn, shape: tuple[int, ...]) -> dict[str, Any]:
    """Block lengths for the last few axes (none to all), each at most its axis."""
    count = draw(st.integers(0, len(shape)))
    trailing = shape[len(shape) - count :]
    return {"block": tuple(draw(st.integers(1, side)) for side in trailing)}


SHAPE_KWARGS = {
    "squeeze": squeeze_kwargs,
    "expand_dims": expand_dims_kwargs,
    "flatten": flatten_kwargs,
    "swapaxes": swapaxes_kwargs,
    "broadcast_to": broadcast_to_kwargs,
    "tile": tile_kwargs,
    "repeat": repeat_kwargs,
    "split": split_kwargs,
    "chunk": chunk_kwargs,
    "pad": pad_kwargs,
    "flip": flip_kwargs,
    "take_along_axis": take_along_axis_kwargs,
    "masked_fill": masked_fill_kwargs,
    "windows": windows_kwargs,
    "blocks": blocks_kwargs,
}
