"""einsum: NumPy's values for every kind of subscript, gradients (first and second) against
finite differences, a hand-computed gradient, and clear errors for malformed subscripts."""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import Tensor, einsum, grad, gradcheck, gradgradcheck

rng = np.random.default_rng(11)


def _r(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


CASES = [
    ("ij,jk->ik", [_r(2, 3), _r(3, 4)]),  # matrix product
    ("ij,jk", [_r(2, 3), _r(3, 2)]),  # implicit output
    ("i j , j k -> i k", [_r(2, 3), _r(3, 2)]),  # spaces, as NumPy
    ("ii->i", [_r(3, 3)]),  # diagonal
    ("ii", [_r(3, 3)]),  # trace
    ("iij->ij", [_r(2, 2, 3)]),  # a repeated index with another one
    ("iji->j", [_r(2, 3, 2)]),
    ("ij->", [_r(2, 3)]),  # sum of everything
    ("ij->j", [_r(2, 3)]),  # an index summed within its operand only
    ("ij->ji", [_r(2, 3)]),  # transpose
    ("i,j->ij", [_r(2), _r(3)]),  # outer product
    ("i,i->", [_r(4), _r(4)]),  # dot
    ("i,", [_r(3), np.array(2.0)]),  # a 0-d operand
    ("", [np.array(1.5)]),
    ("...ij,...jk->...ik", [_r(2, 1, 2, 3), _r(4, 3, 2)]),  # batched, broadcast batch
    ("...ij,...jk", [_r(5, 2, 3), _r(3, 2)]),  # ellipsis covering nothing for one operand
    ("i...->...", [_r(2, 3, 4)]),
    ("...ii->...i", [_r(2, 3, 3)]),
    ("ij,ij->ij", [_r(1, 3), _r(2, 3)]),  # a size-1 dimension broadcasts
    ("ij,i->j", [_r(1, 2), _r(3)]),  # ... in either operand
    ("bhqd,bhkd->bhqk", [_r(2, 2, 3, 4), _r(2, 2, 5, 4)]),  # attention scores
    ("ij,jk,kl->il", [_r(2, 3), _r(3, 2), _r(2, 2)]),  # three operands
    ("Ba,aB", [_r(2, 3), _r(3, 2)]),  # upper-case indices
    ("ba", [_r(2, 3)]),  # implicit output is alphabetical: a transpose
    ("aB", [_r(2, 3)]),  # and upper case comes first: 'Ba'
]


@pytest.mark.parametrize("subscripts, arrays", CASES, ids=[c[0] for c in CASES])
def test_values_match_numpy(subscripts: str, arrays: list[np.ndarray]) -> None:
    result = einsum(subscripts, *[Tensor(a) for a in arrays])
    expected = np.einsum(subscripts, *arrays)
    assert result.shape == np.shape(expected)
    np.testing.assert_allclose(result.data, expected, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("subscripts, arrays", CASES, ids=[c[0] for c in CASES])
def test_first_and_second_derivatives_against_finite_differences(
    subscripts: str, arrays: list[np.ndarray]
) -> None:
    inputs = [Tensor(a, requires_grad=True) for a in arrays]
    assert gradcheck(lambda *xs: einsum(subscripts, *xs), inputs)
    assert gradgradcheck(lambda *xs: einsum(subscripts, *xs) ** 2, inputs)


def test_gradient_by_hand() -> None:
    a = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = Tensor([[5.0, 6.0], [7.0, 8.0]], requires_grad=True)
    g = np.array([[1.0, 0.0], [2.0, -1.0]])
    einsum("ij,jk->ik", a, b).backward(g)
    np.testing.assert_array_equal(a.grad.data, g @ b.data.T)
    np.testing.assert_array_equal(b.grad.data, a.data.T @ g)
    # the diagonal's gradient lives on the diagonal; the trace's is g times the identity
    x = Tensor(np.arange(9.0).reshape(3, 3), requires_grad=True)
    einsum("ii->i", x).backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad.data, np.diag([1.0, 2.0, 3.0]))
    x.grad = None
    einsum("ii", x).backward(np.array(5.0))
    np.testing.assert_array_equal(x.grad.data, 5 * np.eye(3))


def test_zero_size_dimensions_broadcast_from_one() -> None:
    # found by the fuzz test: j is 0 in one operand and 1 in the other, so it is 0; the
    # gradient of the size-1 operand comes back through ones(0), not at size 1
    a = Tensor(np.zeros((0, 0, 0)), requires_grad=True)
    b = Tensor(np.zeros((0, 1)), requires_grad=True)
    y = einsum("ijk,ij", a, b)
    assert y.shape == np.einsum("ijk,ij", a.data, b.data).shape == (0,)
    y.backward(np.ones(0))
    assert a.grad.shape == (0, 0, 0) and b.grad.shape == (0, 1)
    c = Tensor(np.ones((2, 1)), requires_grad=True)
    einsum("ij,ij->i", c, np.ones((2, 0))).backward(np.ones(2))
    np.testing.assert_array_equal(c.grad.data, [[0.0], [0.0]])  # an empty sum


def test_same_tensor_twice_accumulates_and_arrays_are_operands() -> None:
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    einsum("i,i->", x, x).backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0, 6.0])  # d(x.x) = 2x
    np.testing.assert_array_equal(einsum("i,i", [1.0, 2.0], np.ones(2)).data, 3.0)


