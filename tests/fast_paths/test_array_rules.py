"""Rules marked `Op.array_backward` run on NumPy arrays when no graph is recorded.

The same rule also runs on Tensors (create_graph=True); both paths must give the same
gradients, the same dtypes and Tensor results, including for 0-d tensors, where NumPy
returns scalars instead of arrays.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import Tensor, grad
from autograd_lite.ops import (
    activations,
    attention,
    linalg,
    nonlinear,
    normalization,
    recurrent,
    recurrent_sequence,
)
from autograd_lite.ops import elementwise as ew
from autograd_lite.ops import shape as shape_ops
from autograd_lite.ops.op import Op

ARRAY_RULES = [
    ew.Add,
    ew.Sub,
    ew.Mul,
    ew.Neg,
    shape_ops.Reshape,
    shape_ops.Transpose,
    shape_ops.Pad,
    shape_ops.Clone,
    linalg.Linear,
    nonlinear.ReLU,
    nonlinear.SoftmaxCrossEntropy,
    # their array and Tensor paths are compared in test_recurrent_paths.py
    recurrent.LSTMCell,
    recurrent.GRUCell,
    recurrent.RNNCell,
    recurrent_sequence.LSTMSequence,
    # the fused layer ops: their two paths are compared in test_fused_layers.py
    activations.Gelu,
    attention.Attention,
    normalization.LayerNorm,
]


def _graph(kind: str, x: Tensor, y: Tensor) -> Tensor:
    if kind == "add":
        return (x + y) * y
    if kind == "sub":
        return (x - y) * x
    if kind == "mul":
        return x * y * x
    if kind == "neg":
        return -(x * y)
    if kind == "reshape":
        return (x * y).reshape(-1) * 2.0
    if kind == "pad":
        widths = tuple((1, 2) for _ in x.shape)
        return shape_ops.Pad.apply(x * y, pad_width=widths, value=0.5) * 2.0
    if kind == "clone":
        return shape_ops.Clone.apply(x * y) * x
    return (x * y).T * x.T


@pytest.mark.parametrize(
    "kind", ["add", "sub", "mul", "neg", "reshape", "pad", "clone", "transpose"]
)
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_array_path_equals_tensor_path(kind: str, shape: tuple, dtype: type) -> None:
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
    y = Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
    out = _graph(kind, x, y)
    seed = np.ones(out.shape, dtype=dtype)
    on_arrays = grad(out, [x, y], seed)  # create_graph=False: the array path
    on_tensors = grad(_graph(kind, x, y), [x, y], seed, create_graph=True)
    for fast, slow in zip(on_arrays, on_tensors):
        assert isinstance(fast, Tensor) and isinstance(fast.data, np.ndarray)
        assert fast.dtype == dtype and fast.shape == shape
        np.testing.assert_array_equal(fast.data, slow.data)


def test_retained_graph_runs_again_on_tensors_after_an_array_pass() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * x  # Mul: array rule
    (first,) = grad(y.sum(), x, retain_graph=True)
    (second,) = grad(y.sum(), x, create_graph=True)  # the same ctx, now on Tensors
    np.testing.assert_array_equal(first.data, [2.0, 4.0])
    np.testing.assert_array_equal(second.data, [2.0, 4.0])
    assert second.requires_grad  # recorded: differentiable again
    (third,) = grad(second.sum(), x)
    np.testing.assert_array_equal(third.data, [2.0, 2.0])


def test_only_rules_without_tensor_only_calls_are_marked() -> None:
    marked = {cls for cls in _all_ops() if cls.array_backward}
    assert marked == set(ARRAY_RULES)


def _all_ops() -> list[type[Op]]:
    found: list[type[Op]] = []
    stack = list(Op.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls.__module__.startswith("autograd_lite."):  # not the probes other tests define
            found.append(cls)
        stack.extend(cls.__subclasses__())
    return found
