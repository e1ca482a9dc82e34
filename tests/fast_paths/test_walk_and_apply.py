"""Fast paths of the walk and of apply: the collector paused only while a walk runs, and the
shared needs_input_grad tuples equal what each input's requires_grad says."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from autograd_lite import Function, Tensor, no_grad
from autograd_lite.engine.walk import walk_steps


def test_the_walk_restores_the_collector_after_a_pass_and_after_a_failure() -> None:
    class Broken(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            raise ValueError("rule failed")

    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    assert gc.isenabled()
    with pytest.raises(ValueError, match="rule failed"):
        Broken.apply(x).sum().backward()
    assert gc.isenabled()
    gc.disable()  # a caller's own choice is kept too
    try:
        (x * x).sum().backward()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_walk_steps_give_the_caller_its_collector_between_steps() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x.tanh() * x).sum()
    seen = [gc.isenabled() for _ in walk_steps([loss._vertex()], [np.ones(())], retain_graph=True)]
    assert seen and all(seen) and gc.isenabled()


@pytest.mark.parametrize("first, second", [(False, True), (True, False), (True, True)])
def test_shared_needs_input_grad_tuples_follow_requires_grad(first: bool, second: bool) -> None:
    a = Tensor([1.0, 2.0], requires_grad=first)
    b = Tensor([3.0, 4.0], requires_grad=second)
    assert (a * b).grad_fn.needs_input_grad == (first, second)
    assert (a.exp() if first else b.exp()).grad_fn.needs_input_grad == (True,)
    with no_grad():
        assert (a * b).grad_fn is None  # unrecorded: no node in the graph
