"""autograd_lite.functional on Tensors: hand-derived Jacobians and Hessians, PyTorch's
nesting of results, create_graph, dtypes, the products against the full matrices, errors.

Numbers are compared at float64 round-off (a few ulps of the values involved).
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite.functional as F
from autograd_lite import Function, Tensor, grad, no_grad
from autograd_lite.errors import ShapeError

RNG = np.random.default_rng(20)


def close(actual, expected):
    """Equal to float64 round-off: a few ulps of the largest magnitude involved."""
    actual = actual.numpy() if isinstance(actual, Tensor) else np.asarray(actual)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=8 * np.finfo(float).eps * scale)


def sech2(z):
    return 1.0 - np.tanh(z) ** 2


# ---------------------------------------------------------------- hand-derived matrices
def test_quadratic_form_with_a_non_symmetric_matrix():
    """f = x^T A x: gradient (A + A^T) x, Hessian A + A^T (not 2A, not A)."""
    A = RNG.normal(size=(4, 4))
    x = RNG.normal(size=4)
    f = lambda t: t @ Tensor(A) @ t  # noqa: E731
    close(F.jacobian(f, Tensor(x)), (A + A.T) @ x)
    close(F.hessian(f, Tensor(x)), A + A.T)


def test_tanh_of_a_linear_map():
    """y = tanh(W x): J = diag(1 - tanh^2(W x)) W, and J w.r.t. W too."""
    W, x = RNG.normal(size=(3, 4)), RNG.normal(size=4)
    s = sech2(W @ x)
    close(F.jacobian(lambda t: (Tensor(W) @ t).tanh(), Tensor(x)), s[:, None] * W)
    J_w = F.jacobian(lambda w: (w @ Tensor(x)).tanh(), Tensor(W))
    assert J_w.shape == (3, 3, 4)
    close(J_w, np.einsum("ik,l->ikl", np.diag(s), x))


def test_softmax():
    """s = softmax(z): J = diag(s) - s s^T."""
    z = RNG.normal(size=5)
    s = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    close(F.jacobian(lambda t: t.softmax(), Tensor(z)), np.diag(s) - np.outer(s, s))


def test_hessian_blocks_of_two_inputs():
    """f(x, y) = sum(exp(x)) * (y . y)."""
    x, y = RNG.normal(size=2), RNG.normal(size=3)
    f = lambda a, b: a.exp().sum() * (b @ b)  # noqa: E731
    H = F.hessian(f, (Tensor(x), Tensor(y)))
    e = np.exp(x)
    close(H[0][0], np.diag(e) * (y @ y))
    close(H[0][1], np.outer(e, 2 * y))
    close(H[1][0], np.outer(2 * y, e))
    close(H[1][1], 2 * e.sum() * np.eye(3))


def test_matrix_input_and_output_shapes():
    """out.shape + in.shape, for 2-D and 0-d tensors."""
    X = RNG.normal(size=(2, 3))
    J = F.jacobian(lambda m: m.exp() * 2.0, Tensor(X))
    assert J.shape == (2, 3, 2, 3)
    close(J.numpy().reshape(6, 6), np.diag(2 * np.exp(X).ravel()))
    assert F.jacobian(lambda m: (m * m).sum(), Tensor(X)).shape == (2, 3)
    assert F.jacobian(lambda a: a * 3.0, Tensor(2.0)).shape == ()
    assert F.hessian(lambda m: (m**3).sum(), Tensor(X)).shape == (2, 3, 2, 3)


# ---------------------------------------------------------------- nesting of results
def test_nesting_follows_pytorch():
    x, y = Tensor([1.0, 2.0]), Tensor([3.0, 4.0, 5.0])
    assert isinstance(F.jacobian(lambda a: a * 2.0, x), Tensor)
    one = F.jacobian(lambda a: a * 2.0, (x,))  # a tuple of one gives a tuple of one
    assert isinstance(one, tuple) and len(one) == 1 and one[0].shape == (2, 2)
    by_input = F.jacobian(lambda a, b: a.sum() * b, (x, y))
    assert [block.shape for block in by_input] == [(3, 2), (3, 3)]
    by_output = F.jacobian(lambda a: (a * 2.0, a.sum()), x)
    assert isinstance(by_output, tuple) and [b.shape for b in by_output] == [(2, 2), (2,)]
    both = F.jacobian(lambda a, b: (a * 2.0, b.sum()), (x, y))
    assert [[b.shape for b in row] for row in both] == [[(2, 2), (2, 3)], [(2,), (3,)]]
    one_hess = F.hessian(lambda a: (a**2).sum(), (x,))
    assert len(one_hess) == 1 and len(one_hess[0]) == 1 and one_hess[0][0].shape == (2, 2)

    out, g = F.vjp(lambda a: (a * 2.0, a.sum()), (x,), (Tensor([1.0, 1.0]), Tensor(1.0)))
    assert isinstance(out, tuple) and isinstance(g, tuple) and len(g) == 1
    out, t = F.jvp(lambda a, b: a * b.sum(), (x, y), (x, y))
    assert isinstance(out, Tensor) and isinstance(t, Tensor) and t.shape == (2,)
    out, h = F.hvp(lambda a: (a**3).sum(), (x,), (x,))
    assert isinstance(out, Tensor) and isinstance(h, tuple) and h[0].shape == (2,)


def test_the_same_tensor_twice_is_two_arguments():
    x = Tensor([2.0, 3.0])
    d_a, d_b = F.jacobian(lambda a, b: a * b * b, (x, x))
    close(d_a, np.diag([4.0, 9.0]))  # b^2, not the total derivative 3 x^2
    close(d_b, np.diag([8.0, 18.0]))  # 2ab


# ---------------------------------------------------------------- products vs matrices
def _two_in_two_out(a, b):
    """a: (3,), b: (2, 2) -> tanh(a) * sum(b) (3,), exp(b) * sum(a) (2, 2)."""
    return a.tanh() * b.sum(), b.exp() * a.sum()


def _full(blocks, out_sizes, in_sizes):
    return np.block(
        [[blocks[k][i].numpy().reshape(m, n) for i, n in enumerate(in_sizes)]
         for k, m in enumerate(out_sizes)]
    )  # fmt: skip


def test_jacobian_of_two_inputs_two_outputs_by_hand():
    a, b = RNG.normal(size=3), RNG.normal(size=(2, 2))
    J = F.jacobian(_two_in_two_out, (Tensor(a), Tensor(b)))
    close(J[0][0], np.diag(sech2(a)) * b.sum())
    close(J[0][1], np.tanh(a)[:, None, None] * np.ones((3, 2, 2)))
    close(J[1][0], np.exp(b)[:, :, None] * np.ones((2, 2, 3)))
    close(J[1][1], np.einsum("ij,ik,jl->ijkl", np.exp(b) * a.sum(), np.eye(2), np.eye(2)))
    forward = F.jacobian(_two_in_two_out, (Tensor(a), Tensor(b)), strategy="forward-mode")
    for row, forward_row in zip(J, forward):
        for block, forward_block in zip(row, forward_row):
            close(forward_block, block.numpy())


def test_vjp_is_v_times_J_and_jvp_is_J_times_v():
    a, b = Tensor(RNG.normal(size=3)), Tensor(RNG.normal(size=(2, 2)))
    J = _full(F.jacobian(_two_in_two_out, (a, b)), [3, 4], [3, 4])
    v_out = (Tensor(RNG.normal(size=3)), Tensor(RNG.normal(size=(2, 2))))
    v_in = (Tensor(RNG.normal(size=3)), Tensor(RNG.normal(size=(2, 2))))
    flat = lambda ts: np.concatenate([t.numpy().ravel() for t in ts])  # noqa: E731
    outputs, vjp = F.vjp(_two_in_two_out, (a, b), v_out)
    close(flat(vjp), flat(v_out) @ J)
    close(flat(outputs), flat(_two_in_two_out(a, b)))
    outputs, jvp = F.jvp(_two_in_two_out, (a, b), v_in)
    close(flat(jvp), J @ flat(v_in))
    assert [t.shape for t in jvp] == [(3,), (2, 2)]


def test_hvp_equals_vhp_equals_H_times_v():
    x, y = RNG.normal(size=3), RNG.normal(size=2)
    f = lambda a, b: (a.tanh().sum() * b.exp().sum()) ** 2  # noqa: E731
    H = _full(F.hessian(f, (Tensor(x), Tensor(y))), [3, 2], [3, 2])
    close(H, H.T)
    v = (Tensor(RNG.normal(size=3)), Tensor(RNG.normal(size=2)))
    out_h, hv = F.hvp(f, (Tensor(x), Tensor(y)), v)
    out_v, vh = F.vhp(f, (Tensor(x), Tensor(y)), v)
    v_flat = np.concatenate([t.numpy() for t in v])
    close(np.concatenate([t.numpy() for t in hv]), H @ v_flat)
    close(np.concatenate([t.numpy() for t in vh]), v_flat @ H)
    close(out_h, f(Tensor(x), Tensor(y)).numpy())
    close(out_v, out_h.numpy())


def test_v_may_be_left_out_for_single_elements_and_arrays_are_accepted():
    _, g = F.vjp(lambda a: (a**2).sum(), Tensor([1.0, 2.0]))
    close(g, [2.0, 4.0])
    _, t = F.jvp(lambda a: a * Tensor([1.0, 2.0]), Tensor(3.0))
    close(t, [1.0, 2.0])
    _, h = F.hvp(lambda a: a**3, Tensor([2.0]))
    close(h, [12.0])
    _, g = F.vjp(lambda a: a * 3.0, Tensor([1.0, 2.0]), np.array([1.0, -1.0]))
    close(g, [3.0, -3.0])


# ---------------------------------------------------------------- create_graph
def test_a_jacobian_made_with_create_graph_can_be_differentiated():
    x = Tensor([1.0, 2.0], requires_grad=True)
    J = F.jacobian(lambda a: a**3, x, create_graph=True)  # diag(3 x^2)
    assert J.requires_grad
    close(grad(J.sum(), x)[0], [6.0, 12.0])
    assert not F.jacobian(lambda a: a**3, x).requires_grad


def test_create_graph_keeps_the_graph_to_tensors_the_function_closes_over():
    """J = diag(1 - t^2) W with t = tanh(W x): d(sum J)/dW_kl = s_k - 2 r_k t_k s_k x_l."""
    W_np, x = RNG.normal(size=(2, 3)), RNG.normal(size=3)
    W = Tensor(W_np, requires_grad=True)
    J = F.jacobian(lambda t: (W @ t).tanh(), Tensor(x), create_graph=True)
    t = np.tanh(W_np @ x)
    s, r = 1 - t**2, W_np.sum(axis=1)
    close(grad(J.sum(), W)[0], s[:, None] * np.ones(3) - (2 * r * t * s)[:, None] * x)


def test_create_graph_for_the_products_and_hessian():
    x = Tensor([1.0, 2.0], requires_grad=True)
    cube = lambda a: (a**3).sum()  # noqa: E731  H = diag(6x), third derivative 6
    H = F.hessian(cube, x, create_graph=True)
    close(grad(H.sum(), x)[0], [6.0, 6.0])
    for transform in (F.hvp, F.vhp):
        _, hv = transform(cube, x, Tensor([1.0, 1.0]), create_graph=True)
        close(grad(hv.sum(), x)[0], [6.0, 6.0])
    _, jv = F.jvp(lambda a: a**3, x, Tensor([1.0, 1.0]), create_graph=True)  # 3x^2
    close(grad(jv.sum(), x)[0], [6.0, 12.0])
    _, g = F.vjp(cube, x, create_graph=True)
    close(grad(g.sum(), x)[0], [6.0, 12.0])


# ---------------------------------------------------------------- dtypes, purity, modes
def test_float32_in_float32_out():
    x = Tensor(np.array([0.5, -1.0], dtype=np.float32))
    v = Tensor(np.array([1.0, 2.0], dtype=np.float32))
    f = lambda a: (a.tanh() * a).sum()  # noqa: E731
    g = lambda a: a.exp() * 2.0  # noqa: E731
    results = [
        *F.vjp(f, x),
        *F.jvp(g, x, v),
        F.jacobian(g, x),
        F.jacobian(g, x, strategy="forward-mode"),
        F.hessian(f, x),
        *F.hvp(f, x, v),
        *F.vhp(f, x, v),
    ]
    assert [r.dtype for r in results] == [np.float32] * len(results)


def test_inputs_untouched_and_results_detached():
    w = Tensor([1.0, 2.0], requires_grad=True)
    x = Tensor([3.0, 4.0])
    before = x.numpy().copy()
    f = lambda a: (a * w).tanh().sum()  # noqa: E731
    results = [
        *F.vjp(f, x),
        F.jacobian(f, x),
        F.hessian(f, x),
        *F.hvp(f, x, x),
        *F.vhp(f, x, x),
        *F.jvp(f, x, x),
    ]
    assert all(not r.requires_grad for r in results)
    assert not x.requires_grad and x.grad is None and w.grad is None
    np.testing.assert_array_equal(x.numpy(), before)


def test_works_under_no_grad():
    with no_grad():
        J = F.jacobian(lambda a: a * a, Tensor([1.0, 2.0]))
        _, h = F.hvp(lambda a: (a**3).sum(), Tensor([1.0, 2.0]), Tensor([1.0, 1.0]))
    close(J, np.diag([2.0, 4.0]))
    close(h, [6.0, 12.0])


def test_unused_inputs_get_zeros_unless_strict():
    f = lambda a, b: a * 2.0  # noqa: E731
    x, y = Tensor([1.0, 2.0]), Tensor([3.0])
    J = F.jacobian(f, (x, y))
    close(J[1], np.zeros((2, 1)))
    _, g = F.vjp(f, (x, y), Tensor([1.0, 1.0]))
    close(g[1], [0.0])
    close(F.hessian(lambda a, b: (a**2).sum(), (x, y))[1][1], np.zeros((1, 1)))
    close(F.jacobian(lambda a: Tensor([5.0]), x), np.zeros((1, 2)))  # a constant output
    with pytest.raises(RuntimeError, match="output 0 of .* does not depend on input 1"):
        F.jacobian(f, (x, y), strict=True)
    with pytest.raises(RuntimeError, match="does not depend on input 1"):
        F.vjp(f, (x, y), Tensor([1.0, 1.0]), strict=True)
    with pytest.raises(RuntimeError, match="does not require grad"):
        F.jvp(lambda a: Tensor([5.0]), x, x, strict=True)
    with pytest.raises(RuntimeError, match="linear"):  # the gradient of a linear f is constant
        F.hessian(lambda a: (a * 3.0).sum(), x, strict=True)
    with pytest.raises(RuntimeError, match="linear"):
        F.vhp(lambda a: (a * 3.0).sum(), x, x, strict=True)


def test_strategy_and_strict_like_pytorch():
    with pytest.raises(ValueError, match="strategy"):
        F.jacobian(lambda a: a, Tensor([1.0]), strategy="sideways")
    with pytest.raises(RuntimeError, match="forward-mode"):
        F.jacobian(lambda a: a, Tensor([1.0]), strict=True, strategy="forward-mode")


# ---------------------------------------------------------------- errors
def test_v_of_the_wrong_shape_names_function_argument_and_shapes():
    def double(a):
        return a * 2.0

    x = Tensor([1.0, 2.0])
    message = r"vjp: v has shape \(3,\) but the output of .*double has shape \(2,\)"
    with pytest.raises(ShapeError, match=message):
        F.vjp(double, x, Tensor([1.0, 2.0, 3.0]))
    with pytest.raises(RuntimeError, match=message):  # PyTorch's type too
        F.vjp(double, x, Tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ShapeError, match=r"jvp: v\[1\] has shape \(1,\) but element 1 of"):
        F.jvp(lambda a, b: a * b, (x, x), (x, Tensor([1.0])))
    with pytest.raises(ShapeError, match="hvp: v has shape"):
        F.hvp(lambda a: (a**2).sum(), x, Tensor([[1.0, 2.0]]))
    with pytest.raises(ShapeError, match="v has 2 tensors"):
        F.vhp(lambda a: (a**2).sum(), x, (x, x))


def test_v_left_out_for_more_than_one_element():
    x = Tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"vjp: v can be left out only .* \(2,\)"):
        F.vjp(lambda a: a * 2.0, x)
    for transform in (F.jvp, F.hvp, F.vhp):
        with pytest.raises(RuntimeError, match="v can be left out only when the input"):
            transform(lambda a: (a**2).sum(), x)


def test_func_returning_a_non_tensor():
    x = Tensor([1.0, 2.0])

    def as_list(a):
        return [a, a]

    with pytest.raises(TypeError, match=r"jacobian: the output of .*as_list .* not a list"):
        F.jacobian(as_list, x)
    with pytest.raises(TypeError, match="the output of .* is a float"):
        F.vjp(lambda a: 1.0, x)
    with pytest.raises(TypeError, match="element 1 of the output of .* is a ndarray"):
        F.jvp(lambda a: (a, np.ones(2)), x, x)
    with pytest.raises(TypeError, match="inputs must be a Tensor or a tuple"):
        F.jacobian(lambda a: a, [x])
    with pytest.raises(TypeError, match="inputs are Values"):
        from autograd_lite import Value

        F.vjp(lambda a: a, Value(1.0))


def test_hessian_and_products_of_a_non_scalar():
    x = Tensor([1.0, 2.0])

    def square(a):
        return a * a

    for transform, args in ((F.hessian, ()), (F.hvp, (x,)), (F.vhp, (x,))):
        with pytest.raises(RuntimeError, match=r"square returned a Tensor of shape \(2,\)"):
            transform(square, x, *args)
    with pytest.raises(RuntimeError, match="single Tensor .* not a tuple"):
        F.hessian(lambda a: (a.sum(),), x)


class _Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x**2


def test_second_order_through_a_custom_function_refuses_instead_of_a_wrong_zero():
    x = Tensor([1.0, 2.0])
    close(F.jacobian(_Cube.apply, x), np.diag([3.0, 12.0]))  # first order: fine
    _, g = F.vjp(lambda a: _Cube.apply(a).sum(), x)
    close(g, [3.0, 12.0])
    with pytest.raises(RuntimeError, match="custom Function _Cube"):
        F.jvp(_Cube.apply, x, x)
    for transform, args in ((F.hessian, ()), (F.hvp, (x,)), (F.vhp, (x,))):
        with pytest.raises(RuntimeError, match="differentiable once"):
            transform(lambda a: _Cube.apply(a).sum(), x, *args)
    with pytest.raises(RuntimeError, match="forward-mode"):
        F.jacobian(_Cube.apply, x, strategy="forward-mode")


def test_forward_mode_outer_jacobian_of_the_hessian_agrees():
    x, y = Tensor(RNG.normal(size=3)), Tensor(RNG.normal(size=2))
    f = lambda a, b: (a.tanh().sum() * b.exp().sum()) ** 2  # noqa: E731
    reverse = F.hessian(f, (x, y))
    forward = F.hessian(f, (x, y), outer_jacobian_strategy="forward-mode")
    for row, forward_row in zip(reverse, forward):
        for block, forward_block in zip(row, forward_row):
            close(forward_block, block.numpy())
