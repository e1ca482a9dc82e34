"""The graph and its saved buffers are freed after backward; training does not grow memory.

(10^6-node graphs for Value and Tensor are tested in tests/test_graph.py and test_value.py.)
"""

from __future__ import annotations

import gc
import tracemalloc
import weakref

import numpy as np
import pytest

from autograd_lite import Tensor


def _graph() -> tuple[Tensor, Tensor, list[weakref.ref]]:
    """A small graph; weak references to its nodes and to every array saved for backward."""
    x = Tensor(np.ones((50, 50)), requires_grad=True)
    hidden = (x @ x).tanh()  # MatMul and Tanh save arrays
    loss = (hidden * hidden).sum()
    nodes = [hidden.grad_fn, loss.grad_fn, loss.grad_fn._parents[0]]
    saved = [t.data for node in nodes for t in node.ctx.saved_tensors if t is not x]
    refs = [weakref.ref(obj) for obj in nodes + [hidden] + saved]
    return x, loss, refs


def test_graph_and_saved_buffers_are_freed_after_backward() -> None:
    gc.disable()  # freed by reference counting alone: the graph has no cycles
    try:
        x, loss, refs = _graph()
        loss.backward()
        del loss
        assert all(ref() is None for ref in refs)
        assert x.grad is not None
    finally:
        gc.enable()


def test_retain_graph_keeps_the_buffers_until_the_graph_is_dropped() -> None:
    gc.disable()
    try:
        x, loss, refs = _graph()
        loss.backward(retain_graph=True)
        node = loss.grad_fn._parents[0]  # the Mul, which saved both inputs
        assert len(node.ctx.saved_tensors) == 2  # still there: a second backward can run
        del node
        assert any(ref() is not None for ref in refs)
        del loss
        assert all(ref() is None for ref in refs)
    finally:
        gc.enable()


@pytest.mark.parametrize("retain_graph", [False, True])
def test_a_graph_with_hooks_and_retained_grads_is_freed_at_del(retain_graph: bool) -> None:
    gc.disable()  # a node holds the tensor it retains weakly: still no cycle
    try:
        x = Tensor(np.ones((50, 50)), requires_grad=True)
        hidden = (x @ x).tanh()
        hidden.retain_grad()
        handle = hidden.register_hook(lambda g: g * 2.0)  # a hook not naming its tensor
        x.register_hook(lambda g: None)
        loss = (hidden * hidden).sum()
        loss.register_hook(lambda g: g)
        objects = [hidden, hidden.grad_fn, loss.grad_fn, hidden.grad_fn._hooks]
        refs = [weakref.ref(obj) for obj in objects]
        del objects
        loss.backward(retain_graph=retain_graph)
        refs.append(weakref.ref(hidden.grad))
        del hidden, loss
        assert all(ref() is None for ref in refs)  # the handle kept does not hold them
        handle.remove()  # harmless once the graph is gone
        assert x.grad is not None
    finally:
        gc.enable()


def test_backward_releases_saved_buffers_even_while_the_output_lives() -> None:
    x = Tensor(np.ones(1000), requires_grad=True)
    y = x.exp()
    loss = (y * y).sum()
    mul_node = loss.grad_fn._parents[0]
    loss.backward()
    assert mul_node.freed and mul_node.ctx._saved is None


def test_two_thousand_training_steps_do_not_grow_memory() -> None:
    from nn import MLP, MSELoss, manual_seed
    from nn.optim import Adam

    manual_seed(0)
    rng = np.random.default_rng(0)
    inputs, targets = rng.standard_normal((32, 4)), rng.standard_normal((32, 1))
    model = MLP([4, 16, 16, 1])
    optimizer = Adam(model.parameters(), lr=1e-3)
    loss_fn = MSELoss()

    def steps(count: int) -> None:
        for _ in range(count):
            optimizer.zero_grad()
            loss = loss_fn(model(Tensor(inputs)), targets)
            loss.backward()
            optimizer.step()

    steps(200)  # warm up caches and optimizer state
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        objects_before = len(gc.get_objects())
        steps(1800)
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
        objects_after = len(gc.get_objects())
    finally:
        tracemalloc.stop()
    # one step's graph is ~10 kB of arrays; a leak of one node per step would be >200 kB
    assert after - before < 64_000, f"memory grew by {after - before} bytes over 1800 steps"
    assert objects_after - objects_before < 200
