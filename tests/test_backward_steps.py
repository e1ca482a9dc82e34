"""backward_steps(): the engine's own backward pass, one node at a time (issue 21, item 1).

Its steps come in backward's order, carry the numbers backward uses, and run to the end they
leave exactly the gradients backward() leaves, for Value and Tensor graphs. A Value pass
paused between steps neither blocks nor corrupts another walk over the same Values.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from autograd_lite import (
    BackwardStep,
    Function,
    GraphFreedError,
    ShapeError,
    Tensor,
    Value,
    backward_steps,
    draw_graph,
)
from autograd_lite.documents import NETWORK_222_START, matches_printed, network_222
from autograd_lite.engine.walk import backpropagate, backward_order
from autograd_lite.scalar.walk import values_below


def _network():
    return network_222(dict(NETWORK_222_START))


def _tensor_graph():
    """x and w used twice, a constant, a broadcast bias: y = sum(tanh(x * w + b) * x) * 3."""
    x = Tensor([[1.0, -2.0], [0.5, 0.25]], requires_grad=True)
    w = Tensor([3.0, 0.5], requires_grad=True)
    b = Tensor([0.1, -0.2], requires_grad=True)
    x.label, w.label, b.label = "x", "w", "b"
    y = ((x * w + b).tanh() * x).sum() * 3.0
    y.label = "y"
    return y, (x, w, b)


# ------------------------------------------------------------------------ Value graphs
def test_value_steps_follow_backwards_order_and_numbers() -> None:
    steps_net, plain_net = _network(), _network()
    steps = list(backward_steps(steps_net.error))
    plain_net.error.backward()

    below = values_below(plain_net.error)  # each Value after its parents
    order = [value for value in reversed(below) if value._parents]
    assert [step.index for step in steps] == list(range(len(order)))
    twin = dict(zip(map(id, values_below(steps_net.error)), below))
    assert [twin[id(step.node)] for step in steps] == order  # backward's order, node for node
    for step in steps:
        node = twin[id(step.node)]
        assert step.op == node._op and step.label == node.label
        assert step.upstream == node.grad  # exactly: the same float
        assert step.local == node._local_grads
        assert step.contribution == tuple(d * node.grad for d in node._local_grads)
        assert step.inputs == step.node._parents
    # run to the end, every .grad is backward()'s
    for mine, theirs in zip(values_below(steps_net.error), below):
        assert mine.grad == theirs.grad


def test_value_accumulated_totals_are_the_running_sums_of_the_contributions() -> None:
    network = _network()
    running: dict[int, float] = {}
    last: dict[int, float] = {}
    for step in backward_steps(network.error):
        for parent, sent, total in zip(step.inputs, step.contribution, step.accumulated):
            running[id(parent)] = running.get(id(parent), 0.0) + sent
            if step.inputs.count(parent) == 1:  # (x * x adds both before the step is seen)
                assert total == running[id(parent)]
            last[id(parent)] = total
    for value in values_below(network.error):
        if id(value) in last:
            assert last[id(value)] == value.grad


def test_document_002_derivation_appears_in_the_steps() -> None:
    """The hand derivation of document 002, dE/dw5 = dE/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw5,
    read off the steps in the order they come."""
    network = _network()
    steps = list(backward_steps(network.error))
    by_label = {step.label: step for step in steps if step.label}
    out_o1 = by_label["out_o1"]
    assert matches_printed(out_o1.upstream, "0.74136507")  # dE/dout_o1
    assert matches_printed(out_o1.local[0], "0.186815602")  # dout_o1/dnet_o1
    (w5_step,) = [step for step in steps if network["w5"] in step.inputs]
    assert w5_step.index > out_o1.index
    position = w5_step.inputs.index(network["w5"])
    assert matches_printed(w5_step.local[position], "0.593269992")  # dnet_o1/dw5 = out_h1
    assert matches_printed(w5_step.accumulated[position], "0.082167041")  # dE/dw5
    assert "0.7414 x 0.1868 = 0.1385" in str(out_o1)


def test_value_seed_and_a_second_pass_accumulate_like_backward() -> None:
    x = Value(3.0, label="x")
    y = x * x + x  # dy/dx = 7
    list(backward_steps(y, 2.0))
    assert x.grad == 14.0
    y.backward()  # accumulates on top, as two backward() calls do
    assert x.grad == 21.0
    with pytest.raises(TypeError, match="real number"):
        backward_steps(y, "1")
    with pytest.raises(TypeError, match="Value or a Tensor"):
        backward_steps(3.0)


def test_a_leaf_value_has_no_steps_but_gets_its_seed() -> None:
    x = Value(2.0)
    assert list(backward_steps(x)) == []
    assert x.grad == 1.0


def test_a_paused_value_pass_lets_other_walks_run_and_resumes_correctly() -> None:
    network, twin = _network(), _network()
    twin.error.backward()
    expected = [value.grad for value in values_below(twin.error)]
    steps = backward_steps(network.error)
    for _ in range(5):
        next(steps)
    # while paused: a picture, zero_grad and whole backward passes over the same Values
    draw_graph(network.error)
    network["out_o1"].backward()
    network.error.zero_grad()
    network.error.backward()
    assert [value.grad for value in values_below(network.error)] == expected
    network.error.zero_grad()
    # a second thread's pass is not blocked by the paused one
    worker = threading.Thread(target=network["E_o1"].backward)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive()
    # the paused pass picks up where it was: the same steps as an uninterrupted one
    rest = list(steps)
    uninterrupted = list(backward_steps(_network().error))[5:]
    assert [step.index for step in rest] == [step.index for step in uninterrupted]
    for mine, theirs in zip(rest, uninterrupted):
        assert (mine.label, mine.upstream, mine.accumulated) == (
            theirs.label,
            theirs.upstream,
            theirs.accumulated,
        )
    assert all(value._total is None for value in values_below(network.error))


def test_two_value_passes_stepped_in_turns_are_each_right() -> None:
    network = _network()
    expected = [
        (step.label, step.upstream, step.accumulated) for step in backward_steps(_network().error)
    ]
    first, second = backward_steps(network.error), backward_steps(network.error)
    seen_first, seen_second = [], []
    for _ in range(len(expected)):  # one step of each in turn, over the same Values
        for steps, seen in ((first, seen_first), (second, seen_second)):
            step = next(steps)
            seen.append((step.label, step.upstream, step.accumulated))
    assert next(first, None) is None and next(second, None) is None
    assert seen_first == expected and seen_second == expected
    twin = _network()
    twin.error.backward()
    twin.error.backward()
    assert [v.grad for v in values_below(network.error)] == [
        v.grad for v in values_below(twin.error)
    ]


def test_an_abandoned_value_pass_leaves_no_marks() -> None:
    network = _network()
    steps = backward_steps(network.error)
    next(steps)
    next(steps)
    steps.close()
    assert all(value._total is None for value in values_below(network.error))
    network.error.zero_grad()
    network.error.backward()
    twin = _network()
    twin.error.backward()
    assert network["w1"].grad == twin["w1"].grad


# ------------------------------------------------------------------------ Tensor graphs
def test_tensor_steps_are_the_engines_walk_and_end_with_backwards_gradients() -> None:
    y, leaves = _tensor_graph()
    twin, twin_leaves = _tensor_graph()
    root = y._vertex()
    totals = backpropagate([root], [np.ones(())], retain_graph=True, create_graph=False)
    op_nodes = [vertex for vertex in backward_order([root]) if vertex._parents]

    steps = list(backward_steps(y))
    twin.backward()
    assert [step.node for step in steps] == op_nodes
    for step in steps:
        assert step.op == step.node.name
        np.testing.assert_array_equal(step.upstream, totals[step.node][0])
        for parent, sent, local, total in zip(
            step.inputs, step.contribution, step.local, step.accumulated
        ):
            if parent is None:  # the constant 3.0
                assert sent is None and total is None
                continue
            assert sent is local  # a Tensor op's "local" is the gradient it sends
    assert steps[0].label == "y"
    for leaf, expected in zip(leaves, twin_leaves):
        np.testing.assert_array_equal(leaf.grad.data, expected.grad.data)  # bit for bit
    # the last accumulated total of each leaf is its gradient
    last = {}
    for step in steps:
        for parent, total in zip(step.inputs, step.accumulated):
            if parent is not None:
                last[id(parent)] = total
    for leaf in leaves:
        np.testing.assert_array_equal(last[id(leaf)], leaf.grad.data)
    assert [name for name in steps[-1].input_names] == ["x", "w"]


def test_tensor_steps_copy_their_arrays() -> None:
    y, (x, w, b) = _tensor_graph()
    steps = list(backward_steps(y))
    x_totals = [
        total
        for step in steps
        for parent, total in zip(step.inputs, step.accumulated)
        if parent is x
    ]
    assert len(x_totals) == 2  # x is used twice: its total grows, and each step kept its own
    assert not np.array_equal(x_totals[0], x_totals[1])


def test_tensor_seed_retain_graph_and_errors() -> None:
    y, (x, w, b) = _tensor_graph()
    list(backward_steps(y, np.array(2.0), retain_graph=True))
    twin, (tx, _, _) = _tensor_graph()
    twin.backward(np.array(2.0))
    np.testing.assert_array_equal(x.grad.data, tx.grad.data)
    y.backward(retain_graph=True)  # kept: a second pass runs and accumulates
    list(backward_steps(y))  # not kept this time
    with pytest.raises(GraphFreedError):
        y.backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        backward_steps(Tensor([1.0, 2.0]))  # raised at the call, before any step
    with pytest.raises(RuntimeError, match="grad can be left out only"):
        backward_steps(x * 2)
    with pytest.raises(ShapeError):
        backward_steps(x * 2, np.ones(3))


def test_a_leaf_tensor_output_has_no_steps_but_gets_its_gradient() -> None:
    x = Tensor(2.0, requires_grad=True)
    assert list(backward_steps(x)) == []
    assert x.grad.item() == 1.0


def test_an_op_with_two_outputs_has_one_upstream_per_output() -> None:
    class SumAndDifference(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b, a - b

        @staticmethod
        def backward(ctx, grad_sum, grad_difference):
            return grad_sum + grad_difference, grad_sum - grad_difference

    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 5.0], requires_grad=True)
    total, difference = SumAndDifference.apply(a, b)
    loss = (total * 2.0 + difference * 3.0).sum()
    steps = list(backward_steps(loss))
    (step,) = [step for step in steps if step.op == "SumAndDifference"]
    assert isinstance(step.upstream, tuple) and len(step.upstream) == 2
    np.testing.assert_array_equal(step.upstream[0], [2.0, 2.0])
    np.testing.assert_array_equal(step.upstream[1], [3.0, 3.0])
    np.testing.assert_array_equal(a.grad.data, [5.0, 5.0])
    np.testing.assert_array_equal(b.grad.data, [-1.0, -1.0])
    assert isinstance(step, BackwardStep) and "sends" in str(step)
