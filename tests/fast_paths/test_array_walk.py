"""Without create_graph the backward walk carries NumPy arrays, not Tensors.

Gradients become Tensors only where the user gets them (``.grad``, `grad`); rules that are
not `Op.array_backward` and custom Functions still see what they always saw. The op's
context is its graph node (one object per op).
"""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import Context, Function, Tensor, grad
from autograd_lite.engine.context import ContextBase
from autograd_lite.engine.walk import backpropagate


class Twice(Function):
    """y = 2x, recording the type of the gradient its backward receives."""

    seen: list[type] = []

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return 2.0 * x

    @staticmethod
    def backward(ctx: Context, grad_output: np.ndarray) -> np.ndarray:
        Twice.seen.append(type(grad_output))
        return 2.0 * grad_output


def test_node_is_the_ops_context() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    node = y.grad_fn
    assert node.ctx is node and isinstance(node, ContextBase)  # (a dict-less node)
    assert isinstance(x.exp().grad_fn, Context)
    assert node.needs_input_grad == (True, True)
    assert node.input_shapes == ((2,), (2,)) and node.output_meta == (((2,), x.dtype),)


@pytest.mark.parametrize("create_graph", [False, True])
def test_zero_d_gradient_sums_reach_rules_and_leaves_as_arrays(create_graph: bool) -> None:
    # two 0-d contributions meet at the Function's output: NumPy sums them to a scalar
    Twice.seen.clear()
    x = Tensor(1.5, requires_grad=True)
    out = Twice.apply(x)
    (out * 2.0 + out * 3.0).backward(create_graph=create_graph)
    assert Twice.seen == [np.ndarray]
    assert type(x.grad.data) is np.ndarray and x.grad.shape == ()
    assert x.grad.item() == 10.0  # d(5 * 2x)/dx


def test_leaf_gradients_accumulate_as_arrays_over_backward_calls() -> None:
    x = Tensor(2.0, requires_grad=True)
    (x * x).backward()
    (x * 3.0).backward()
    assert type(x.grad.data) is np.ndarray and x.grad.item() == 7.0
    assert not x.grad.requires_grad


def test_grad_returns_tensors_holding_arrays() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    (g,) = grad((x * x).sum(), x)
    assert isinstance(g, Tensor) and type(g.data) is np.ndarray
    np.testing.assert_array_equal(g.data, [2.0, 4.0])


def test_a_broadcast_gradient_summed_to_a_scalar_stays_an_array() -> None:
    # a (3,) gradient summed down to a 0-d input: NumPy's full sum is a scalar
    x = Tensor(2.0, requires_grad=True)
    y = Tensor([1.0, 2.0, 3.0])
    (x + y).sum().backward()
    assert type(x.grad.data) is np.ndarray and x.grad.item() == 3.0


def test_leaves_only_walk_reports_only_leaves() -> None:
    x = Tensor([1.0], requires_grad=True)
    w = Tensor([2.0], requires_grad=True)
    y = (x * w) * w
    reached: list = []
    backpropagate(
        [y.grad_fn],
        [np.ones(1)],
        retain_graph=True,
        create_graph=False,
        on_vertex=lambda vertex, grads: reached.append(vertex),
        leaves_only=True,
    )
    assert {id(v) for v in reached} == {id(x), id(w)} and len(reached) == 2
