"""Fast paths in the engine: per-op bookkeeping in Node slots, the saved arrays of an
array rule, and the checks skipped per op. Each test fails if its fast path
changes what the general code gives."""

from __future__ import annotations

import re
import threading
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd_lite import (
    AnomalyError,
    Function,
    GraphFreedError,
    Tensor,
    concatenate,
    detect_anomaly,
    enable_grad,
    grad,
    linear,
    no_grad,
)
from autograd_lite.checking.registry import REGISTRY
from autograd_lite.engine import anomaly
from autograd_lite.engine.context import Context
from autograd_lite.engine.node import Node, NodeWithAttributes
from autograd_lite.engine.walk import topological_order
from autograd_lite.ops.elementwise import Mul
from autograd_lite.ops.op import Op
from tests.strategies import op_case


class _Probe(Op):
    """y = a * b, an array rule that notes what ctx.saved_as gives it."""

    array_backward = True
    seen: list[tuple[Any, ...]] = []
    fail = False

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a * b

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> tuple:
        a, b = saved = ctx.saved_as(grad_output)
        _Probe.seen.append(saved)
        if _Probe.fail:
            raise ValueError("rule failed")
        return grad_output * b, grad_output * a


def test_an_array_rule_reads_arrays_and_the_node_keeps_its_tensors() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    out = _Probe.apply(x, c)
    _Probe.seen.clear()
    out.backward(np.ones(2), retain_graph=True)
    (saved,) = _Probe.seen
    assert saved[0] is x.data and saved[1] is c.data  # the arrays themselves, no copies
    assert out.grad_fn.saved_tensors == (x, c)  # Tensors again after the rule
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])
    (second,) = grad(out, x, grad_outputs=np.ones(2), create_graph=True)
    assert isinstance(_Probe.seen[-1][0], Tensor)  # under create_graph: Tensors
    np.testing.assert_array_equal(second.data, [3.0, 4.0])


def test_a_failing_array_rule_leaves_the_saved_tensors_in_place() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    out = _Probe.apply(x, c)
    _Probe.fail = True
    try:
        with pytest.raises(ValueError, match="rule failed"):
            out.backward(np.ones(2))
    finally:
        _Probe.fail = False
    assert out.grad_fn.saved_tensors == (x, c)
    out.backward(np.ones(2))  # the graph was not freed by the failed pass
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])


def test_an_operators_node_has_no_dict_and_an_ops_node_keeps_only_its_own_values() -> None:
    x = Tensor([1.0, -2.0], requires_grad=True)
    node = (x * x).grad_fn
    assert type(node) is Node and not hasattr(node, "__dict__")  # the bookkeeping is in slots
    assert node._stamp < float("inf") and node._watched == (x, x) and node.created_at is None
    assert node._outputs == () and node._hooks is None
    y = x.exp()
    exp = y.grad_fn
    assert isinstance(exp, NodeWithAttributes) and isinstance(exp, Context)
    assert set(vars(exp)) == {"out"}  # an op's own attributes go to the dict
    assert exp._hooks is None and [ref() for ref in exp._outputs] == [y]


def test_the_dict_less_node_gives_what_a_node_with_attributes_gives() -> None:
    # the operators' path (dict-less node) against apply's (a node with a dict) for one op
    x, c = Tensor([1.0, -2.0], requires_grad=True), Tensor([3.0, 0.5])
    fast = x * c
    plain = Mul.apply(x, c)
    assert type(fast.grad_fn) is Node and type(plain.grad_fn) is NodeWithAttributes
    for name in ("needs_input_grad", "_parents", "_parent_slots", "_meta", "_watched"):
        assert getattr(fast.grad_fn, name) == getattr(plain.grad_fn, name), name
    (fast.sum() + plain.sum()).backward()
    np.testing.assert_array_equal(x.grad.data, 2 * c.data)
    for node in (fast.grad_fn, plain.grad_fn):
        assert node.freed and node._watched == ()


def test_nodes_are_made_blank_and_a_standalone_context_still_takes_its_argument() -> None:
    node, with_attributes = Node(), NodeWithAttributes()  # as apply makes them
    assert not hasattr(node, "needs_input_grad") and vars(with_attributes) == {}
    assert Context((True, False)).needs_input_grad == (True, False)


def test_release_frees_slots_and_attributes() -> None:
    x = Tensor([1.0, -2.0], requires_grad=True)
    y = x.exp()
    z = y * x
    z.backward(np.ones(2))
    for node in (z.grad_fn, y.grad_fn):
        assert node.freed and node._watched == ()
        with pytest.raises(GraphFreedError, match="retain_graph=True"):
            _ = node.saved_tensors
    assert vars(y.grad_fn) == {}  # exp's own ``out`` is dropped too


