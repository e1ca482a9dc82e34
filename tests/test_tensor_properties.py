"""Property tests: random broadcasting shapes (0-d and size-1 dims included), random values and
random upstream gradients; the engine's gradients against central finite differences."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd_lite import Tensor, maximum, where
from tests.numeric import engine_grads, numeric_grads

SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)
PAIRS = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)
FLOATS = st.floats(-2.0, 2.0, allow_nan=False, width=64)


def _array(data: st.DataObject, shape: tuple[int, ...], low: float = -2.0, high: float = 2.0):
    return data.draw(hnp.arrays(np.float64, shape, elements=st.floats(low, high, width=64)))


def _check(fn, arrays, data: st.DataObject) -> None:
    out = fn(*[Tensor(a) for a in arrays])
    upstream = _array(data, out.shape)
    got = engine_grads(fn, arrays, upstream)
    want = numeric_grads(fn, arrays, upstream)
    for array, got_grad, want_grad in zip(arrays, got, want):
        assert got_grad.shape == array.shape
        np.testing.assert_allclose(got_grad, want_grad, rtol=1e-5, atol=1e-6)


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0),
    "pow": lambda a, b: (a * a + 0.5) ** b,
    "maximum": lambda a, b: maximum(a, b),
    "where": lambda a, b: where(a > b, a * b, b - a),
}


@given(data=st.data(), name=st.sampled_from(sorted(BINARY)), shapes=PAIRS)
def test_binary_ops_broadcast_and_reduce_gradients_to_each_input(data, name, shapes) -> None:
    shape_a, shape_b = shapes.input_shapes
    a, b = _array(data, shape_a), _array(data, shape_b)
    if name in ("maximum", "where"):  # no ties: there the derivative jumps
        a, b = np.round(a * 4) / 4 + 0.125, np.round(b * 4) / 4  # so |a - b| >= 0.125
    out = BINARY[name](Tensor(a), Tensor(b))
    assert out.shape == shapes.result_shape
    _check(BINARY[name], [a, b], data)


UNARY = {
    "exp": lambda x: x.exp(),
    "log": lambda x: (x * x + 0.5).log(),
    "sqrt": lambda x: (x * x + 0.5).sqrt(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "pow_number": lambda x: x**3,
    "neg_rsub": lambda x: 1.0 - (-x),
}


@given(data=st.data(), name=st.sampled_from(sorted(UNARY)), shape=SHAPES)
def test_elementwise_functions(data, name, shape) -> None:
    _check(UNARY[name], [_array(data, shape)], data)


@st.composite
def _shape_and_axis(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    ndim = len(shape)
    axis = draw(
        st.one_of(
            st.none(),
            st.integers(-ndim, ndim - 1),
            st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(
                lambda axes: tuple(a - ndim if i % 2 else a for i, a in enumerate(axes))
            ),
        )
    )
    return shape, axis


@given(
    data=st.data(),
    shape_axis=_shape_and_axis(),
    keepdims=st.booleans(),
    op=st.sampled_from(["sum", "mean", "max"]),
)
def test_reductions_over_random_axes(data, shape_axis, keepdims, op) -> None:
    shape, axis = shape_axis
    # distinct values so max has a unique winner everywhere
    size = int(np.prod(shape))
    values = data.draw(st.permutations(list(range(size))))
    x = np.array(values, dtype=np.float64).reshape(shape) * 0.37

    def fn(t: Tensor) -> Tensor:
        return getattr(t, op)(axis=axis, keepdims=keepdims)

    out = fn(Tensor(x))
    assert out.shape == getattr(np, op)(x, axis=axis, keepdims=keepdims).shape
    _check(fn, [x], data)


@given(data=st.data(), shape_axis=_shape_and_axis(), log=st.booleans())
def test_softmax_and_log_softmax_on_any_axis(data, shape_axis, log) -> None:
    shape, axis = shape_axis
    axis = -1 if axis is None or isinstance(axis, tuple) else axis

    def fn(t: Tensor) -> Tensor:
        return t.log_softmax(axis) if log else t.softmax(axis)

    _check(fn, [_array(data, shape, -3.0, 3.0)], data)


@given(
    data=st.data(),
    batch=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3),
    n=st.integers(1, 3),
    k=st.integers(1, 3),
    p=st.integers(1, 3),
    vector_a=st.booleans(),
    vector_b=st.booleans(),
)
def test_matmul_with_broadcast_batches_and_vectors(
    data, batch, n, k, p, vector_a, vector_b
) -> None:
    batch_a, batch_b = batch.input_shapes
    shape_a = (k,) if vector_a else batch_a + (n, k)
    shape_b = (k,) if vector_b else batch_b + (k, p)
    a, b = _array(data, shape_a), _array(data, shape_b)
    out = Tensor(a) @ Tensor(b)
    assert out.shape == np.matmul(a, b).shape
    _check(lambda x, y: x @ y, [a, b], data)


@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
def test_integer_array_indexing_with_repeats(data, shape) -> None:
    x = _array(data, shape)
    rows = data.draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=6))
    _check(lambda t: t[rows], [x], data)


@given(data=st.data(), shapes=PAIRS)
def test_composite_expression_shares_inputs(data, shapes) -> None:
    shape_a, shape_b = shapes.input_shapes
    a, b = _array(data, shape_a), _array(data, shape_b)

    def fn(x: Tensor, y: Tensor) -> Tensor:
        h = (x * y).tanh()
        return h * x + (h - y).sigmoid() * h

    _check(fn, [a, b], data)
