"""Tensor construction, dtype rules, attributes, operators, comparisons and indexing."""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import Tensor, concatenate, maximum, stack, where

rng = np.random.default_rng(0)
F32 = np.float32


# ------------------------------------------------------------------ construction and dtype
@pytest.mark.parametrize(
    "data",
    [3, 2.5, True, [1, 2], [[1.0, 2.0]], np.arange(4), np.ones(3, dtype=np.int8), np.ones(2)],
)
def test_numeric_data_becomes_float64(data) -> None:
    t = Tensor(data)
    assert t.dtype == np.float64
    np.testing.assert_array_equal(t.numpy(), np.asarray(data, dtype=np.float64))


def test_float32_data_stays_float32() -> None:
    assert Tensor(np.ones(3, dtype=F32)).dtype == np.float32
    assert Tensor(np.float32(1.5)).dtype == np.float32
    assert Tensor(Tensor(np.ones(2, dtype=F32))).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, "float32", np.float64, "float64"])
def test_dtype_argument_picks_float32_or_float64(dtype) -> None:
    assert Tensor([1, 2], dtype=dtype).dtype == np.dtype(dtype)


@pytest.mark.parametrize("dtype", [np.int64, np.float16, "complex128", bool, "not-a-dtype"])
def test_other_dtype_arguments_raise_type_error(dtype) -> None:
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        Tensor([1.0], dtype=dtype)


@pytest.mark.parametrize(
    "data",
    ["abc", ["a", "b"], np.array(["x"]), np.array([1, None], dtype=object), 1 + 2j, [1j, 2.0]],
)
def test_strings_objects_and_complex_raise_type_error(data) -> None:
    with pytest.raises(TypeError, match=r"Tensor: data must be numeric.*got dtype"):
        Tensor(data)


@pytest.mark.parametrize(
    "array", [np.array(["x", "y"]), np.array([1 + 2j, 3.0]), np.array([1, None], dtype=object)]
)
def test_assigning_non_numeric_arrays_to_data_raises(array) -> None:
    t = Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"Tensor.data: data must be numeric.*got dtype"):
        t.data = array
    assert t.dtype == np.float64 and t.numpy().tolist() == [1.0, 2.0]  # unchanged


def test_assigned_integer_and_bool_arrays_become_float64_and_get_true_gradients() -> None:
    t = Tensor([0.0, 0.0], requires_grad=True)
    t.data = np.array([1, 2])
    assert t.dtype == np.float64
    (t * 0.3).sum().backward()  # an int64 .grad would truncate 0.3 to 0
    np.testing.assert_array_equal(t.grad.numpy(), [0.3, 0.3])
    t.data = np.array([True, False])
    assert t.dtype == np.float64 and t.numpy().tolist() == [1.0, 0.0]


def test_assigned_float_arrays_are_shared_not_copied() -> None:
    t = Tensor([1.0, 2.0])
    for array in (np.zeros(3), np.zeros(2, dtype=F32)):
        t.data = array
        assert t.data is array


def test_ragged_lists_raise_a_value_error() -> None:
    with pytest.raises(ValueError, match="rectangular"):
        Tensor([[1.0, 2.0], [3.0]])


def test_attributes() -> None:
    data = rng.normal(size=(2, 3))
    t = Tensor(data, requires_grad=True)
    assert t.shape == (2, 3) and t.ndim == 2 and t.dtype == np.float64 and t.size == 6
    assert t.grad is None and t.requires_grad and t.is_leaf
    assert isinstance(t.data, np.ndarray) and t.numpy() is t.data
    np.testing.assert_array_equal(t.T.numpy(), data.T)
    assert len(t) == 2
    assert Tensor([[4.0]]).item() == 4.0
    with pytest.raises(ValueError, match=r"item: .*\(2, 3\)"):
        t.item()
    assert "requires_grad=True" in repr(t)
    assert "dtype=float32" in repr(Tensor(np.ones(1, dtype=F32)))


def test_requires_grad_defaults_false_and_results_follow_inputs() -> None:
    a, b = Tensor([1.0]), Tensor([2.0], requires_grad=True)
    assert not a.requires_grad
    assert not (a * 2).requires_grad
    assert (a * b).requires_grad
    assert not (a * b).is_leaf


def test_detach_shares_data_and_leaves_the_graph() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    d = y.detach()
    assert not d.requires_grad and d.is_leaf
    assert d.data is y.data
    (d * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 6.0])  # d counted as a constant


# ------------------------------------------------------------------ operators
A = rng.normal(size=(2, 3))
B = rng.normal(size=(3,)) + 3.0  # away from 0 for division

BINARY = {
    "+": (lambda x, y: x + y),
    "-": (lambda x, y: x - y),
    "*": (lambda x, y: x * y),
    "/": (lambda x, y: x / y),
    "**": (lambda x, y: abs(x) ** y if isinstance(x, np.ndarray) else x.abs() ** y),
}