def test_a_standalone_context_keeps_its_defaults_and_releases() -> None:
    ctx = Context()
    assert ctx.saved_tensors == () and ctx.created_at is None and ctx._watched == ()
    ctx.save_for_backward(np.ones(2))
    ctx.out = np.zeros(2)
    ctx.release()
    assert ctx._saved is None
    assert not hasattr(ctx, "out")
    with pytest.raises(GraphFreedError):
        _ = ctx.saved_tensors


class _Twice(Function):
    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.note = "kept"
        return 2 * x

    @staticmethod
    def backward(ctx: Context, grad_output: np.ndarray) -> np.ndarray:
        assert ctx.note == "kept" and ctx.saved_tensors == ()
        return 2 * grad_output


def test_a_function_node_without_saved_arrays_watches_nothing() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    out = _Twice.apply(x)
    node = out.grad_fn
    assert node._stamp == float("inf") and node._watched == () and node.created_at is None
    x.data = x.data + 1  # nothing saved, so a change of x does not matter
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])
    assert vars(node) == {}  # its attribute was dropped with the buffers


def test_linear_backward_on_arrays_matches_the_formula() -> None:
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    weight = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    bias = Tensor(rng.standard_normal(4), requires_grad=True)
    g = rng.standard_normal((2, 4))
    linear(x, weight, bias).backward(g)
    np.testing.assert_array_equal(x.grad.data, g @ weight.data)
    np.testing.assert_array_equal(weight.grad.data, g.T @ x.data)
    np.testing.assert_array_equal(bias.grad.data, g.sum(axis=0))


def test_the_open_anomaly_block_count_follows_the_blocks() -> None:
    x = Tensor([1.0, 4.0], requires_grad=True)
    assert anomaly.open_blocks.count == 0
    with detect_anomaly():
        assert anomaly.open_blocks.count == 1
        with detect_anomaly(check_forward=False):
            assert anomaly.open_blocks.count == 2
        assert (x * x).grad_fn.created_at is not None  # still on in the outer block
    assert anomaly.open_blocks.count == 0
    assert (x * x).grad_fn.created_at is None
    with pytest.raises(AnomalyError), detect_anomaly():
        (x - x).sqrt().log().sum().backward()  # an error leaves the block, and the count
    assert anomaly.open_blocks.count == 0


def test_an_open_anomaly_block_in_one_thread_leaves_the_others_alone() -> None:
    x = Tensor([1.0, 4.0], requires_grad=True)
    entered, release = threading.Event(), threading.Event()
    seen: list[Any] = []

    def in_anomaly_mode() -> None:
        with detect_anomaly():
            seen.append((x * x).grad_fn.created_at)
            entered.set()
            release.wait(10)

    worker = threading.Thread(target=in_anomaly_mode)
    worker.start()
    try:
        assert entered.wait(10)
        assert anomaly.open_blocks.count == 1
        assert (x * x).grad_fn.created_at is None  # this thread: anomaly mode is off
    finally:
        release.set()
        worker.join(10)
    assert seen[0] is not None and anomaly.open_blocks.count == 0


