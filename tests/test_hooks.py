"""Tensor hooks, retain_grad and backward(inputs=...), checked against gradients derived by
hand for a small layer: z = x @ W + b (b broadcast over the rows), a = tanh(z),
loss = sum(a @ u).

By hand, with G = dloss/da = the row u^T repeated for each of the 4 rows:
dloss/dz = (1 - a^2) * G, dloss/db = column sums of dloss/dz (b was broadcast over rows),
dloss/dW = x^T @ dloss/dz, dloss/dx = dloss/dz @ W^T.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import Function, Tensor, grad

RNG = np.random.default_rng(7)
X = RNG.standard_normal((4, 2))
W0 = RNG.standard_normal((2, 3))
B0 = RNG.standard_normal(3)
U = RNG.standard_normal((3, 1))


def _layer(x_requires_grad: bool = False) -> dict[str, Tensor]:
    x = Tensor(X, requires_grad=x_requires_grad)
    w = Tensor(W0, requires_grad=True)
    b = Tensor(B0, requires_grad=True)
    w.label, b.label = "W", "b"
    z = x @ w + b
    z.label = "z"
    a = z.tanh()
    loss = (a @ Tensor(U)).sum()
    return {"x": x, "W": w, "b": b, "z": z, "a": a, "loss": loss}


def _by_hand() -> dict[str, np.ndarray]:
    a = np.tanh(X @ W0 + B0)
    g_a = np.repeat(U.T, 4, axis=0)
    g_z = (1 - a**2) * g_a
    return {"a": g_a, "z": g_z, "b": g_z.sum(axis=0), "W": X.T @ g_z, "x": g_z @ W0.T}


HAND = _by_hand()


# ---------------------------------------------------------------- what a hook sees
def test_hooks_see_the_hand_derived_gradients_after_broadcast_reduction() -> None:
    t = _layer(x_requires_grad=True)
    seen: dict[str, np.ndarray] = {}
    for name in ("x", "W", "b", "z", "a"):
        t[name].register_hook(lambda g, name=name: seen.__setitem__(name, g.numpy().copy()))
    t["loss"].backward()
    assert seen["b"].shape == (3,)  # the bias's gradient, summed over the 4 rows
    for name in ("x", "W", "b", "z", "a"):
        np.testing.assert_allclose(seen[name], HAND[name], rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(t["b"].grad.numpy(), HAND["b"], rtol=1e-12)


def test_a_non_leaf_bias_hook_sees_the_reduced_shape() -> None:
    b = Tensor(B0, requires_grad=True)
    bias = b * 1.0  # a non-leaf of shape (3,), added to a (4, 3)
    shapes = []
    bias.register_hook(lambda g: shapes.append(g.shape))
    z = Tensor(X @ W0) + bias
    (z.tanh() @ Tensor(U)).sum().backward()
    assert shapes == [(3,)]
    np.testing.assert_allclose(b.grad.numpy(), HAND["b"], rtol=1e-12)


def test_the_hook_gets_a_tensor_that_is_the_total_of_every_path() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    got = []
    y.register_hook(got.append)
    (y * y + y).sum().backward()  # d/dy (y^2 + y) = 2y + 1, in one call
    assert len(got) == 1 and isinstance(got[0], Tensor) and not got[0].requires_grad
    np.testing.assert_array_equal(got[0].numpy(), [7.0, 13.0])


def test_a_hook_on_the_output_sees_the_seed() -> None:
    t = _layer()
    seen = []
    t["loss"].register_hook(lambda g: seen.append(g.item()))
    t["loss"].backward()
    assert seen == [1.0]


# ---------------------------------------------------------------- replacing the gradient
def test_a_replacement_changes_every_gradient_below_it() -> None:
    t = _layer(x_requires_grad=True)
    mask = np.array([[1.0, 0.0, 1.0]] * 4)  # drop the gradient of z's middle column
    t["z"].register_hook(lambda g: g * Tensor(mask))
    t["loss"].backward()
    g_z = HAND["z"] * mask
    np.testing.assert_allclose(t["W"].grad.numpy(), X.T @ g_z, rtol=1e-12)
    np.testing.assert_allclose(t["b"].grad.numpy(), g_z.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(t["x"].grad.numpy(), g_z @ W0.T, rtol=1e-12)


def test_a_leaf_hook_runs_before_accumulation_and_its_result_is_added() -> None:
    t = _layer()
    w = t["W"]
    w.grad = Tensor(np.ones((2, 3)))
    seen = []
    w.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10.0)
    t["loss"].backward()
    np.testing.assert_allclose(seen[0], HAND["W"], rtol=1e-12)  # this pass only, not the sum
    np.testing.assert_allclose(w.grad.numpy(), 1.0 + 10.0 * HAND["W"], rtol=1e-12)


def test_several_hooks_run_in_registration_order_each_seeing_the_last_result() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    order = []

    def first(g):
        order.append(("first", g.numpy().tolist()))
        return g + 1.0

    def second(g):
        order.append(("second", g.numpy().tolist()))
        return g * 2.0

    def third(g):
        order.append(("third", g.numpy().tolist()))  # returns None: keeps what it got

    for hook in (first, second, third):
        y.register_hook(hook)
    y.sum().backward()
    assert order == [("first", [1.0, 1.0]), ("second", [2.0, 2.0]), ("third", [4.0, 4.0])]
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])


def test_remove_takes_the_hook_away_and_may_be_called_twice() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    calls = []
    handle = y.register_hook(lambda g: calls.append(1) or g * 100.0)
    kept = y.register_hook(lambda g: calls.append(2))
    y.sum().backward(retain_graph=True)
    handle.remove()
    handle.remove()
    y.sum().backward(retain_graph=True)
    assert calls == [1, 2, 2]
    np.testing.assert_array_equal(x.grad.numpy(), [200.0 + 2.0] * 2)
    with kept:  # a handle is also a context manager
        pass
    y.sum().backward()
    assert calls == [1, 2, 2]


def test_hooks_on_each_output_of_a_function_with_two_outputs() -> None:
    class Split(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2.0, a * 3.0

        @staticmethod
        def backward(ctx, g_first, g_second):
            return g_first * 2.0 + g_second * 3.0

    a = Tensor([1.0, -1.0], requires_grad=True)
    first, second = Split.apply(a)
    seen = {}
    first.register_hook(lambda g: seen.__setitem__("first", g.numpy().tolist()))
    second.register_hook(lambda g: seen.__setitem__("second", g.numpy().tolist()) or g * 0.0)
    (first * 5.0 + second * 7.0).sum().backward()
    assert seen == {"first": [5.0, 5.0], "second": [7.0, 7.0]}
    np.testing.assert_array_equal(a.grad.numpy(), [10.0, 10.0])  # the second's part zeroed


# ---------------------------------------------------------------- retain_grad
def test_retain_grad_keeps_the_hand_derived_gradients_of_intermediates() -> None:
    t = _layer()
    t["z"].retain_grad()
    t["a"].retain_grad()
    assert t["z"].retains_grad and not t["W"].retains_grad
    t["loss"].backward()
    np.testing.assert_allclose(t["z"].grad.numpy(), HAND["z"], rtol=1e-12)
    np.testing.assert_allclose(t["a"].grad.numpy(), HAND["a"], rtol=1e-12)
    assert t["z"].retains_grad  # still, after the graph was freed
    assert (t["z"] * 2.0).grad is None  # only the tensors asked for


def test_retained_grads_accumulate_over_backward_calls_like_a_leafs() -> None:
    t = _layer()
    t["z"].retain_grad()
    t["loss"].backward(retain_graph=True)
    t["loss"].backward()
    np.testing.assert_allclose(t["z"].grad.numpy(), 2 * HAND["z"], rtol=1e-12)
    np.testing.assert_allclose(t["W"].grad.numpy(), 2 * HAND["W"], rtol=1e-12)


def test_the_retained_grad_is_the_one_after_the_tensors_hooks_and_a_copy() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x + 0.0
    y.retain_grad()
    y.register_hook(lambda g: g * 3.0)  # registered after retain_grad, still runs before it
    y.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [3.0, 3.0])
    assert y.grad.numpy() is not x.grad.numpy()  # Add passes the same array on to x


def test_retain_grad_on_a_leaf_changes_nothing() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.retain_grad()
    assert not x.retains_grad
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


# ---------------------------------------------------------------- create_graph
def test_hooks_under_create_graph_are_recorded_so_the_gradient_has_a_gradient() -> None:
    x = Tensor(1.5, requires_grad=True)
    y = x**2
    z = y**2
    received = []

    def triple(g):
        received.append(g.requires_grad)
        return g * 3.0

    handle = y.register_hook(triple)
    # dz/dy = 2y, tripled: g = dz/dx = 3 * 2y * 2x = 12 x y (= 12 x^3)
    (g_x,) = grad(z, x, create_graph=True, retain_graph=True)
    assert received == [True]  # 2y depends on x: the hook's gradient is part of the graph
    assert g_x.item() == pytest.approx(12 * 1.5**3)
    # dg/dx = 12 y (x directly) + 12 x * dy/dx (through y, whose node g's graph uses):
    # a gradient with respect to y is computed again, so the hook runs again (as PyTorch's
    # does) and triples that second part: 12 x^2 + 3 * 12 x * 2x = 84 x^2
    (gg_x,) = grad(g_x, x, retain_graph=True)
    assert len(received) == 2
    assert gg_x.item() == pytest.approx(84 * 1.5**2)
    handle.remove()  # without it: 12 x^2 + 24 x^2 = 36 x^2, the derivative of 12 x^3
    (gg_x,) = grad(g_x, x)
    assert gg_x.item() == pytest.approx(36 * 1.5**2)


def test_backward_with_create_graph_retains_a_differentiable_grad() -> None:
    x = Tensor(2.0, requires_grad=True)
    y = x**3
    y.retain_grad()
    (y**2).backward(create_graph=True)  # y.grad = 2y = 2x^3
    assert y.grad.item() == 16.0 and y.grad.requires_grad
    (d,) = grad(y.grad, x)
    assert d.item() == 6 * 2.0**2


# ---------------------------------------------------------------- grad()
def test_grad_runs_the_hooks_on_its_way_and_returns_what_they_return() -> None:
    t = _layer()
    z_seen = []
    t["z"].register_hook(lambda g: z_seen.append(1) or g * 2.0)
    t["W"].register_hook(lambda g: g + 1.0)  # an input's hook: grad returns its result
    (g_w,) = grad(t["loss"], t["W"])
    assert z_seen == [1]
    np.testing.assert_allclose(g_w.numpy(), 2 * HAND["W"] + 1.0, rtol=1e-12)
    assert t["W"].grad is None


def test_grad_runs_no_hook_off_its_path_but_fills_retained_grads_on_it() -> None:
    t = _layer()
    b_calls, a_calls = [], []
    t["b"].register_hook(lambda g: b_calls.append(1))  # a leaf grad() was not asked for
    t["a"].register_hook(lambda g: a_calls.append(1))
    t["z"].retain_grad()
    (g_z,) = grad(t["loss"], t["z"])
    assert b_calls == [] and a_calls == [1]  # PyTorch: only the nodes needed for z run
    np.testing.assert_allclose(g_z.numpy(), HAND["z"], rtol=1e-12)
    # retain_grad is a hook, and PyTorch runs it in grad() too
    np.testing.assert_allclose(t["z"].grad.numpy(), HAND["z"], rtol=1e-12)
    assert t["W"].grad is None and t["b"].grad is None


# ---------------------------------------------------------------- backward(inputs=...)
def test_backward_inputs_accumulates_only_into_the_given_leaves() -> None:
    t = _layer(x_requires_grad=True)
    t["loss"].backward(inputs=[t["W"]], retain_graph=True)
    np.testing.assert_allclose(t["W"].grad.numpy(), HAND["W"], rtol=1e-12)
    assert t["b"].grad is None and t["x"].grad is None
    t["loss"].backward(inputs=t["W"])  # one Tensor works too; it accumulates
    np.testing.assert_allclose(t["W"].grad.numpy(), 2 * HAND["W"], rtol=1e-12)
    assert t["b"].grad is None


def test_backward_inputs_runs_only_the_hooks_on_the_way_to_them() -> None:
    t = _layer()
    calls = []
    t["b"].register_hook(lambda g: calls.append("b"))
    t["z"].register_hook(lambda g: calls.append("z"))
    t["loss"].backward(inputs=[t["W"]])
    assert calls == ["z"]


def test_a_non_leaf_input_gets_its_grad_and_is_marked_retain_grad_as_in_pytorch() -> None:
    t = _layer()
    above = []
    t["W"].register_hook(lambda g: above.append("W"))
    t["loss"].backward(inputs=[t["z"]], retain_graph=True)
    np.testing.assert_allclose(t["z"].grad.numpy(), HAND["z"], rtol=1e-12)
    assert t["W"].grad is None and t["b"].grad is None and above == []
    assert t["z"].retains_grad
    t["loss"].backward()  # from now on a plain backward fills z.grad too
    np.testing.assert_allclose(t["z"].grad.numpy(), 2 * HAND["z"], rtol=1e-12)
    np.testing.assert_allclose(t["W"].grad.numpy(), HAND["W"], rtol=1e-12)


# ---------------------------------------------------------------- bad input
def test_register_hook_and_retain_grad_refuse_a_tensor_without_grad() -> None:
    x = Tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't"):
        x.register_hook(lambda g: None)
    with pytest.raises(RuntimeError, match="can't retain_grad on a tensor that has requires_gr"):
        x.retain_grad()
    with pytest.raises(TypeError, match="callable"):
        Tensor(1.0, requires_grad=True).register_hook(3)


def test_a_hook_returning_the_wrong_shape_is_refused_naming_the_tensor_and_both_shapes() -> None:
    t = _layer()
    t["z"].register_hook(lambda g: g.sum(axis=0))
    with pytest.raises(RuntimeError) as info:
        t["loss"].backward()
    message = str(info.value)
    assert "tensor 'z' of shape (4, 3)" in message
    assert "shape (3,)" in message and "shape (4, 3)" in message


def test_a_hook_returning_the_wrong_dtype_is_refused_naming_both_dtypes() -> None:
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = x * 2.0
    y.register_hook(lambda g: Tensor(g.numpy().astype(np.float64)))
    with pytest.raises(RuntimeError) as info:
        y.sum().backward()
    message = str(info.value)
    assert "the tensor of shape (3,) and dtype float32" in message  # no label: its shape
    assert "dtype float64" in message and "dtype float32" in message


def test_a_hook_returning_something_else_than_a_tensor_is_refused() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.label = "x"
    x.register_hook(lambda g: 2.0)
    with pytest.raises(TypeError, match="tensor 'x'.*returned float"):
        (x * x).sum().backward()


def test_backward_inputs_refuses_bad_inputs_before_touching_any_grad() -> None:
    t = _layer()
    other = Tensor([1.0], requires_grad=True)
    other.label = "other"
    with pytest.raises(RuntimeError, match=r"inputs\[1\] \(tensor 'other'.*not part of the graph"):
        t["loss"].backward(inputs=[t["W"], other], retain_graph=True)
    assert t["W"].grad is None  # checked before the walk
    with pytest.raises(RuntimeError, match="does not require grad"):
        t["loss"].backward(inputs=[t["x"]], retain_graph=True)
    with pytest.raises(RuntimeError, match="inputs= is empty"):
        t["loss"].backward(inputs=[], retain_graph=True)
    with pytest.raises(TypeError, match="not a Tensor"):
        t["loss"].backward(inputs=[np.ones(3)], retain_graph=True)
    detached = t["z"].detach().requires_grad_()
    with pytest.raises(RuntimeError, match="not part of the graph"):
        t["loss"].backward(inputs=[detached])
