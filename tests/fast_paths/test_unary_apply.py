"""The Tensor methods' spelled-out `apply_unary` records what the general `apply` records:
the same result, node bookkeeping, op attributes, view link and gradients. Each test fails
if the fast path changes what the general code gives."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from autograd_lite import Tensor, detect_anomaly, no_grad
from autograd_lite.engine.apply import apply, apply_unary
from autograd_lite.ops import elementwise as ew
from autograd_lite.ops import nonlinear, reduce
from autograd_lite.ops import shape as shape_ops
from tests.fast_paths.test_binary_apply_and_walk_order import _record

# (op, its options): elementwise, reductions, views, dtype changes, ops keeping attributes
_CASES: list[tuple[Any, dict[str, Any]]] = [
    (ew.Neg, {}),
    (nonlinear.Exp, {}),  # keeps ctx.out, saves its output
    (nonlinear.Tanh, {}),
    (nonlinear.Sigmoid, {}),
    (ew.PowConst, {"exponent": 2.0}),
    (reduce.Sum, {"axis": 0, "keepdims": False}),  # shape changes: full meta
    (nonlinear.Softmax, {"axis": -1}),
    (shape_ops.GetItem, {"index": (slice(None), slice(1, 3))}),  # a view of its input
    (shape_ops.Reshape, {"shape": (-1,)}),
    (shape_ops.Transpose, {"axes": None}),
    (ew.Cast, {"dtype": np.dtype(np.float32)}),  # dtype changes: full meta
]


def _attributes(node: Any) -> dict[str, Any]:
    """The op's own attributes on its node, arrays as lists."""
    if node is None:
        return {}
    return {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in vars(node).items()}


@pytest.mark.parametrize("op, options", _CASES, ids=[c[0].__name__ for c in _CASES])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("requires_grad", [True, False])
@pytest.mark.parametrize("grad_mode", [True, False])
def test_unary_apply_records_what_apply_records(
    op: Any, options: dict[str, Any], dtype: Any, requires_grad: bool, grad_mode: bool
) -> None:
    data = (np.random.default_rng(0).random((3, 4)) - 0.5).astype(dtype)
    a = Tensor(data, requires_grad=requires_grad)
    if grad_mode:
        fast, general = apply_unary(op, a, **options), apply(op, (a,), dict(options))
    else:
        with no_grad():
            fast, general = apply_unary(op, a, **options), apply(op, (a,), dict(options))
    assert type(fast) is type(general) and type(fast._data) is np.ndarray
    assert fast.dtype == general.dtype and fast.shape == general.shape
    np.testing.assert_array_equal(fast.data, general.data)
    assert fast.requires_grad == general.requires_grad and fast._origin == general._origin
    assert fast._base is general._base  # a view is linked to its source the same way
    assert _record(fast._node) == _record(general._node)
    assert _attributes(fast._node) == _attributes(general._node)
    if fast._node is not None:
        assert type(fast._node) is type(general._node)
        assert [r() is fast for r in fast._node._outputs] == [
            r() is general for r in general._node._outputs
        ]
        seed = np.ones(fast.shape, dtype=fast.dtype)
        fast.backward(seed)
        fast_grad, a.grad = a.grad.data.copy(), None
        general.backward(seed)
        np.testing.assert_array_equal(fast_grad, a.grad.data)


def test_unary_apply_leaves_bools_cut_inputs_and_anomaly_mode_to_apply() -> None:
    x = Tensor([1.0, -2.0], requires_grad=True)
    mask = x > 0  # bool, and cut from the graph: its origin goes on
    for a in (mask, x.detach()):
        fast, general = apply_unary(ew.Neg, a), apply(ew.Neg, (a,), {})
        np.testing.assert_array_equal(fast.data, general.data)
        assert fast.dtype == general.dtype and fast._origin == general._origin
    with detect_anomaly():
        fast = apply_unary(nonlinear.Exp, x)
        assert fast.grad_fn.created_at is not None  # recorded where the op was called