class _Options(Op):
    """y = a * scale + b (two inputs and an option): the keyword path of _apply."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray, scale: float = 1.0) -> np.ndarray:
        ctx.scale = scale
        return a * scale + b

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> tuple:
        return grad_output * ctx.scale, grad_output


@pytest.mark.parametrize("kwargs", [{}, {"scale": 3.0}])
def test_ops_with_and_without_options_get_their_arguments(kwargs: dict[str, float]) -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([10.0, 20.0], requires_grad=True)
    scale = kwargs.get("scale", 1.0)
    out = _Options.apply(a, b, **kwargs)
    np.testing.assert_array_equal(out.data, a.data * scale + b.data)
    out.backward(np.ones(2))
    np.testing.assert_array_equal(a.grad.data, [scale, scale])
    # one and three inputs with an option, and four without: the other spelled-out calls
    np.testing.assert_array_equal(a.sum(axis=0).data, 3.0)
    assert a.reshape(2, 1).shape == (2, 1)
    assert linear(Tensor(np.ones((1, 2))), a.reshape(1, 2), Tensor([0.5])).item() == 3.5
    np.testing.assert_array_equal(concatenate([a, b, a, b]).data, [1, 2, 10, 20, 1, 2, 10, 20])


# ------------------------------------------------------------------ uniform nodes
DIFFERENTIABLE = sorted(name for name, entry in REGISTRY.items() if entry.differentiable)


def _general(node: Node) -> tuple[Any, ...]:
    """The full meta of a node (output, then every input), as _link keeps it in general."""
    meta: list[Any] = []
    for shape, dtype in node.output_meta:
        meta += (shape, dtype)
    for shape, dtype in zip(node.input_shapes, node.input_dtypes):
        meta += (shape, dtype)
    return tuple(meta)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", DIFFERENTIABLE)
@settings(max_examples=15)
@given(data=st.data())
def test_uniform_nodes_give_what_the_fitting_path_gives(
    name: str, dtype: type, data: st.DataObject
) -> None:
    # A built-in op whose inputs all have its output's shape and dtype keeps only the
    # output's (shape, dtype) and skips the fitting checks: for every registry op, the
    # gradients must be those of the general path, bit for bit, in each input's shape and
    # dtype, with and without create_graph.
    entry = REGISTRY[name]
    arrays, kwargs = data.draw(op_case(entry, dtype), label="arrays, kwargs")
    inputs = [Tensor(array, requires_grad=True) for array in arrays]
    output = entry.op(*inputs, **kwargs)
    for node in topological_order([output._vertex()]):
        if isinstance(node, Node) and node._n_outputs == 1:
            _check_both_paths(node, data)


def _check_both_paths(node: Node, data: st.DataObject) -> None:
    full = _general(node)
    shapes, dtypes = node.input_shapes, node.input_dtypes
    uniform = len(node._meta) == 2
    same = all(s == full[0] for s in shapes) and all(d == full[1] for d in dtypes)
    assert uniform == (same and len(node._parents) <= 2)
    ((shape, dtype),) = node.output_meta
    upstream = data.draw(
        hnp.arrays(dtype, shape, elements=st.floats(-3.0, 3.0, width=32)), label="upstream"
    )
    for create_graph in (False, True):
        seed: Any = Tensor(upstream) if create_graph else upstream
        with enable_grad() if create_graph else no_grad():
            fast = node._backward([seed], create_graph)
            compact, node._meta = node._meta, full
            try:
                general = node._backward([seed], create_graph)
            finally:
                node._meta = compact
        for index, (a, b) in enumerate(zip(fast, general)):
            if b is None:
                assert a is None
                continue
            a_data = a.data if create_graph else a
            b_data = b.data if create_graph else b
            assert type(a_data) is np.ndarray
            assert a_data.shape == shapes[index] and a_data.dtype == dtypes[index]
            np.testing.assert_array_equal(a_data, b_data)


def test_uniform_meta_is_kept_only_for_built_in_ops_of_matching_inputs() -> None:
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    x32 = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    row = Tensor(np.ones(3), requires_grad=True)
    assert (x * x).grad_fn._meta == ((2, 3), np.dtype(np.float64))
    assert (x * x).grad_fn.input_shapes == ((2, 3), (2, 3))
    assert (x * x).grad_fn.input_dtypes == (np.dtype(np.float64),) * 2
    assert x.relu().grad_fn._meta == ((2, 3), np.dtype(np.float64))
    assert len((x * row).grad_fn._meta) == 6  # broadcast
    assert len((x * x32).grad_fn._meta) == 6  # promoted
    assert len(_Twice.apply(x).grad_fn._meta) == 4  # a custom Function: always checked
    assert len(x.sum().grad_fn._meta) == 4


class _Both(Op):
    """y = a + b whose rule always returns a gradient for both inputs, as its own tuple."""

    array_backward = True
    saves_inputs = False
    returned: list[tuple[Any, ...]] = []

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> tuple:
        result = (grad_output, grad_output)
        _Both.returned.append(result)
        return result


def test_backward_hands_on_the_rules_tuple_unless_it_must_change_it() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Tensor([3.0, 4.0], requires_grad=True)
    seed = [np.ones(2)]
    node = _Both.apply(x, y).grad_fn
    assert node._backward(seed, False) is _Both.returned[-1]  # nothing to change
    dropped = _Both.apply(x, Tensor([3.0, 4.0])).grad_fn._backward(seed, False)
    assert isinstance(dropped, list) and dropped[1] is None  # the constant's gradient
    assert dropped[0] is _Both.returned[-1][0]
    row = Tensor([[5.0, 6.0]], requires_grad=True)  # (1, 2): broadcast to (2, 2)
    column = Tensor([[1.0], [2.0]], requires_grad=True)
    fitted = _Both.apply(row, column).grad_fn._backward([np.ones((2, 2))], False)
    assert fitted[0].shape == (1, 2) and fitted[1].shape == (2, 1)  # summed back
    np.testing.assert_array_equal(fitted[0], [[2.0, 2.0]])
    scalar = _Both.apply(Tensor(1.0, requires_grad=True), Tensor(2.0, requires_grad=True))
    zero_d = scalar.grad_fn._backward([np.float64(3.0)], False)  # a NumPy scalar comes back
    assert all(type(g) is np.ndarray and g.shape == () for g in zero_d)


@pytest.mark.parametrize("shape", [(), (3,), (2, 4)])
def test_linear_layer_refuses_inputs_that_do_not_end_in_in_features(shape: tuple) -> None:
    import nn
    from autograd_lite import ShapeError

    layer = nn.Linear(4, 2)
    x = Tensor(np.ones(shape))
    if shape and shape[-1] == 4:
        assert layer(x).shape == shape[:-1] + (2,)
        return
    with pytest.raises(ShapeError, match=rf"Linear: input shape {re.escape(str(shape))} does"):
        layer(x)
