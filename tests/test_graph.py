"""Graph control on Tensors: long chains, shared nodes, accumulation, retain_graph,
create_graph (second derivatives, Hessian-vector products), grad(), is_leaf and detach."""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import GraphFreedError, Tensor, grad
from tests.numeric import numeric_grads

rng = np.random.default_rng(11)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# ------------------------------------------------------------------ structure
def test_a_10000_node_chain_backpropagates() -> None:
    x = Tensor([0.5, -0.25], requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001  # each step multiplies the derivative by 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**10_000] * 2, rtol=1e-9)


def test_a_1000000_node_chain_backpropagates_without_recursion() -> None:
    x = Tensor(2.0, requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    assert y.item() == 1_000_002.0
    y.backward()
    assert x.grad.item() == 1.0


def test_a_node_used_twice_gets_both_contributions() -> None:
    x = Tensor([3.0, -2.0], requires_grad=True)
    (x * x).sum().backward()  # d/dx x*x = 2x, both edges point to x
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, -4.0])


def test_shared_subexpression_diamond() -> None:
    data = np.array([0.3, -1.2, 2.0])
    x = Tensor(data, requires_grad=True)
    a = x.tanh()  # shared by both branches
    b = a * 3.0
    c = a.exp()
    d = b * c + a
    d.sum().backward()
    # d = 3 t e^t + t with t = tanh(x):  dd/dt = 3 e^t + 3 t e^t + 1,  dt/dx = 1 - t^2
    t = np.tanh(data)
    np.testing.assert_allclose(x.grad.numpy(), (3 * np.exp(t) * (1 + t) + 1) * (1 - t**2))


def test_gradients_accumulate_across_two_backward_calls() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3 + 2.0, 3 + 4.0])
    x.grad = None  # reset by hand, as in PyTorch
    (x * 5).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0])


def test_backward_on_a_leaf_seeds_it() -> None:
    x = Tensor(4.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_backward_without_create_graph_records_nothing() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x.tanh() * x).sum().backward()
    assert not x.grad.requires_grad
    assert x.grad.is_leaf


# ------------------------------------------------------------------ retain_graph
def test_retain_graph_allows_a_second_backward() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_second_backward_through_a_freed_graph_raises_saying_what_to_do() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True") as info:
        y.backward()
    assert isinstance(info.value, GraphFreedError)
    assert "second time" in str(info.value)


def test_grad_frees_the_graph_unless_told_otherwise() -> None:
    x = Tensor(1.5, requires_grad=True)
    y = x.sigmoid() * x
    grad(y, x)
    with pytest.raises(RuntimeError, match="retain_graph"):
        grad(y, x)
    z = x.sigmoid() * x
    first = grad(z, x, retain_graph=True)[0].item()
    assert grad(z, x)[0].item() == first


def test_a_freed_graph_drops_its_saved_tensors() -> None:
    x = Tensor([1.0], requires_grad=True)
    y = x * x
    node = y.grad_fn
    assert len(node.ctx.saved_tensors) == 2
    y.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        _ = node.ctx.saved_tensors


# ------------------------------------------------------------------ create_graph
def test_second_derivative_of_x_cubed() -> None:
    x = Tensor([2.0, -1.0], requires_grad=True)
    (g,) = grad((x**3).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.numpy(), 3 * np.array([2.0, -1.0]) ** 2)
    assert g.requires_grad
    (h,) = grad(g.sum(), x)
    np.testing.assert_array_equal(h.numpy(), [12.0, -6.0])  # 6x


def test_third_derivative_of_x_cubed_via_backward_create_graph() -> None:
    x = Tensor(1.5, requires_grad=True)
    (x**3).backward(create_graph=True)
    first = x.grad
    (second,) = grad(first, x, create_graph=True)
    (third,) = grad(second, x)
    assert first.item() == pytest.approx(3 * 1.5**2)
    assert second.item() == pytest.approx(6 * 1.5)
    assert third.item() == pytest.approx(6.0)


@pytest.mark.parametrize(
    "method,second",
    [
        # tanh'' = -2 t (1 - t^2)
        ("tanh", lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
        # sigmoid'' = s (1 - s) (1 - 2 s)
        ("sigmoid", lambda x: _sigmoid(x) * (1 - _sigmoid(x)) * (1 - 2 * _sigmoid(x))),
        ("exp", np.exp),
        ("log", lambda x: -1 / x**2),
        ("sqrt", lambda x: -0.25 * x**-1.5),
    ],
)
def test_second_derivatives_of_elementwise_functions(method, second) -> None:
    data = np.array([0.3, 1.1, 2.5])
    x = Tensor(data, requires_grad=True)
    (g,) = grad(getattr(x, method)().sum(), x, create_graph=True)
    (h,) = grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), second(data), rtol=1e-12)


def test_hessian_of_log_softmax() -> None:
    data = rng.normal(size=4)
    w = rng.normal(size=4)
    x = Tensor(data, requires_grad=True)
    f = (x.log_softmax() * w).sum()
    (g,) = grad(f, x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), w - _softmax(data) * w.sum(), rtol=1e-12)
    # H = -sum(w) (diag(s) - s s^T); check each row through a one-hot grad_output
    s = _softmax(data)
    hessian = -w.sum() * (np.diag(s) - np.outer(s, s))
    for i in range(4):
        (row,) = grad(g, x, grad_outputs=Tensor(np.eye(4)[i]), retain_graph=True)
        np.testing.assert_allclose(row.numpy(), hessian[i], rtol=1e-10, atol=1e-14)


