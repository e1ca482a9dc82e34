"""The PyTorch habits of API.md, each tried as a new user would: transpose(0, 1), in-place
``+= -= *= /=`` and ``t[index] = value`` with PyTorch's rules, ``np.asarray(t)``, NumPy
ufuncs on a Tensor, ``abs(t)`` and ``~ & | ^`` on boolean tensors."""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import (
    InplaceModificationError,
    ShapeError,
    Tensor,
    gradcheck,
    gradgradcheck,
    no_grad,
)


# ---------------------------------------------------------------- the transpose trap
def test_transpose_0_1_on_a_matrix_says_to_write_T_or_swapaxes() -> None:
    m = Tensor(np.arange(6.0).reshape(2, 3))
    with pytest.raises(ShapeError, match=r"transpose\(0, 1\) on a 2-D tensor.*\.T or swapaxes"):
        m.transpose(0, 1)
    with pytest.raises(ShapeError, match=r"write \.T or swapaxes\(-2, -1\)"):
        m.transpose(-2, -1)
    assert m.transpose(1, 0).shape == (3, 2)  # the swap in NumPy and PyTorch alike
    assert m.transpose().shape == m.T.shape == m.swapaxes(0, 1).shape == (3, 2)
    assert m.transpose((0, 1)).shape == (2, 3)  # one tuple: NumPy's explicit permutation


def test_two_axes_on_more_dimensions_give_the_same_hint() -> None:
    t = Tensor(np.zeros((2, 3, 4)))
    with pytest.raises(ShapeError, match=r"transpose\(0, 2\) on a 3-D tensor .* swapaxes\(0, 2\)"):
        t.transpose(0, 2)
    assert t.transpose(2, 0, 1).shape == (4, 2, 3)


# ---------------------------------------------------------------- in-place arithmetic
def test_manual_sgd_update_under_no_grad_changes_the_tensor_itself() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    array, same = w.numpy(), w
    (w * w).sum().backward()
    with no_grad():
        w -= 0.1 * w.grad
    assert w is same and w.numpy() is array  # updated in place, not rebound
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6])
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    (w * w).sum().backward()  # the next step works: w is still the leaf
    np.testing.assert_allclose(w.grad.numpy(), [2.0 + 1.6, 4.0 + 3.2])


def test_an_update_a_saved_value_needed_makes_that_backward_raise() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()  # Mul saved w
    with no_grad():
        w -= 0.5
    with pytest.raises(InplaceModificationError, match=r"Mul: input 0 .* modified in place"):
        loss.backward()


def test_views_see_an_update_made_without_recording() -> None:
    x = Tensor(np.zeros((2, 2)))
    row = x[0]  # a view of x's array
    x += 1.0
    np.testing.assert_array_equal(row.numpy(), [1.0, 1.0])
    row *= 3.0  # and the other way round
    np.testing.assert_array_equal(x.numpy(), [[3.0, 3.0], [1.0, 1.0]])


@pytest.mark.parametrize("symbol", ["+=", "-=", "*=", "/="])
def test_every_operator_on_a_tensor_needing_no_gradient(symbol: str) -> None:
    x = Tensor(np.array([[2.0, 4.0], [6.0, 8.0]], dtype=np.float32))
    version, data = x._version, x.numpy()
    expected = {"+=": data + 2.0, "-=": data - 2.0, "*=": data * 2.0, "/=": data / 2.0}[symbol]
    namespace = {"x": x, "y": np.float64(2.0)}
    exec(f"x {symbol} y", namespace)
    assert namespace["x"] is x and x.numpy() is data and x.dtype == np.float32
    np.testing.assert_array_equal(x.numpy(), expected)
    assert x._version > version
    exec(f"x {symbol} Tensor([1.0, 2.0])", {"x": x, "Tensor": Tensor})  # broadcast in


def test_a_leaf_requiring_grad_refuses_in_place_outside_no_grad() -> None:
    w = Tensor([1.0], requires_grad=True)
    for update in ("w += 1", "w -= 1", "w *= 2", "w /= 2", "w[0] = 3.0"):
        with pytest.raises(RuntimeError, match=r"a leaf tensor that requires grad .* no_grad"):
            exec(update, {"w": w})
    assert w.item() == 1.0 and w._version == 0