@pytest.mark.parametrize("symbol", BINARY)
@pytest.mark.parametrize("kind", ["tensor", "array", "number"])
def test_binary_operators_with_every_operand_kind_on_either_side(symbol, kind) -> None:
    op = BINARY[symbol]
    other = {"tensor": Tensor(B), "array": B, "number": 1.5}[kind]
    other_np = {"tensor": B, "array": B, "number": 1.5}[kind]
    x = Tensor(A)
    left = op(x, other)
    assert isinstance(left, Tensor)
    np.testing.assert_allclose(left.numpy(), op(A, other_np))
    if symbol == "**":
        right = other ** Tensor(np.abs(A))
        np.testing.assert_allclose(right.numpy(), other_np ** np.abs(A))
    else:
        right = op(other, x)
        assert isinstance(right, Tensor)
        np.testing.assert_allclose(right.numpy(), op(other_np, A))


def test_array_on_the_left_gives_a_tensor_with_gradient() -> None:
    x = Tensor(A, requires_grad=True)
    y = np.full((2, 3), 2.0) * x - np.ones(3)
    assert isinstance(y, Tensor) and y.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))


def test_matmul_and_unary_minus() -> None:
    m = rng.normal(size=(3, 2))
    np.testing.assert_allclose((Tensor(A) @ m).numpy(), A @ m)
    np.testing.assert_allclose((A @ Tensor(m)).numpy(), A @ m)
    np.testing.assert_array_equal((-Tensor(A)).numpy(), -A)


def test_shape_mismatch_names_the_operation_and_both_shapes() -> None:
    for symbol, name in [("+", "add"), ("-", "sub"), ("*", "mul"), ("/", "div")]:
        with pytest.raises(ValueError, match=rf"{name}: .*\(2, 3\) and \(4,\)"):
            BINARY[symbol](Tensor(A), Tensor(np.ones(4)))
    with pytest.raises(ValueError, match=r"maximum: .*\(2, 3\) and \(2,\)"):
        maximum(Tensor(A), np.ones(2))


def test_an_operand_that_is_a_string_raises_type_error() -> None:
    with pytest.raises(TypeError, match="numeric"):
        Tensor(A) + "a"
    with pytest.raises(TypeError, match="numeric"):
        Tensor(A) * np.array(["a", "b", "c"])


# ------------------------------------------------------------------ comparisons
@pytest.mark.parametrize(
    "compare",
    [
        lambda x, y: x < y,
        lambda x, y: x <= y,
        lambda x, y: x > y,
        lambda x, y: x >= y,
        lambda x, y: x == y,
    ],
)
def test_comparisons_give_bool_tensors_without_gradient(compare) -> None:
    data = np.array([1.0, 2.0, 3.0])
    x = Tensor(data, requires_grad=True)
    for other, other_np in [(2.0, 2.0), (np.array([3.0, 2.0, 1.0]),) * 2, (Tensor([2.0]), 2.0)]:
        result = compare(x, other)
        assert isinstance(result, Tensor)
        assert result.dtype == np.bool_
        assert not result.requires_grad and result.is_leaf
        np.testing.assert_array_equal(result.numpy(), compare(data, other_np))
    reflected = compare(np.array([2.0, 2.0, 2.0]), x)
    assert isinstance(reflected, Tensor)
    np.testing.assert_array_equal(reflected.numpy(), compare(np.array([2.0] * 3), data))


def test_comparison_shape_mismatch_names_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"<: .*\(2,\) and \(3,\)"):
        _ = Tensor(np.ones(2)) < Tensor(np.ones(3))


# ------------------------------------------------------------------ float32 through every op
def _f32(shape: tuple[int, ...], low: float = -1.0, high: float = 1.0) -> Tensor:
    return Tensor(rng.uniform(low, high, size=shape).astype(F32), requires_grad=True)


FLOAT32_PROGRAMS = {
    "number_operands": lambda x: (2.0 * x + 1) / 3.0 - 0.5 * x**2 + 2**x,
    "numpy_float32_operands": lambda x: x * np.float32(2) + np.ones(3, dtype=F32),
    "unary": lambda x: -(x.exp() + x.abs().sqrt() + (x.abs() + 1).log()),
    "nonlinear": lambda x: x.tanh() + x.sigmoid() + x.relu() + x.softmax() + x.log_softmax(),
    "reductions": lambda x: x.sum(axis=0) + x.mean(axis=0) + x.max(axis=0),
    "shape": lambda x: x.reshape(3, 2).T.transpose(1, 0)[[0, 0, 1], 1:],
    "matmul": lambda x: x @ x.T,
    "joining": lambda x: concatenate([x, x], axis=1) + stack([x, x], axis=1).reshape(2, 6),
    "select": lambda x: where(x > 0, x, 0.0) + maximum(0.1, x) + maximum(x, 0.2),
    "pow_tensor": lambda x: (x.abs() + 1) ** (x * 0.5),
}