def test_second_derivative_of_log_softmax_matches_finite_differences() -> None:
    data = rng.normal(size=(2, 3))
    w = rng.normal(size=(2, 3))
    v = rng.normal(size=(2, 3))

    def first_grad_dot_v(t: Tensor) -> Tensor:
        t = Tensor(t.data, requires_grad=True)
        (g,) = grad((t.log_softmax() * w).sum(), t, create_graph=True)
        return (g * v).sum()

    x = Tensor(data, requires_grad=True)
    (g,) = grad((x.log_softmax() * w).sum(), x, create_graph=True)
    (hv,) = grad((g * v).sum(), x)
    np.testing.assert_allclose(
        hv.numpy(), numeric_grads(first_grad_dot_v, [data])[0], rtol=1e-6, atol=1e-8
    )


def test_hessian_vector_product() -> None:
    # f(x) = 1/2 x^T A x + sum(tanh(x))  ->  H = A_sym + diag(tanh''(x))
    a = rng.normal(size=(3, 3))
    data, v = rng.normal(size=3), rng.normal(size=3)
    x = Tensor(data, requires_grad=True)
    f = 0.5 * (x @ (Tensor(a) @ x)) + x.tanh().sum()
    (g,) = grad(f, x, create_graph=True)
    (hv,) = grad(g, x, grad_outputs=v)
    t = np.tanh(data)
    hessian = 0.5 * (a + a.T) + np.diag(-2 * t * (1 - t**2))
    np.testing.assert_allclose(hv.numpy(), hessian @ v, rtol=1e-10)


def test_mixed_second_derivative_through_matmul() -> None:
    # f = sum(W @ x)^2 ... d/dW of (df/dx . v)
    w_data, x_data, v = rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=3)
    w = Tensor(w_data, requires_grad=True)
    x = Tensor(x_data, requires_grad=True)
    f = ((w @ x) ** 2).sum()
    (gx,) = grad(f, x, create_graph=True)  # 2 W^T W x
    np.testing.assert_allclose(gx.numpy(), 2 * w_data.T @ w_data @ x_data)
    (gw,) = grad((gx * v).sum(), w)  # d/dW 2 v^T W^T W x = 2 W (x v^T + v x^T)
    want = 2 * w_data @ (np.outer(x_data, v) + np.outer(v, x_data))
    np.testing.assert_allclose(gw.numpy(), want, rtol=1e-10)


# ------------------------------------------------------------------ grad()
def test_grad_does_not_touch_dot_grad() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    (g,) = grad((x * x).sum(), x)
    np.testing.assert_array_equal(g.numpy(), [2.0, 4.0])
    assert x.grad is None


def test_grad_with_respect_to_a_non_leaf() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    out = (h * h).sum()
    g_h, g_x = grad(out, [h, x])
    np.testing.assert_array_equal(g_h.numpy(), [6.0, 12.0])  # 2h
    np.testing.assert_array_equal(g_x.numpy(), [18.0, 36.0])  # 2h * 3


def test_grad_gives_zeros_for_an_unused_input() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    unused = Tensor(np.ones((2, 2), dtype=np.float32), requires_grad=True)
    g_x, g_unused = grad((x * x).sum(), [x, unused])
    np.testing.assert_array_equal(g_x.numpy(), [2.0, 4.0])
    assert g_unused.shape == (2, 2) and g_unused.dtype == np.float32
    np.testing.assert_array_equal(g_unused.numpy(), np.zeros((2, 2)))


def test_grad_of_several_outputs_with_grad_outputs() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y1, y2 = x * 2.0, x * x
    (g,) = grad([y1, y2], x, grad_outputs=[np.array([1.0, 1.0]), np.array([10.0, 100.0])])
    np.testing.assert_array_equal(g.numpy(), [2 + 20.0, 2 + 400.0])


def test_grad_refuses_inputs_that_do_not_require_grad_and_bad_grad_outputs() -> None:
    x = Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="input 1 does not require grad"):
        grad((x * 2).sum(), [x, Tensor([1.0])])
    with pytest.raises(ValueError, match="2 grad_outputs for 1 outputs"):
        grad(x * 2, x, grad_outputs=[np.ones(1), np.ones(1)])


def test_backward_on_a_non_scalar_without_grad_says_what_to_pass() -> None:
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\)\. Pass grad="):
        (x * 2).backward()


def test_backward_grad_of_the_wrong_shape_names_both_shapes() -> None:
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match=r"grad has shape \(2,\).*shape \(3,\)"):
        (x * 2).backward(np.ones(2))


def test_backward_on_a_tensor_without_graph_explains() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()


# ------------------------------------------------------------------ is_leaf and detach
def test_is_leaf() -> None:
    x = Tensor([1.0], requires_grad=True)
    c = Tensor([2.0])
    assert x.is_leaf and c.is_leaf
    assert not (x * c).is_leaf
    assert (c * 2).is_leaf  # nothing recorded: a constant is a leaf, as in PyTorch
    assert (x * c).detach().is_leaf


def test_detach_stops_the_gradient() -> None:
    x = Tensor([2.0], requires_grad=True)
    y = x * x
    z = y.detach() * x + y  # d/dx = y + 2x = 4 + 4
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [8.0])