def test_in_place_on_a_non_leaf_is_recorded_as_an_op() -> None:
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 2.0
    node = h.grad_fn
    h += x * x  # h = 2x + x^2
    assert h.grad_fn is not node and h.grad_fn.name == "Add"
    h *= x  # h = 2x^2 + x^3
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * x.numpy() + 3 * x.numpy() ** 2)

    def f(x: Tensor) -> Tensor:
        h = x * 2.0
        h += x * x
        h *= x
        h /= x + 5.0
        h -= 1.0
        return h

    assert gradcheck(f, x) and gradgradcheck(f, x)


def test_a_non_leaf_whose_old_value_was_saved_raises_at_backward() -> None:
    x = Tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()  # Exp saves its output y for backward
    y += 1.0
    with pytest.raises(InplaceModificationError, match=r"Exp: output 0 .* modified in place"):
        y.sum().backward()
    z = x * 3.0  # Mul saved x and 3, not z: the update is fine
    z += 1.0
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_a_tensor_needing_no_grad_updated_by_one_that_does_joins_the_graph() -> None:
    total = Tensor(np.zeros(2))
    x = Tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        total += x * x
    assert total.requires_grad and not total.is_leaf
    total.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 12.0])


def test_float32_keeps_its_dtype_in_a_recorded_update() -> None:
    x = Tensor(np.float32([1.0, 2.0]), requires_grad=True)
    h = x * 1.0
    h += Tensor([0.5, 0.5], requires_grad=True)  # float64 operand
    assert h.dtype == np.float32


def test_in_place_errors() -> None:
    x = Tensor(np.zeros(3))
    with pytest.raises(ShapeError, match=r"\+=: shapes \(3,\) and \(2, 3\) give shape \(2, 3\)"):
        x += np.ones((2, 3))
    with pytest.raises(ShapeError, match=r"-=: shapes \(3,\) and \(2,\) do not broadcast"):
        x -= np.ones(2)
    mask = x > 0
    with pytest.raises(TypeError, match=r"\*=: a boolean Tensor .* has no in-place arithmetic"):
        mask *= 2
    with pytest.raises(TypeError, match=r"^\+=: cannot combine a Tensor of shape \(3,\) with str"):
        x += "a"
    frozen = Tensor(np.broadcast_to(np.ones(1), (3,)))
    with pytest.raises(ValueError, match=r"/=: this tensor's array is read-only"):
        frozen /= 2


# ---------------------------------------------------------------- t[index] = value
def test_setitem_without_recording_writes_into_the_array() -> None:
    x = Tensor(np.zeros((2, 3)))
    array = x.numpy()
    x[0, 1:] = 5.0
    x[1] = Tensor([1.0, 2.0, 3.0])
    x[x > 4] = -1.0  # a boolean mask index (a Tensor)
    np.testing.assert_array_equal(array, [[0, -1, -1], [1, 2, 3]])
    assert x._version > 0
    w = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        w[0] = 0.0
    assert w.is_leaf and w.numpy()[0] == 0.0


def test_setitem_on_a_non_leaf_sends_gradients_to_the_value_and_the_rest() -> None:
    x = Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    v = Tensor(10.0, requires_grad=True)
    h = x * 2.0
    h[1:3] = v  # broadcast into two places
    np.testing.assert_array_equal(h.numpy(), [2.0, 10.0, 10.0, 8.0])
    (h * Tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 0.0, 0.0, 8.0])  # untouched part only
    assert v.grad.item() == 2.0 + 3.0  # summed to the value's shape

    def f(x: Tensor, v: Tensor) -> Tensor:
        h = x * x
        h[::2] = v * 3.0
        h[-1] = v.sum() * h[0]
        return h

    xs = Tensor([0.5, -1.0, 2.0], requires_grad=True)
    vs = Tensor([1.5, 0.7], requires_grad=True)
    assert gradcheck(f, (xs, vs)) and gradgradcheck(f, (xs, vs))


def test_setitem_value_with_leading_size_one_axes_as_numpy_allows() -> None:
    v = Tensor([[7.0, 8.0]], requires_grad=True)  # (1, 2) into a (2,) slot
    h = Tensor(np.zeros((2, 2)), requires_grad=True) * 1.0
    h[0] = v
    h.sum().backward()
    assert v.grad.shape == (1, 2)


def test_setitem_errors_name_it() -> None:
    h = Tensor(np.zeros((2, 3)), requires_grad=True) * 1.0
    with pytest.raises(ShapeError, match=r"setitem: a value of shape \(2,\) does not fit"):
        h[0] = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(IndexError, match=r"setitem: .*tensor shape \(2, 3\)"):
        h[5] = 1.0
    x = Tensor(np.zeros(3))
    with pytest.raises(ShapeError, match=r"setitem: a value of shape \(2,\) does not fit"):
        x[:] = np.ones(2)
    with pytest.raises(IndexError, match=r"setitem: .*tensor shape \(3,\)"):
        x[4] = 1.0


