"""The new reductions at hand-computed points (min, prod, var, std, cumsum, norm, argmax,
argmin), their subgradient choices (min ties, prod at zeros, std and norm at 0), PyTorch's
dim=/keepdim= aliases, and the errors. The registry suite gradchecks them on random shapes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd_lite import ShapeError, Tensor, grad, gradcheck, gradgradcheck
from tests.numeric import numeric_grads

M = np.array([[3.0, 1.0, 2.0], [0.5, 4.0, -1.0]])


def _grad_of(fn, data, upstream=None):
    x = Tensor(data, requires_grad=True)
    y = fn(x)
    y.backward(np.ones(y.shape) if upstream is None else upstream)
    return y, x.grad.data


def test_min_value_gradient_and_ties_split_equally() -> None:
    y, g = _grad_of(lambda x: x.min(axis=1), M, np.array([2.0, 3.0]))
    np.testing.assert_array_equal(y.data, [1.0, -1.0])
    np.testing.assert_array_equal(g, [[0, 2, 0], [0, 0, 3]])
    y, g = _grad_of(lambda x: x.min(), np.array([2.0, 1.0, 1.0, 1.0]), 3.0)
    assert y.item() == 1.0
    np.testing.assert_array_equal(g, [0.0, 1.0, 1.0, 1.0])  # three ties share 3.0
    y, g = _grad_of(lambda x: x.min(axis=0, keepdims=True), M)
    assert y.shape == (1, 3)


def test_prod_value_and_gradient_without_zeros() -> None:
    y, g = _grad_of(lambda x: x.prod(axis=1), M, np.array([1.0, 2.0]))
    np.testing.assert_array_equal(y.data, [6.0, -2.0])
    np.testing.assert_array_equal(g, [[2.0, 6.0, 3.0], [-8.0, -1.0, 4.0]])


@pytest.mark.parametrize(
    "values, expected",
    [
        ([2.0, 0.0, 3.0, 4.0], [0.0, 24.0, 0.0, 0.0]),  # one zero: only it gets the product
        ([2.0, 0.0, 3.0, 0.0], [0.0, 0.0, 0.0, 0.0]),  # two zeros: every gradient is 0
        ([0.0], [1.0]),
    ],
)
def test_prod_gradient_is_exact_at_zeros(values, expected) -> None:
    y, g = _grad_of(lambda x: x.prod(), np.array(values))
    assert y.item() == 0.0
    np.testing.assert_array_equal(g, expected)  # no 0/0: y / x would give nan here


def test_prod_second_derivative_at_zeros() -> None:
    # d2 prod / dx_i dx_k = product of the x_j other than i and k: finite with zeros too
    x = Tensor(np.array([2.0, 0.0, 3.0, 0.5]), requires_grad=True)
    (first,) = grad(x.prod(), [x], create_graph=True)
    np.testing.assert_array_equal(first.data, [0.0, 3.0, 0.0, 0.0])
    hessian = np.stack([grad(first[i], [x], retain_graph=True)[0].data for i in range(4)])
    expected = np.array(
        [[0, 1.5, 0, 0], [1.5, 0, 1.0, 6.0], [0, 1.0, 0, 0], [0, 6.0, 0, 0]], dtype=float
    )
    np.testing.assert_array_equal(hessian, expected)
    zeros = Tensor([[0.0, 2.0], [0.0, 0.0], [3.0, 1.0]], requires_grad=True)
    assert gradgradcheck(lambda t: t.prod(axis=0), zeros)


def test_prod_over_several_axes_and_none() -> None:
    data = np.arange(1.0, 25.0).reshape(2, 3, 4) / 10
    for axis in [(0, 2), (2, 0), None, -1, ()]:
        y, g = _grad_of(lambda x, a=axis: x.prod(axis=a, keepdims=True), data)
        np.testing.assert_allclose(y.data, np.prod(data, axis=axis, keepdims=True), rtol=1e-14)
        expected = np.prod(data, axis=axis, keepdims=True) / data
        np.testing.assert_allclose(g, expected, rtol=1e-12)


def test_var_and_std_values_with_ddof() -> None:
    data = np.array([1.0, 2.0, 3.0, 4.0])
    assert Tensor(data).var().item() == 1.25
    assert Tensor(data).var(ddof=1).item() == pytest.approx(5 / 3)
    assert Tensor(data).std().item() == pytest.approx(np.sqrt(1.25))
    np.testing.assert_allclose(Tensor(M).std(axis=0, ddof=1).data, np.std(M, axis=0, ddof=1))
    # d var / dx = 2 (x - mean) / (N - ddof);  d std / dx = (x - mean) / ((N - ddof) std)
    _, g = _grad_of(lambda x: x.var(ddof=1), data)
    np.testing.assert_allclose(g, 2 * (data - 2.5) / 3)
    _, g = _grad_of(lambda x: x.std(), data)
    np.testing.assert_allclose(g, (data - 2.5) / (4 * np.sqrt(1.25)))


def test_std_of_equal_values_is_zero_with_a_zero_gradient() -> None:
    # std = 0 is a kink (|x| in one dimension): the subgradient 0 is chosen, PyTorch gives nan
    y, g = _grad_of(lambda x: x.std(axis=1), np.array([[2.0, 2.0, 2.0], [1.0, 3.0, 5.0]]))
    assert y.data[0] == 0.0
    np.testing.assert_array_equal(g[0], [0.0, 0.0, 0.0])
    assert np.all(np.isfinite(g))
    x = Tensor(np.array([[2.0, 2.0], [1.0, 3.0]]), requires_grad=True)
    (first,) = grad(x.std(axis=1).sum(), [x], create_graph=True)
    (second,) = grad((first * first).sum(), [x])
    assert np.all(np.isfinite(second.data))


def test_var_and_std_errors() -> None:
    with pytest.raises(ValueError, match=r"var: ddof=1 leaves no degrees of freedom: 1 element"):
        Tensor([[1.0], [2.0]]).var(axis=1, ddof=1)
    with pytest.raises(ShapeError, match="std: cannot reduce over an empty axis"):
        Tensor(np.zeros((2, 0))).std(axis=1)
    with pytest.raises(TypeError, match="var: ddof must be a number"):
        Tensor([1.0, 2.0]).var(ddof="1")
    with pytest.raises(ShapeError, match="std: axis 2 is out of range"):
        Tensor([1.0, 2.0]).std(axis=2)


def test_cumsum_values_and_reversed_cumsum_gradient() -> None:
    y, g = _grad_of(lambda x: x.cumsum(axis=1), M, np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]]))
    np.testing.assert_array_equal(y.data, np.cumsum(M, axis=1))
    np.testing.assert_array_equal(g, [[6.0, 5.0, 3.0], [1.0, 1.0, 0.0]])
    y, g = _grad_of(lambda x: x.cumsum(), M, np.arange(6.0))  # flattened, as NumPy
    assert y.shape == (6,)
    np.testing.assert_array_equal(g, [[15.0, 15.0, 14.0], [12.0, 9.0, 5.0]])
    assert Tensor(2.0).cumsum(axis=0).shape == (1,)  # NumPy's 0-d rule
    assert gradgradcheck(lambda x: x.cumsum(axis=-2) ** 2, Tensor(M, requires_grad=True))


def test_cumsum_errors_name_it() -> None:
    with pytest.raises(ShapeError, match=r"cumsum: axis 2 is out of range .* shape \(2, 3\)"):
        Tensor(M).cumsum(axis=2)
    with pytest.raises(TypeError, match="cumsum: axis must be an int or None"):
        Tensor(M).cumsum(axis=(0, 1))


def test_norm_values_gradient_and_the_zero_choice() -> None:
    y, g = _grad_of(lambda x: x.norm(), np.array([3.0, 4.0]), 10.0)
    assert y.item() == 5.0
    np.testing.assert_allclose(g, [6.0, 8.0])  # 10 * x / |x|
    np.testing.assert_allclose(Tensor(M).norm().item(), np.linalg.norm(M))  # Frobenius
    np.testing.assert_allclose(Tensor(M).norm("fro").item(), np.linalg.norm(M, "fro"))
    np.testing.assert_allclose(Tensor(M).norm(2, axis=1).data, np.linalg.norm(M, 2, axis=1))
    np.testing.assert_allclose(
        Tensor(M).norm(axis=(0, 1), keepdims=True).data, np.linalg.norm(M, axis=(0, 1), keepdims=1)
    )
    # at a zero norm the gradient is 0 (PyTorch's choice), not 0/0
    y, g = _grad_of(lambda x: x.norm(axis=1), np.array([[0.0, 0.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(y.data, [0.0, 5.0])
    np.testing.assert_allclose(g, [[0.0, 0.0], [0.6, 0.8]])


@pytest.mark.parametrize(
    "ord_, axis, message",
    [
        (1, None, "norm: ord=1 is not supported"),
        (np.inf, 0, "norm: ord=inf is not supported"),
        ("nuc", None, "norm: ord='nuc' is not supported"),
        (2, None, "norm: ord=2 over 2 axes .* spectral norm"),
        (2, (0, 1), "norm: ord=2 over 2 axes"),
    ],
)
def test_norm_refuses_other_orders(ord_, axis, message) -> None:
    with pytest.raises(ValueError, match=message):
        Tensor(M).norm(ord_, axis=axis)


@pytest.mark.parametrize("name, finder", [("argmax", np.argmax), ("argmin", np.argmin)])
def test_argmax_argmin_are_int64_arrays_first_on_ties(name, finder) -> None:
    data = np.array([[1.0, 5.0, 5.0], [7.0, 7.0, -2.0]])
    t = Tensor(data, requires_grad=True)
    for axis, keepdims in [(None, False), (1, False), (0, True), (-1, True), (None, True)]:
        got = getattr(t, name)(axis=axis, keepdims=keepdims)
        assert isinstance(got, np.ndarray) and got.dtype == np.int64
        np.testing.assert_array_equal(got, finder(data, axis=axis, keepdims=keepdims))
    assert t.argmax(axis=1).tolist() == [1, 0]  # first of the tied maxima
    assert getattr(Tensor(3.0), name)().shape == ()


@settings(max_examples=30)
@given(data=hnp.arrays(np.float64, hnp.array_shapes(max_dims=3), elements=st.floats(-3, 3)))
def test_argmax_argmin_agree_with_numpy_on_any_shape(data: np.ndarray) -> None:
    for axis in [None, *range(-data.ndim, data.ndim)]:
        np.testing.assert_array_equal(Tensor(data).argmax(axis), np.argmax(data, axis))
        np.testing.assert_array_equal(Tensor(data).argmin(dim=axis), np.argmin(data, axis))


def test_argmax_errors_name_it() -> None:
    with pytest.raises(TypeError, match="argmax: axis must be an int or None"):
        Tensor(M).argmax(axis=(0, 1))
    with pytest.raises(ShapeError, match="argmin: axis 3 is out of range"):
        Tensor(M).argmin(axis=3)
    with pytest.raises(ShapeError, match="argmax: the tensor is empty"):
        Tensor(np.zeros(0)).argmax()
    with pytest.raises(ShapeError, match="argmin: axis 1 of shape"):
        Tensor(np.zeros((2, 0))).argmin(axis=1)


def _values(result: Tensor | np.ndarray) -> np.ndarray:
    return result if isinstance(result, np.ndarray) else result.data


REDUCTIONS = ["sum", "mean", "max", "min", "prod", "var", "std", "logsumexp", "norm"]


@pytest.mark.parametrize("name", REDUCTIONS + ["argmax", "argmin"])
def test_dim_and_keepdim_are_aliases_of_axis_and_keepdims(name) -> None:
    t = Tensor(M)
    numpy_style = getattr(t, name)(axis=1, keepdims=True)
    torch_style = getattr(t, name)(dim=1, keepdim=True)
    mixed = getattr(t, name)(axis=1, keepdim=True)
    for other in (torch_style, mixed):  # Tensors, or int64 arrays for argmax/argmin
        np.testing.assert_array_equal(_values(other), _values(numpy_style))
        assert other.shape == numpy_style.shape
    with pytest.raises(TypeError, match=f"{name}: got both axis=1 and dim=0"):
        getattr(t, name)(axis=1, dim=0)
    with pytest.raises(TypeError, match=f"{name}: got both keepdims= and keepdim="):
        getattr(t, name)(keepdims=True, keepdim=True)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "cumsum"])
def test_dim_alias_of_the_one_axis_methods(name) -> None:
    t = Tensor(M)
    np.testing.assert_array_equal(getattr(t, name)(dim=0).data, getattr(t, name)(axis=0).data)
    with pytest.raises(TypeError, match=f"{name}: got both axis=1 and dim=0"):
        getattr(t, name)(1, dim=0)


def test_gradcheck_of_the_reductions_at_one_point_each() -> None:
    x = Tensor(np.array([[0.3, -1.2, 0.8], [1.1, 0.4, -0.6]]), requires_grad=True)
    for fn in (
        lambda t: t.min(axis=0),
        lambda t: t.prod(axis=(0, 1)),
        lambda t: t.var(axis=1, ddof=1),
        lambda t: t.std(axis=0, keepdims=True),
        lambda t: t.cumsum(axis=0),
        lambda t: t.norm(axis=1),
    ):
        assert gradcheck(fn, x)
        assert gradgradcheck(fn, x)
    numeric = numeric_grads(lambda t: t.std(), [x.data])[0]
    (analytic,) = grad(x.std(), [x])
    np.testing.assert_allclose(analytic.data, numeric, rtol=1e-6)
