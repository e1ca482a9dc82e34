"""Every Tensor op: its derivative against the hand-written formula and against finite differences.

Each case lists the op, a point (inputs away from kinks and domain edges), and the formula
for the gradient of ``sum(op(inputs) * g)`` for an upstream gradient ``g``, written in NumPy
from the calculus, not from the engine. A random (not all-ones) ``g`` catches rules that
ignore their upstream gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from autograd_lite import Tensor, concatenate, maximum, stack, where
from tests.numeric import engine_grads, numeric_grads

rng = np.random.default_rng(3)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@dataclass
class Case:
    name: str
    fn: Callable[..., Tensor]
    inputs: list[np.ndarray]
    formula: Callable[..., list[np.ndarray]]  # (g, *inputs) -> one gradient per input


A = rng.normal(size=(2, 3))
B = rng.normal(size=(2, 3))
ROW = rng.normal(size=(3,))
POS = rng.uniform(0.5, 2.0, size=(2, 3))
AWAY = A + np.sign(A) * 0.3  # no element near 0 (abs, relu kinks)
M34 = rng.normal(size=(3, 4))

CASES = [
    Case("add", lambda a, b: a + b, [A, B], lambda g, a, b: [g, g]),
    Case("add_broadcast", lambda a, b: a + b, [A, ROW], lambda g, a, b: [g, g.sum(0)]),
    Case("sub", lambda a, b: a - b, [A, B], lambda g, a, b: [g, -g]),
    Case("rsub_number", lambda a: 2.0 - a, [A], lambda g, a: [-g]),
    Case("mul", lambda a, b: a * b, [A, B], lambda g, a, b: [g * b, g * a]),
    Case("mul_broadcast", lambda a, b: a * b, [A, ROW], lambda g, a, b: [g * b, (g * a).sum(0)]),
    Case("div", lambda a, b: a / b, [A, POS], lambda g, a, b: [g / b, -g * a / b**2]),
    Case("rdiv_number", lambda a: 1.0 / a, [POS], lambda g, a: [-g / a**2]),
    Case("neg", lambda a: -a, [A], lambda g, a: [-g]),
    Case("pow_number", lambda a: a**3, [A], lambda g, a: [g * 3 * a**2]),
    Case("pow_fraction", lambda a: a**0.5, [POS], lambda g, a: [g * 0.5 * a**-0.5]),
    Case(
        "pow_tensor",
        lambda a, b: a**b,
        [POS, B],
        lambda g, a, b: [g * b * a ** (b - 1), g * a**b * np.log(a)],
    ),
    Case("rpow_number", lambda b: 2.0**b, [B], lambda g, b: [g * 2.0**b * np.log(2.0)]),
    Case("exp", lambda a: a.exp(), [A], lambda g, a: [g * np.exp(a)]),
    Case("log", lambda a: a.log(), [POS], lambda g, a: [g / a]),
    Case("sqrt", lambda a: a.sqrt(), [POS], lambda g, a: [g / (2 * np.sqrt(a))]),
    Case("abs", lambda a: a.abs(), [AWAY], lambda g, a: [g * np.sign(a)]),
    Case("tanh", lambda a: a.tanh(), [A], lambda g, a: [g * (1 - np.tanh(a) ** 2)]),
    Case(
        "sigmoid",
        lambda a: a.sigmoid(),
        [A],
        lambda g, a: [g * _sigmoid(a) * (1 - _sigmoid(a))],
    ),
    Case("relu", lambda a: a.relu(), [AWAY], lambda g, a: [g * (a > 0)]),
    Case(
        "softmax",
        lambda a: a.softmax(axis=-1),
        [A],
        lambda g, a: [
            _softmax(a) * (g - (g * _softmax(a)).sum(-1, keepdims=True))
        ],  # J = diag(s) - s s^T
    ),
    Case(
        "softmax_axis0",
        lambda a: a.softmax(axis=0),
        [A],
        lambda g, a: [_softmax(a, 0) * (g - (g * _softmax(a, 0)).sum(0, keepdims=True))],
    ),
    Case(
        "log_softmax",
        lambda a: a.log_softmax(),
        [A],
        lambda g, a: [g - _softmax(a) * g.sum(-1, keepdims=True)],
    ),
    Case("sum_all", lambda a: a.sum(), [A], lambda g, a: [np.broadcast_to(g, a.shape)]),
    Case(
        "sum_axis1",
        lambda a: a.sum(axis=1),
        [A],
        lambda g, a: [np.broadcast_to(g[:, None], a.shape)],
    ),
    Case(
        "sum_keepdims_neg",
        lambda a: a.sum(axis=-2, keepdims=True),
        [A],
        lambda g, a: [np.broadcast_to(g, a.shape)],
    ),
    Case("mean_all", lambda a: a.mean(), [A], lambda g, a: [np.full(a.shape, g / a.size)]),
    Case(
        "mean_axis0",
        lambda a: a.mean(axis=0),
        [A],
        lambda g, a: [np.broadcast_to(g / a.shape[0], a.shape)],
    ),
    Case(
        "max_axis1",
        lambda a: a.max(axis=1),
        [A],
        lambda g, a: [(a == a.max(1, keepdims=True)) * g[:, None]],
    ),
    Case(
        "max_all",
        lambda a: a.max(),
        [A],
        lambda g, a: [(a == a.max()) * g],
    ),
    Case("reshape", lambda a: a.reshape(3, 2), [A], lambda g, a: [g.reshape(a.shape)]),
    Case("reshape_tuple", lambda a: a.reshape((6,)), [A], lambda g, a: [g.reshape(a.shape)]),
    Case("T", lambda a: a.T, [A], lambda g, a: [g.T]),
    Case(
        "transpose_axes",
        lambda a: a.reshape(1, 2, 3).transpose(2, 0, 1),
        [A],
        lambda g, a: [g.transpose(1, 2, 0).reshape(a.shape)],
    ),
    Case(
        "getitem_basic", lambda a: a[1, 1:], [A], lambda g, a: [_scatter(a, (1, slice(1, None)), g)]
    ),
    Case(
        "getitem_int_array",
        lambda a: a[[0, 1, 0]],
        [A],
        lambda g, a: [np.stack([g[0] + g[2], g[1]])],
    ),
    Case("matmul_2d", lambda a, b: a @ b, [A, M34], lambda g, a, b: [g @ b.T, a.T @ g]),
    Case(
        "concatenate",
        lambda a, b: concatenate([a, b], axis=0),
        [A, B],
        lambda g, a, b: [g[:2], g[2:]],
    ),
    Case(
        "concatenate_axis1",
        lambda a, b: concatenate([a, b], axis=-1),
        [A, B],
        lambda g, a, b: [g[:, :3], g[:, 3:]],
    ),
    Case("stack", lambda a, b: stack([a, b], axis=1), [A, B], lambda g, a, b: [g[:, 0], g[:, 1]]),
    Case(
        "where",
        lambda a, b: where(A > 0, a, b),
        [A, B],
        lambda g, a, b: [g * (A > 0), g * (A <= 0)],
    ),
    Case(
        "maximum",
        lambda a, b: maximum(a, b),
        [A, B],
        lambda g, a, b: [g * (a > b), g * (b > a)],
    ),
]


def _scatter(a: np.ndarray, index: object, g: np.ndarray) -> np.ndarray:
    out = np.zeros_like(a)
    out[index] = g
    return out


def _upstream(case: Case) -> np.ndarray:
    out = case.fn(*[Tensor(x) for x in case.inputs])
    return np.random.default_rng(7).normal(size=out.shape)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_gradient_matches_hand_written_formula(case: Case) -> None:
    g = _upstream(case)
    expected = case.formula(g, *case.inputs)
    got = engine_grads(case.fn, case.inputs, g)
    assert len(got) == len(expected)
    for got_grad, want in zip(got, expected):
        np.testing.assert_allclose(got_grad, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_gradient_matches_finite_differences(case: Case) -> None:
    g = _upstream(case)
    numeric = numeric_grads(case.fn, case.inputs, g)
    got = engine_grads(case.fn, case.inputs, g)
    for got_grad, want in zip(got, numeric):
        np.testing.assert_allclose(got_grad, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_forward_float32_in_float32_out_and_gradient_float32(case: Case) -> None:
    inputs = [Tensor(x.astype(np.float32), requires_grad=True) for x in case.inputs]
    out = case.fn(*inputs)
    assert out.dtype == np.float32
    out.backward(np.ones(out.shape, dtype=np.float32))
    for tensor, want in zip(inputs, case.formula(np.ones(out.shape), *case.inputs)):
        assert tensor.grad.dtype == np.float32
        np.testing.assert_allclose(tensor.grad.numpy(), want, rtol=2e-5, atol=2e-6)


# ------------------------------------------------------------------ max and its ties
def test_max_splits_the_gradient_equally_between_tied_maxima() -> None:
    x = Tensor([[1.0, 5.0, 5.0, 2.0], [3.0, 3.0, 3.0, 0.0]], requires_grad=True)
    x.max(axis=1).backward(np.array([6.0, 9.0]))
    # row 0: two tied maxima share 6 -> 3 each; row 1: three share 9 -> 3 each
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 3, 3, 0], [3, 3, 3, 0]])


def test_max_without_axis_splits_ties_over_the_whole_tensor() -> None:
    x = Tensor([[2.0, 7.0], [7.0, 7.0]], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 1 / 3], [1 / 3, 1 / 3]])
    assert x.grad.numpy().sum() == pytest.approx(1.0)


def test_max_with_tuple_negative_axes_and_keepdims() -> None:
    data = rng.normal(size=(2, 3, 4))
    x = Tensor(data, requires_grad=True)
    y = x.max(axis=(0, -1), keepdims=True)
    assert y.shape == (1, 3, 1)
    np.testing.assert_array_equal(y.numpy(), data.max(axis=(0, 2), keepdims=True))
    y.backward(np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1))
    want = (data == data.max(axis=(0, 2), keepdims=True)) * np.array([1, 2, 3.0])[:, None]
    np.testing.assert_array_equal(x.grad.numpy(), want)


def test_maximum_splits_ties_in_half() -> None:
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = Tensor([2.0, 2.0, 1.0], requires_grad=True)
    maximum(a, b).backward(np.array([4.0, 4.0, 4.0]))
    np.testing.assert_array_equal(a.grad.numpy(), [0, 2, 4])
    np.testing.assert_array_equal(b.grad.numpy(), [4, 2, 0])


def test_max_over_an_empty_axis_is_refused_with_the_shape() -> None:
    with pytest.raises(ValueError, match=r"max.*\(0, 3\)"):
        Tensor(np.ones((0, 3))).max(axis=0)


# ------------------------------------------------------------------ reductions
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), (-1, -3), (1,)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("op", ["sum", "mean", "max"])
def test_reductions_match_numpy_for_every_axis_form(op, axis, keepdims) -> None:
    data = rng.normal(size=(2, 3, 4))
    x = Tensor(data, requires_grad=True)
    y = getattr(x, op)(axis=axis, keepdims=keepdims)
    want = getattr(np, {"sum": "sum", "mean": "mean", "max": "max"}[op])(
        data, axis=axis, keepdims=keepdims
    )
    assert y.shape == want.shape
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-12)
    g = rng.normal(size=y.shape)

    def fn(t: Tensor) -> Tensor:
        return getattr(t, op)(axis=axis, keepdims=keepdims)

    np.testing.assert_allclose(
        engine_grads(fn, [data], g)[0], numeric_grads(fn, [data], g)[0], rtol=1e-6, atol=1e-7
    )


@pytest.mark.parametrize("op", ["sum", "mean", "max"])
@pytest.mark.parametrize("axis", [None, 0, -1, ()])
def test_reductions_of_a_0d_tensor_return_it_with_gradient_one(op, axis) -> None:
    x = Tensor(2.5, requires_grad=True)
    y = getattr(x, op)(axis=axis)
    assert y.shape == ()
    assert y.item() == 2.5
    y.backward()
    assert x.grad.item() == 1.0


def test_reduction_axis_out_of_range_names_the_op() -> None:
    with pytest.raises(ValueError, match=r"sum: axis 2 .*2 dims"):
        Tensor(np.ones((2, 3))).sum(axis=2)
    with pytest.raises(ValueError, match=r"mean: repeated axis"):
        Tensor(np.ones((2, 3))).mean(axis=(1, -1))


# ------------------------------------------------------------------ softmax stability
@pytest.mark.parametrize("method", ["softmax", "log_softmax"])
def test_softmax_and_log_softmax_are_finite_at_logits_of_1e4(method) -> None:
    logits = np.array([[1e4, 0.0, -1e4], [1e4, 1e4 - 1.0, 1e4]])
    x = Tensor(logits, requires_grad=True)
    y = getattr(x, method)()
    assert np.all(np.isfinite(y.numpy()))
    g = rng.normal(size=y.shape)
    y.backward(g)
    assert np.all(np.isfinite(x.grad.numpy()))
    # exact values, from the shifted logits [0, -1e4, -2e4] and [0, -1, 0]
    s = _softmax(logits)
    if method == "softmax":
        np.testing.assert_allclose(y.numpy()[1], np.exp([0, -1, 0]) / np.exp([0, -1, 0]).sum())
        want_grad = s * (g - (g * s).sum(-1, keepdims=True))
    else:
        np.testing.assert_allclose(y.numpy()[0], [0.0, -1e4, -2e4])
        want_grad = g - s * g.sum(-1, keepdims=True)
    np.testing.assert_allclose(x.grad.numpy(), want_grad, rtol=1e-12, atol=1e-12)


def test_softmax_rows_sum_to_one_and_log_softmax_is_its_log() -> None:
    x = Tensor(rng.normal(size=(4, 5)) * 30)
    np.testing.assert_allclose(x.softmax().numpy().sum(-1), np.ones(4))
    np.testing.assert_allclose(x.log_softmax().exp().numpy(), x.softmax().numpy(), rtol=1e-12)


def test_softmax_axis_out_of_range_names_the_op_and_shape() -> None:
    with pytest.raises(ValueError, match=r"softmax: axis 2 .*\(2, 3\)"):
        Tensor(np.ones((2, 3))).softmax(axis=2)


# ------------------------------------------------------------------ matmul
MATMUL_SHAPES = [
    ((3,), (3,)),  # dot product -> 0-d
    ((3,), (3, 4)),  # vector @ matrix
    ((2, 3), (3,)),  # matrix @ vector
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)),  # batch @ matrix
    ((3,), (5, 3, 4)),  # vector @ batch
    ((5, 2, 3), (3,)),  # batch @ vector
    ((2, 1, 2, 3), (5, 3, 4)),  # batch dims broadcast: (2, 1) with (5,)
    ((1, 2, 3), (4, 3, 2)),
]


@pytest.mark.parametrize("shape_a,shape_b", MATMUL_SHAPES)
def test_matmul_matches_numpy_and_finite_differences(shape_a, shape_b) -> None:
    a, b = rng.normal(size=shape_a), rng.normal(size=shape_b)
    out = Tensor(a) @ Tensor(b)
    np.testing.assert_allclose(out.numpy(), np.matmul(a, b), rtol=1e-12)
    assert out.shape == np.matmul(a, b).shape
    g = rng.normal(size=out.shape)

    def fn(x: Tensor, y: Tensor) -> Tensor:
        return x @ y

    got = engine_grads(fn, [a, b], g)
    for got_grad, want, original in zip(got, numeric_grads(fn, [a, b], g), (a, b)):
        assert got_grad.shape == original.shape
        np.testing.assert_allclose(got_grad, want, rtol=1e-6, atol=1e-7)


def test_matmul_2d_gradients_are_the_textbook_products() -> None:
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    g = rng.normal(size=(2, 4))
    (ta @ tb).backward(g)
    np.testing.assert_allclose(ta.grad.numpy(), g @ b.T, rtol=1e-12)
    np.testing.assert_allclose(tb.grad.numpy(), a.T @ g, rtol=1e-12)


def test_matmul_with_arrays_on_either_side() -> None:
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 2))
    x = Tensor(a, requires_grad=True)
    np.testing.assert_allclose((x @ b).numpy(), a @ b)
    np.testing.assert_allclose((b @ x).numpy(), b @ a)
    (b @ x).backward(np.ones((3, 3)))
    np.testing.assert_allclose(x.grad.numpy(), b.T @ np.ones((3, 3)))


@pytest.mark.parametrize(
    "shape_a,shape_b,message",
    [
        ((2, 3), (2, 3), r"matmul: shapes \(2, 3\) and \(2, 3\)"),
        ((2, 2, 3), (3, 3, 2), r"matmul: .*\(2, 2, 3\) and \(3, 3, 2\)"),
        ((), (3,), r"matmul: .*\(\) and \(3,\)"),
    ],
)
def test_matmul_shape_errors_name_the_op_and_both_shapes(shape_a, shape_b, message) -> None:
    with pytest.raises(ValueError, match=message):
        Tensor(np.ones(shape_a)) @ Tensor(np.ones(shape_b))


# ------------------------------------------------------------------ pow edge cases
def test_pow_tensor_exponent_with_a_negative_base() -> None:
    base = Tensor([-2.0, -3.0], requires_grad=True)
    exponent = Tensor([2.0, 3.0], requires_grad=True)
    y = base**exponent
    np.testing.assert_array_equal(y.numpy(), [4.0, -27.0])
    y.backward(np.ones(2))
    # d/da a**b = b a**(b-1) is fine for whole exponents; d/db needs log(a): nan for a < 0
    np.testing.assert_array_equal(base.grad.numpy(), [2 * -2.0, 3 * 9.0])
    assert np.all(np.isnan(exponent.grad.numpy()))


def test_pow_tensor_exponent_with_a_negative_base_and_constant_exponent_is_finite() -> None:
    base = Tensor([-2.0, 0.5], requires_grad=True)
    (base ** Tensor([3.0, 2.0])).backward(np.ones(2))
    np.testing.assert_array_equal(base.grad.numpy(), [12.0, 1.0])


def test_pow_at_a_zero_base_uses_the_limits_not_nan() -> None:
    base = Tensor([0.0, 0.0, 0.0, 2.0], requires_grad=True)
    exponent = Tensor([2.0, 0.0, 1.0, 0.0], requires_grad=True)
    (base**exponent).backward(np.ones(4))
    # d/da: 2*0, 0 (b = 0), 1*0**0 = 1, 0;   d/db: 0 for a = 0 (b >= 0), log 2 * 2**0
    np.testing.assert_array_equal(base.grad.numpy(), [0.0, 0.0, 1.0, 0.0])
    np.testing.assert_allclose(exponent.grad.numpy(), [0.0, 0.0, 0.0, np.log(2.0)])


def test_pow_number_exponent_zero_gives_zero_gradient_even_at_zero() -> None:
    x = Tensor([0.0, 3.0], requires_grad=True)
    (x**0).backward(np.ones(2))
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


# ------------------------------------------------------------------ indexing
def test_integer_array_index_with_repeats_accumulates() -> None:
    x = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    y = x[[2, 0, 2, 2]]
    np.testing.assert_array_equal(y.numpy(), [30, 10, 30, 30])
    y.backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 0.0, 8.0])


def test_concatenate_and_stack_with_mixed_float32_and_float64() -> None:
    a = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    b = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    for joined in (concatenate([a, b]), stack([a, b])):
        assert joined.dtype == np.float64  # NumPy's promotion, as for a32 + b64
        a.grad = b.grad = None
        joined.backward(np.arange(4.0).reshape(joined.shape))
        assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
        np.testing.assert_array_equal(a.grad.numpy(), [0.0, 1.0])
        np.testing.assert_array_equal(b.grad.numpy(), [2.0, 3.0])


def test_concatenate_and_stack_shape_errors_name_the_op_and_shapes() -> None:
    with pytest.raises(ValueError, match=r"concatenate: .*\(2, 3\), \(2, 4\)"):
        concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))])
    with pytest.raises(ValueError, match=r"stack: .*\(2,\), \(3,\)"):
        stack([Tensor(np.ones(2)), Tensor(np.ones(3))])
    with pytest.raises(ValueError, match="concatenate: needs at least one"):
        concatenate([])


def test_where_broadcasts_and_refuses_mismatched_shapes() -> None:
    x = Tensor([[-1.0, 2.0], [3.0, -4.0]], requires_grad=True)
    y = where(x > 0, x, 0.0)
    np.testing.assert_array_equal(y.numpy(), [[0, 2], [3, 0]])
    y.backward(np.ones((2, 2)))
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1], [1, 0]])
    with pytest.raises(ValueError, match=r"where: .*\(2,\).*\(3,\)"):
        where(np.ones(2) > 0, Tensor(np.ones(3)), 0.0)