def test_float32_stays_float32() -> None:
    a = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    y = einsum("ij->i", a)
    y.sum().backward()
    assert y.dtype == np.float32 and a.grad.dtype == np.float32


def test_gradient_of_a_gradient_through_einsum() -> None:
    # f(x) = x^T A x: df/dx = (A + A^T) x, d2f/dx2 = A + A^T
    matrix = np.array([[1.0, 2.0], [0.5, 3.0]])
    x = Tensor([0.3, -0.7], requires_grad=True)
    (first,) = grad(einsum("i,ij,j->", x, matrix, x), [x], create_graph=True)
    np.testing.assert_allclose(first.data, (matrix + matrix.T) @ x.data)
    hessian = np.stack([grad(first[i], [x], retain_graph=True)[0].data for i in range(2)])
    np.testing.assert_allclose(hessian, matrix + matrix.T)


@pytest.mark.parametrize(
    "subscripts, shapes, message",
    [
        ("ij,jk", [(2, 3)], r"malformed subscripts 'ij,jk': 2 input term\(s\) for 1 operand"),
        ("ij->j->", [(2, 3)], "'->' appears more than once"),
        ("i.j", [(2, 3)], "a '.' that is not part of '...' in operand 0"),
        ("....", [(2, 3)], "'...' appears more than once|a '.' that is not part"),
        ("i1", [(2, 3)], "'1' in operand 0 .*letters"),
        ("ijk", [(2, 3)], r"term 'ijk' has 3 letter\(s\) for operand 0 of 2 dimension"),
        ("ijk...", [(2, 3)], r"operand 0 has 2 dimension\(s\) .* but 3 letters"),
        ("i->ii", [(3,)], "output index 'i' appears more than once"),
        ("ij->k", [(2, 3)], "output index 'k' is not an index of any operand"),
        ("...i->i", [(2, 3)], "no '...' to put them in"),
        ("ij,jk->ik", [(2, 3), (4, 5)], r"do not fit operand shapes \(2, 3\), \(4, 5\)"),
        ("ii", [(2, 3)], r"do not fit operand shapes \(2, 3\)"),
        ("ij->i,", [(2, 3)], "',' in the output"),
        ("", [], "einsum: needs at least one operand"),
    ],
)
def test_malformed_subscripts_raise_a_value_error_naming_einsum(subscripts, shapes, message):
    with pytest.raises(ValueError, match=message) as info:
        einsum(subscripts, *[Tensor(np.ones(s)) for s in shapes])
    assert str(info.value).startswith("einsum: ")


def test_subscripts_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="einsum: subscripts must be a string"):
        einsum(Tensor([1.0]), Tensor([1.0]))  # the operand first, by mistake


def test_a_repeated_index_of_unequal_sizes_is_refused_even_with_a_zero() -> None:
    # np.einsum takes '...ii->...i' on shape (0, 2) (a 0 beside a 2), whose gradient cannot
    # be written back; the engine refuses it by name (found by the fuzz test)
    x = Tensor(np.zeros((0, 2), np.float32), requires_grad=True)
    with pytest.raises(ValueError, match=r"index 'i' repeats with sizes 0 and 2"):
        einsum("...ii->...i", x)
