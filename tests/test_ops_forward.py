"""Every registry op against its NumPy reference, float32 and float64, Hypothesis shapes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite import Tensor
from autograd_lite.checking.registry import REGISTRY
from tests.strategies import float_dtypes, op_case

OP_NAMES = sorted(REGISTRY)


@pytest.mark.parametrize("name", OP_NAMES)
@settings(max_examples=25)
@given(data=st.data(), dtype=float_dtypes)
def test_forward_matches_numpy_reference(name: str, data: st.DataObject, dtype: type) -> None:
    entry = REGISTRY[name]
    arrays, kwargs = data.draw(op_case(entry, dtype), label="arrays, kwargs")
    tensors = [Tensor(array, requires_grad=entry.differentiable) for array in arrays]

    result = entry.op(*tensors, **kwargs)
    expected = np.asarray(entry.reference(*arrays, **kwargs))

    assert isinstance(result, Tensor)
    assert result.shape == expected.shape
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(result.numpy(), expected, rtol=tolerance, atol=tolerance)
    if entry.differentiable:
        # float32 in, float32 out (API.md: float32 data stays float32)
        assert result.dtype == np.dtype(dtype)
        assert result.requires_grad
    else:
        assert result.dtype == np.bool_
        assert not result.requires_grad


def test_registry_names_are_the_keys_and_domains_are_known() -> None:
    from autograd_lite.checking.registry import DOMAINS, KWARGS_KINDS, SHAPE_KINDS

    for name, entry in REGISTRY.items():
        assert entry.name == name
        assert set(entry.domains) <= set(DOMAINS), name
        assert entry.shapes in SHAPE_KINDS, name
        assert entry.kwargs in KWARGS_KINDS, name
        assert entry.covers, name
