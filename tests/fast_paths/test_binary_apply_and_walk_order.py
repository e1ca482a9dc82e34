"""Fast paths of issue 23: the binary operators' spelled-out `apply_binary` records what the
general `apply` records, and the walk's inlined order visits vertices in `backward_order`.
Each test fails if its fast path changes what the general code gives."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from autograd_lite import Tensor, no_grad
from autograd_lite.engine.apply import apply, apply_binary
from autograd_lite.engine.walk import backpropagate, backward_order
from autograd_lite.ops import elementwise as ew

_OPS = [ew.Add, ew.Sub, ew.Mul, ew.Div]


def _record(node: Any) -> tuple[Any, ...]:
    """What a node keeps, with tensors named by identity."""
    if node is None:
        return (None,)
    return (
        node.fn,
        node.needs_input_grad,
        tuple(id(p) if p is not None else None for p in node._parents),
        node._parent_slots,
        node._meta,
        node._n_outputs,
        tuple(map(id, node._saved)),
        tuple(map(id, node._watched)),
        node._stamp,
        node.created_at,
    )


@pytest.mark.parametrize("op", _OPS)
@pytest.mark.parametrize(
    "shapes, dtypes",
    [
        (((3,), (3,)), (np.float64, np.float64)),
        (((2, 3), (3,)), (np.float64, np.float64)),  # broadcast: full meta
        (((3,), (3,)), (np.float32, np.float64)),  # mixed dtypes: full meta
        (((), ()), (np.float64, np.float64)),  # 0-d: NumPy gives a scalar
    ],
)
@pytest.mark.parametrize("grads", [(True, False), (False, True), (True, True), (False, False)])
@pytest.mark.parametrize("grad_mode", [True, False])
def test_binary_apply_records_what_apply_records(
    op: Any, shapes: Any, dtypes: Any, grads: Any, grad_mode: bool
) -> None:
    rng = np.random.default_rng(0)
    arrays = [(rng.random(s) + 0.5).astype(d) for s, d in zip(shapes, dtypes)]
    a, b = (Tensor(x, requires_grad=g) for x, g in zip(arrays, grads))
    if grad_mode:
        fast, general = apply_binary(op, a, b), apply(op, (a, b), {})
    else:
        with no_grad():
            fast, general = apply_binary(op, a, b), apply(op, (a, b), {})
    assert type(fast._data) is np.ndarray and fast.dtype == general.dtype
    np.testing.assert_array_equal(fast.data, general.data)
    assert fast.requires_grad == general.requires_grad and fast._origin == general._origin
    assert _record(fast._node) == _record(general._node)


def test_binary_apply_leaves_bools_and_cut_inputs_to_apply() -> None:
    x = Tensor([1.0, -2.0], requires_grad=True)
    mask = x > 0  # bool, and cut from the graph: its origin goes on
    for a, b in ((mask, x), (x, mask), (x.detach(), x)):
        fast, general = apply_binary(ew.Mul, a, b), apply(ew.Mul, (a, b), {})
        np.testing.assert_array_equal(fast.data, general.data)
        assert fast.dtype == general.dtype
        # the promoted mask is a new tensor per call: compare what does not name it
        assert _record(fast._node)[:2] + _record(fast._node)[4:6] == (
            _record(general._node)[:2] + _record(general._node)[4:6]
        )
        assert fast._node._cuts == general._node._cuts


def _diamond() -> tuple[Tensor, list[Tensor]]:
    """A graph where vertices are reached along several edges and one is reached by none."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    w = Tensor([0.5, -1.0], requires_grad=True)
    a = x * w
    b = a + x
    c = (a * a) - b
    d = c * w + a.exp()
    unused = x.exp()  # below a root's parent only through nothing: not in the graph
    return d + b * 0.0 + unused.detach(), [x, w]


def test_the_walk_visits_vertices_in_backward_order() -> None:
    root, _ = _diamond()
    vertex = root._vertex()
    seen: list[Any] = []
    backpropagate(
        [vertex],
        [np.ones(2)],
        retain_graph=True,
        create_graph=False,
        on_vertex=lambda v, grads: seen.append(v),
    )
    assert seen == list(backward_order([vertex]))
    assert len(seen) > 8


def test_the_walk_counts_down_vertices_no_gradient_reaches() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    z = y.exp() + y  # z's Exp vertex gets a gradient; with a None seed slot it would not
    seen: list[Any] = []
    backpropagate(
        [z._vertex(), y._vertex()],
        [np.ones(2), np.ones(2)],
        retain_graph=True,
        create_graph=False,
        on_vertex=lambda v, grads: seen.append(v),
    )
    assert seen == list(backward_order([z._vertex(), y._vertex()]))
    z.sum().backward()
    np.testing.assert_allclose(x.grad.data, 2.0 * np.exp(2.0 * x.data) + 2.0)
