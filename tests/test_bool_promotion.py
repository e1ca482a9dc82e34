"""Boolean Tensors (from comparisons) in arithmetic: promoted to float first, as PyTorch.

A bool operand becomes float64, or the float dtype of the other operands (float32 stays
float32), before every op but `where`'s condition; comparisons still return bool.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite import Tensor, where
from autograd_lite.checking.registry import REGISTRY
from tests.strategies import op_case


def _expected(entry, arrays: list[np.ndarray], kwargs: dict) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(entry.reference(*arrays, **kwargs))


@pytest.mark.parametrize("name", list(REGISTRY))
@settings(max_examples=15)
@given(data=st.data())
def test_every_op_promotes_bool_inputs_to_float64(name: str, data: st.DataObject) -> None:
    entry = REGISTRY[name]
    arrays, kwargs = data.draw(op_case(entry), label="arrays, kwargs")
    masks = [Tensor(a) > 0 for a in arrays]  # comparisons: the one source of bool Tensors
    assert all(m.dtype == np.bool_ for m in masks)
    with np.errstate(all="ignore"):  # log(0) etc.: the values, not warnings, are the point
        result = entry.op(*masks, **kwargs)
    as_float = [(a > 0).astype(np.float64) for a in arrays]
    expected = _expected(entry, as_float, kwargs)
    if entry.differentiable:
        assert result.dtype == np.float64, name
    else:  # a comparison of two promoted operands is still a comparison
        assert result.dtype == np.bool_, name
    np.testing.assert_allclose(result.data, expected, rtol=1e-12, atol=0, err_msg=name)


# (not the in-place entries: an update keeps the dtype of the tensor it updates)
MULTI_INPUT = [
    n
    for n, e in REGISTRY.items()
    if e.n_inputs > 1 and e.differentiable and e.shapes not in ("inplace", "setitem")
]


@pytest.mark.parametrize("name", MULTI_INPUT)
@settings(max_examples=10)
@given(data=st.data())
def test_a_bool_operand_takes_the_float32_of_the_others(name: str, data: st.DataObject) -> None:
    entry = REGISTRY[name]
    arrays, kwargs = data.draw(op_case(entry, np.float32), label="arrays, kwargs")
    mask = Tensor(arrays[0]) > 0
    others = [Tensor(a, requires_grad=True) for a in arrays[1:]]
    with np.errstate(all="ignore"):
        result = entry.op(mask, *others, **kwargs)
    assert result.dtype == np.float32, name
    expected = _expected(entry, [(arrays[0] > 0).astype(np.float32), *arrays[1:]], kwargs)
    np.testing.assert_allclose(result.data, expected, rtol=1e-5, atol=1e-6, err_msg=name)


MASK = Tensor([1.0, 2.0, 3.0]) > 1


@pytest.mark.parametrize(
    "compute, expected",
    [
        (lambda m: m * 2.0, [0.0, 2.0, 2.0]),
        (lambda m: 2.0 * m, [0.0, 2.0, 2.0]),
        (lambda m: m + 1, [1.0, 2.0, 2.0]),
        (lambda m: m + m, [0.0, 2.0, 2.0]),
        (lambda m: m - m, [0.0, 0.0, 0.0]),
        (lambda m: -m, [0.0, -1.0, -1.0]),
        (lambda m: 1.0 - m, [1.0, 0.0, 0.0]),
        (lambda m: m / 2, [0.0, 0.5, 0.5]),
        (lambda m: m.exp(), [1.0, np.e, np.e]),
        (lambda m: m.relu(), [0.0, 1.0, 1.0]),
        (lambda m: m.abs(), [0.0, 1.0, 1.0]),
        (lambda m: m.max(), 1.0),
        (lambda m: m @ m, 2.0),
        (lambda m: m.sum(), 2.0),
        (lambda m: m.mean(), 2.0 / 3.0),
        (lambda m: np.array([1.0, 1.0, 1.0]) * m, [0.0, 1.0, 1.0]),
    ],
)
def test_mask_arithmetic_gives_float64_values(compute, expected) -> None:
    result = compute(MASK)
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result.data, expected)


def test_exp_of_a_mask_is_float64_not_float16() -> None:
    assert MASK.exp().data[1] == np.exp(1.0)  # float16 would give 2.719


def test_where_condition_stays_a_mask_and_float32_branches_stay_float32() -> None:
    x = Tensor([-1.0, 2.0], dtype=np.float32, requires_grad=True)
    result = where(x > 0, x, 0.0)
    assert result.dtype == np.float32
    np.testing.assert_array_equal(result.data, [0.0, 2.0])
    scaled = (x > 0) * x  # bool * float32 -> float32, gradient flows to x only
    assert scaled.dtype == np.float32
    scaled.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0])


def test_indexing_with_a_mask_still_selects() -> None:
    x = Tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x[x > 1].data, [2.0, 3.0])
