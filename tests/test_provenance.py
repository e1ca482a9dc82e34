"""engine.provenance: tensors cut from the graph remember what they were computed from.

detach(), comparisons, Tensor(t) and ops inside no_grad blocks give their results an origin;
ops pass origins on (unrecorded ops to their results, recorded ops to their node); nothing of
this happens inside the backward pass or on tensors unrelated to any graph.
"""

from __future__ import annotations

import threading

import numpy as np

from autograd_lite import Tensor, no_grad, where
from autograd_lite.engine.provenance import cuts_of, sources_of
from autograd_lite.grad_mode import watch


def _hows_and_sources(vertex) -> list[tuple[str, object]]:
    return [(how, source) for _, origin in cuts_of(vertex) for how, source, _ in sources_of(origin)]


def test_detach_and_the_ops_after_it_lead_back_to_the_graph() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    h = w * 2.0
    d = h.detach()
    assert d._origin[0] == "detach()" and d._origin[1] == (h._node,)
    e = (d * 3.0).exp()  # unrecorded: the same origin is passed on, not copied
    assert e._origin is d._origin
    v = Tensor([1.0, 1.0], requires_grad=True)
    out = v + e  # recorded: the node keeps it (an Add saves no inputs)
    assert _hows_and_sources(out._node) == [("detach()", h._node)]


def test_comparisons_keep_their_origin_through_bool_promotion_and_where() -> None:
    w = Tensor([1.0, -2.0], requires_grad=True)
    v = Tensor([3.0, 4.0], requires_grad=True)
    mask = w > 0
    assert mask._origin[0] == "comparison >"
    assert _hows_and_sources((v * mask)._node) == [("comparison >", w)]
    assert _hows_and_sources((v + mask)._node) == [("comparison >", w)]
    assert ("comparison >", w) in _hows_and_sources(where(mask, v, v * 2.0)._node)


def test_no_grad_results_name_their_grad_requiring_inputs() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([5.0, 6.0])
    assert watch.count == 0
    with no_grad():
        assert watch.count == 1
        y = (w * c).sum()
        z = c * 2.0  # from constants only: nothing to remember
    assert watch.count == 0
    assert y._origin[0] == "no_grad" and [s for _, s, _ in sources_of(y._origin)] == [w]
    assert z._origin is None


def test_unrelated_tensors_and_the_backward_pass_get_no_origin() -> None:
    x = Tensor(np.ones(3))
    assert (x * 2.0 + 1.0)._origin is None
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = ((w * x).tanh() * 3.0).sum()
    loss.backward()
    assert w.grad._origin is None and loss._origin is None


def test_the_no_grad_count_follows_blocks_in_every_thread() -> None:
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with no_grad():
            entered.set()
            release.wait(10)

    worker = threading.Thread(target=hold)
    worker.start()
    try:
        assert entered.wait(10)
        assert watch.count == 1
    finally:
        release.set()
        worker.join(10)
    assert watch.count == 0
