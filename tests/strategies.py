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
    else:
        min_dims = 1 if entry.kwargs in ("axis", "array_index") else 0
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
    arrays = draw(arrays_in_domains(tuple(map(tuple, input_shapes)), entry.domains, dtype))
    return arrays, kwargs
