"""Every registry op through gradcheck (and gradgradcheck), Hypothesis shapes, random upstream.

Shapes come from tests/strategies.py: broadcasting pairs, 0-d tensors, size-1 dims,
matmul in 1-D/2-D/batched forms, basic and integer-array indexing with repeats. Besides the
full Jacobian (one one-hot seed per output element), each case is also checked with an
upstream gradient drawn by Hypothesis: a rule that ignores or mis-scales grad_output passes
a ones seed but not this one.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_lite
from autograd_lite import Tensor, grad, gradcheck, gradgradcheck
from autograd_lite.checking.gradcheck import numerical_jacobian
from autograd_lite.checking.registry import NOT_OPS, REGISTRY, covered_names
from autograd_lite.engine.tensor_base import TensorBase
from tests.strategies import op_case

DIFFERENTIABLE = sorted(name for name, entry in REGISTRY.items() if entry.differentiable)
TWICE = sorted(name for name, entry in REGISTRY.items() if entry.twice_differentiable)
NOT_DIFFERENTIABLE = sorted(name for name, entry in REGISTRY.items() if not entry.differentiable)


def _leaves(arrays: list[np.ndarray]) -> list[Tensor]:
    return [Tensor(array, requires_grad=True) for array in arrays]


@pytest.mark.parametrize("name", DIFFERENTIABLE)
@settings(max_examples=20)
@given(data=st.data())
def test_gradcheck_every_op(name: str, data: st.DataObject) -> None:
    entry = REGISTRY[name]
    arrays, kwargs = data.draw(op_case(entry), label="arrays, kwargs")
    inputs = _leaves(arrays)

    def fn(*xs: Tensor) -> Tensor:
        return entry.op(*xs, **kwargs)

    assert gradcheck(fn, inputs)

    # one more backward with a random upstream gradient u: it must equal u . J (numerical)
    output = fn(*inputs)
    upstream = data.draw(
        hnp.arrays(np.float64, output.shape, elements=st.floats(-3.0, 3.0)), label="upstream"
    )
    analytic = grad(output, inputs, grad_outputs=Tensor(upstream))
    blocks = numerical_jacobian(fn, [x.detach() for x in inputs], range(len(inputs)))
    for position, (gradient, block) in enumerate(zip(analytic, blocks)):
        expected = (upstream.reshape(-1) @ block[0]).reshape(inputs[position].shape)
        np.testing.assert_allclose(gradient.numpy(), expected, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", TWICE)
@settings(max_examples=8)
@given(data=st.data())
def test_gradgradcheck_every_twice_differentiable_op(name: str, data: st.DataObject) -> None:
    entry = REGISTRY[name]
    arrays, kwargs = data.draw(op_case(entry), label="arrays, kwargs")
    inputs = _leaves(arrays)
    output_shape = entry.op(*inputs, **kwargs).shape
    upstream = data.draw(
        hnp.arrays(np.float64, output_shape, elements=st.floats(-3.0, 3.0)), label="upstream"
    )

    assert gradgradcheck(lambda *xs: entry.op(*xs, **kwargs), inputs, upstream)


@pytest.mark.parametrize("name", NOT_DIFFERENTIABLE)
@settings(max_examples=10)
@given(data=st.data())
def test_comparisons_never_require_grad(name: str, data: st.DataObject) -> None:
    entry = REGISTRY[name]
    arrays, kwargs = data.draw(op_case(entry))
    result = entry.op(*_leaves(arrays), **kwargs)
    assert not result.requires_grad and result.dtype == np.bool_


def _public_surface() -> set[str]:
    """Every public Tensor method and operator, and every public module-level function."""
    names = set()
    # the class and the method mixins it is made of (not TensorBase, the engine's record)
    members: dict[str, object] = {}
    for cls in reversed(Tensor.__mro__[: Tensor.__mro__.index(TensorBase)]):
        members.update(vars(cls))
    for attribute, value in members.items():
        is_method = callable(value) or isinstance(value, property)
        if attribute.startswith("__") and attribute.endswith("__"):
            if callable(value):
                names.add(f"Tensor.{attribute}")  # operators and protocol methods
        elif not attribute.startswith("_") and is_method:
            if isinstance(value, property) and attribute != "T":
                continue  # plain attributes (shape, dtype, grad, ...) are not operations
            names.add(f"Tensor.{attribute}")
    for attribute in autograd_lite.__all__:
        value = getattr(autograd_lite, attribute)
        if callable(value) and not (inspect.isclass(value) and attribute[0].isupper()):
            names.add(f"autograd_lite.{attribute}")
    return names


def test_every_public_op_has_a_registry_entry() -> None:
    surface = _public_surface()
    missing = sorted(surface - covered_names() - set(NOT_OPS))
    assert not missing, (
        f"public operations without a registry entry in autograd_lite/checking/registry.py "
        f"(add one, or list the name in NOT_OPS with a reason): {missing}"
    )


def test_registry_covers_only_names_that_exist() -> None:
    stale = sorted(covered_names() - _public_surface())
    assert not stale, f"registry entries cover names that are not public: {stale}"


def test_surface_enumeration_sees_operators_and_module_functions() -> None:
    surface = _public_surface()
    for name in ("Tensor.__add__", "Tensor.__rpow__", "Tensor.softmax", "Tensor.T"):
        assert name in surface
    assert "autograd_lite.where" in surface
    assert "Tensor.shape" not in surface


def test_a_new_public_method_without_entry_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Tensor, "cube", lambda self: self**3, raising=False)
    missing = _public_surface() - covered_names() - set(NOT_OPS)
    assert missing == {"Tensor.cube"}


def test_regression_gradcheck_sees_ops_on_zero_dim_tensors() -> None:
    # 0-d inputs and outputs: one Jacobian entry each (a case the strategies include)
    x = Tensor(0.7, requires_grad=True)
    assert gradcheck(lambda t: (t * t).sigmoid().log_softmax(axis=-1) if t.ndim else t.exp(), x)