@pytest.mark.parametrize("name", FLOAT32_PROGRAMS)
def test_float32_is_preserved_through_forward_and_both_orders_of_gradient(name) -> None:
    x = _f32((2, 3))
    y = FLOAT32_PROGRAMS[name](x)
    assert y.dtype == np.float32
    y.sum().backward(create_graph=True)
    assert x.grad.dtype == np.float32
    if x.grad.requires_grad:
        x_grad = x.grad
        x.grad = None
        x_grad.sum().backward()
        assert x.grad is None or x.grad.dtype == np.float32


def test_float32_mixed_with_float64_promotes_like_numpy_but_grads_keep_input_dtype() -> None:
    x32 = _f32((3,))
    y64 = Tensor(np.ones(3), requires_grad=True)
    z = x32 * y64
    assert z.dtype == np.float64
    z.sum().backward()
    assert x32.grad.dtype == np.float32 and y64.grad.dtype == np.float64


def test_backward_seed_of_another_dtype_is_cast_to_the_output_dtype() -> None:
    x = _f32((3,))
    (x * 2).backward(np.ones(3))  # float64 seed
    assert x.grad.dtype == np.float32


# ------------------------------------------------------------------ indexing
def test_basic_indexing_forward_and_gradient() -> None:
    data = rng.normal(size=(3, 4))
    for index in [1, (1, 2), slice(1, 3), (slice(None), 2), (Ellipsis, -1), (None, 0)]:
        x = Tensor(data, requires_grad=True)
        y = x[index]
        np.testing.assert_array_equal(y.numpy(), data[index])
        y.backward(np.ones(y.shape))
        want = np.zeros_like(data)
        want[index] = 1.0
        np.testing.assert_array_equal(x.grad.numpy(), want)


def test_integer_array_indexing_with_repeated_indices_accumulates() -> None:
    data = rng.normal(size=(3, 2))
    x = Tensor(data, requires_grad=True)
    rows = np.array([2, 0, 2, 2])
    y = x[rows]
    np.testing.assert_array_equal(y.numpy(), data[rows])
    y.backward(np.arange(8.0).reshape(4, 2))
    # row 2 receives upstream rows 0, 2 and 3; row 0 receives row 1; row 1 nothing
    np.testing.assert_array_equal(x.grad.numpy(), [[2, 3], [0, 0], [0 + 4 + 6, 1 + 5 + 7]])


def test_paired_integer_arrays_pick_elements_and_accumulate() -> None:
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    y = x[np.array([0, 0, 1]), np.array([2, 2, 0])]
    assert y.shape == (3,)
    y.backward(np.array([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 11], [100, 0, 0]])


def test_tensor_and_list_indices_work_like_integer_arrays() -> None:
    data = np.array([5.0, 6.0, 7.0])
    for index in ([0, 0, 2], Tensor([0, 0, 2]), np.array([0, 0, 2])):
        x = Tensor(data, requires_grad=True)
        y = x[index]
        np.testing.assert_array_equal(y.numpy(), [5, 5, 7])
        y.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [2, 0, 1])


def test_boolean_masks_from_comparisons_and_arrays() -> None:
    data = np.array([[1.0, -2.0], [-3.0, 4.0]])
    x = Tensor(data, requires_grad=True)
    y = x[x > 0]
    np.testing.assert_array_equal(y.numpy(), [1.0, 4.0])
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2, 0], [0, 8]])
    x.grad = None
    x[np.array([True, False])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 1], [0, 0]])


def test_mixed_slice_and_integer_array_index() -> None:
    data = rng.normal(size=(3, 4))
    x = Tensor(data, requires_grad=True)
    y = x[1:, [3, 3, 0]]
    np.testing.assert_array_equal(y.numpy(), data[1:, [3, 3, 0]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 0, 0], [1, 0, 0, 2], [1, 0, 0, 2]])


def test_bad_indices_name_the_tensor_shape() -> None:
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(IndexError, match=r"index: .*\(2, 3\)"):
        x[5]
    with pytest.raises(IndexError, match="whole numbers"):
        x[Tensor([0.5])]


def test_reshape_and_transpose_forms_and_errors() -> None:
    data = np.arange(6.0).reshape(2, 3)
    x = Tensor(data)
    assert x.reshape(3, 2).shape == (3, 2)
    assert x.reshape((3, -1)).shape == (3, 2)
    assert x.transpose().shape == (3, 2)
    np.testing.assert_array_equal(x.transpose((1, 0)).numpy(), data.T)
    with pytest.raises(ValueError, match=r"reshape: .*\(2, 3\).*\(4,\)"):
        x.reshape(4)
    with pytest.raises(ValueError, match=r"transpose: .*\(0, 0\).*\(2, 3\)"):
        x.transpose(0, 0)


def test_bool_of_a_tensor() -> None:
    assert bool(Tensor([1.0]) > 0)
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))


def test_equality_with_none_is_identity_not_an_error() -> None:
    x = Tensor([1.0])
    assert (x == None) is False  # noqa: E711 - the point of the test
    assert (x != None) is True  # noqa: E711
    assert None not in [x]