# ---------------------------------------------------------------- NumPy protocols
def test_np_asarray_gives_the_data() -> None:
    t = Tensor([1.0, 2.0], requires_grad=True)
    assert np.asarray(t) is t.numpy()
    copied = np.array(t)
    assert copied.dtype == np.float64 and not np.shares_memory(copied, t.numpy())
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert np.asarray([t, t]).shape == (2, 2)  # not an object array of Tensors


def test_ndarray_operators_with_a_tensor_give_tensors_with_gradients() -> None:
    a = np.array([1.0, 2.0])
    t = Tensor([3.0, 4.0], requires_grad=True)
    results = [a + t, a - t, a * t, a / t, a**t, a @ t, np.float64(2.0) * t]
    assert all(isinstance(r, Tensor) and r.requires_grad for r in results)
    np.testing.assert_allclose((a - t).numpy(), [-2.0, -2.0])
    (a / t).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), -a / np.array([9.0, 16.0]))
    comparisons = [a < t, a <= t, a > t, a >= t, a == t, a != t]
    assert all(isinstance(c, Tensor) and c.dtype == np.bool_ for c in comparisons)
    np.testing.assert_array_equal((a < t).numpy(), [True, True])
    np.testing.assert_array_equal((np.array([3.0, 0.0]) == t).numpy(), [True, False])
    assert np.add(t, a).requires_grad  # a direct ufunc call with an operator's ufunc


def test_other_ufuncs_name_the_tensor_method() -> None:
    t = Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"np.exp\(t\) on a Tensor: use t.exp\(\)"):
        np.exp(t)
    with pytest.raises(TypeError, match=r"np.absolute\(t\) on a Tensor: use abs\(t\)"):
        np.abs(t)
    with pytest.raises(TypeError, match=r"np.maximum\(t\) on a Tensor: use autograd_lite.maximum"):
        np.maximum(t, 0.0)
    with pytest.raises(TypeError, match=r"np.arctan2 does not take Tensors"):
        np.arctan2(t, t)
    with pytest.raises(TypeError, match=r"np.add.reduce does not take Tensors"):
        np.add.reduce(t)
    a = np.zeros(2)
    with pytest.raises(TypeError, match=r"ndarray \+= tensor.*array = array \+ t.numpy\(\)"):
        a += t


def test_abs_builtin() -> None:
    x = Tensor([-2.0, 3.0], requires_grad=True)
    y = abs(x)
    np.testing.assert_array_equal(y.numpy(), [2.0, 3.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-1.0, 1.0])


def test_boolean_operators_on_masks() -> None:
    t = Tensor([-1.0, 0.5, 2.0])
    low, high = t < 1.0, t > 0.0
    np.testing.assert_array_equal((~low).numpy(), [False, False, True])
    np.testing.assert_array_equal((low & high).numpy(), [False, True, False])
    np.testing.assert_array_equal((low | high).numpy(), [True, True, True])
    np.testing.assert_array_equal((low ^ high).numpy(), [True, False, True])
    np.testing.assert_array_equal(
        (np.array([True, False, True]) & high).numpy(), [False, False, True]
    )
    np.testing.assert_array_equal((True ^ high).numpy(), [True, False, False])
    mixed = low & high
    assert mixed.dtype == np.bool_ and not mixed.requires_grad
    with pytest.raises(TypeError, match=r"~: only boolean Tensors .* this one is float64"):
        _ = ~t
    with pytest.raises(TypeError, match=r"&: only boolean Tensors"):
        t & low
    with pytest.raises(TypeError, match=r"\|: the other operand must be boolean too"):
        low | t
    with pytest.raises(ShapeError, match=r"\^: shapes \(3,\) and \(2,\) do not broadcast"):
        low ^ np.array([True, False])


def test_scaling_one_leaf_gradient_in_place_leaves_the_others_alone() -> None:
    # a + b hands the same gradient array to both leaves, and a reshape hands on the
    # caller's seed: each .grad must own its array once in-place updates of .grad exist
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    with no_grad():
        a.grad *= 0.5
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])
    x = Tensor(np.zeros(4), requires_grad=True)
    seed = np.ones((2, 2))
    x.reshape(2, 2).backward(seed)
    x.grad -= 1.0  # x.grad needs no gradient: an update in place
    np.testing.assert_array_equal(seed, np.ones((2, 2)))
