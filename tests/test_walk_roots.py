"""The Tensor walk with several roots (`autograd_lite.grad` with several outputs): a root
below another root, the same root twice, and on_vertex handing each total over once."""

from __future__ import annotations

import numpy as np

from autograd_lite import Tensor, grad
from autograd_lite.engine.walk import backpropagate


def _diamond() -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """x -> a = x * x, b = a + x, y = a * b: x and a are each reached along two edges."""
    x = Tensor(3.0, requires_grad=True)
    a = x * x
    b = a + x
    return x, a, b, a * b


def test_a_root_that_is_also_below_another_root_waits_for_it() -> None:
    x, a, _, y = _diamond()
    (dx,) = grad([a, y], [x])
    # y = a * b with a = 9, b = 12: dy/da = b + a = 21, dy/db = a = 9; a's own seed adds 1,
    # so x gets 2x * (21 + 1) + 9 (x reaches y through b as well)
    assert dx.item() == 6.0 * 22.0 + 9.0


def test_the_same_root_twice_adds_both_seeds() -> None:
    x = Tensor(2.0, requires_grad=True)
    y = x * x
    (dx,) = grad([y, y], [x], grad_outputs=[np.array(1.0), np.array(0.5)])
    assert dx.item() == 1.5 * 4.0


def test_on_vertex_gets_each_total_once_and_the_walk_returns_nothing() -> None:
    x, a, b, y = _diamond()
    seen: dict[int, list] = {}

    def record(vertex: object, grads: list) -> None:
        assert id(vertex) not in seen, "a vertex was handed over twice"
        seen[id(vertex)] = [float(g) for g in grads]

    totals = backpropagate(
        [y._vertex()], [np.array(2.0)], retain_graph=True, create_graph=False, on_vertex=record
    )
    assert totals == {}
    # every total scaled by the seed 2: dy/dx = 2x * 21 + 9 = 135
    assert seen[id(x)] == [270.0]
    assert seen[id(a._vertex())] == [42.0] and seen[id(b._vertex())] == [18.0]


def test_without_on_vertex_the_walk_returns_every_total() -> None:
    x, a, _, y = _diamond()
    totals = backpropagate([y._vertex()], [np.array(1.0)], retain_graph=True, create_graph=False)
    assert [float(g) for g in totals[x]] == [135.0]
    assert [float(g) for g in totals[a._vertex()]] == [21.0]
    assert x.grad is None  # returning totals writes no .grad


def test_walk_steps_pauses_the_same_walk_and_ends_with_backwards_totals() -> None:
    from autograd_lite.engine.walk import backward_order, walk_steps

    x = Tensor([1.0, -2.0], requires_grad=True)
    w = Tensor([3.0, 0.5], requires_grad=True)
    y = (x * w).tanh() * x
    loss = y.sum()
    steps = walk_steps([loss._vertex()], [np.ones(())], retain_graph=True)
    seen, totals = [], {}
    for vertex, total, sent, pending in steps:
        seen.append(vertex)
        totals = pending
        assert len(sent) == len(vertex._parents) and total[0].shape == vertex._meta[0]
    op_nodes = [v for v in backward_order([loss._vertex()]) if v._parents]
    assert seen == op_nodes  # every op node, in the engine's order
    loss.backward()
    np.testing.assert_allclose(totals[x][0], x.grad.data, rtol=1e-15)
    np.testing.assert_allclose(totals[w][0], w.grad.data, rtol=1e-15)
