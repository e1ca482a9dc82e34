"""nn.utils.clip_grad_norm_ and clip_grad_value_ against their formulas (PyTorch's own
numbers: test_training_torch.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autograd_lite import Tensor

GRADS = [np.array([[3.0, -4.0], [1.0, 2.0]]), np.array([12.0, -0.5]), np.array([[-7.0]])]


def params_with_grads(dtype=np.float64):
    params = [nn.Parameter(np.zeros_like(g, dtype=dtype)) for g in GRADS]
    for param, grad in zip(params, GRADS):
        param.grad = Tensor(grad.astype(dtype))
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 5.0, 1e6])
def test_clip_grad_norm_follows_pytorchs_formula(norm_type, max_norm):
    params = params_with_grads()
    p = math.inf if norm_type == "inf" else norm_type
    flat = np.concatenate([g.ravel() for g in GRADS])
    total = np.abs(flat).max() if math.isinf(p) else np.sum(np.abs(flat) ** p) ** (1 / p)
    result = nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    assert result.item() == pytest.approx(total, rel=1e-12)
    coefficient = min(max_norm / (total + 1e-6), 1.0)
    for param, grad in zip(params, GRADS):
        np.testing.assert_allclose(param.grad.numpy(), grad * coefficient, rtol=1e-12)


def test_clipping_gives_new_gradient_arrays_and_keeps_float32():
    params = params_with_grads(np.float32)
    old = [param.grad.data for param in params]
    kept = [array.copy() for array in old]
    nn.utils.clip_grad_norm_(params, 1.0)
    for param, array, copy in zip(params, old, kept):
        assert param.grad.data is not array and param.grad.dtype == np.float32
        np.testing.assert_array_equal(array, copy)  # the old arrays were not written


def test_a_norm_under_the_limit_leaves_the_gradients_alone():
    params = params_with_grads()
    old = [param.grad for param in params]
    nn.utils.clip_grad_norm_(params, 100.0)
    assert all(param.grad is grad for param, grad in zip(params, old))


def test_parameters_without_gradients_are_skipped_and_none_give_zero():
    frozen = nn.Parameter([1.0])
    params = params_with_grads() + [frozen]
    assert nn.utils.clip_grad_norm_(params, 1.0).item() > 1 and frozen.grad is None
    assert nn.utils.clip_grad_norm_([frozen], 1.0).item() == 0.0
    single = params_with_grads()[1]
    assert nn.utils.clip_grad_norm_(single, 1.0).item() == pytest.approx(math.hypot(12, 0.5))


def test_a_non_finite_norm_raises_only_when_asked():
    params = params_with_grads()
    params[0].grad = Tensor([[math.inf, 0.0], [0.0, 0.0]])
    with pytest.raises(RuntimeError, match="total norm .* is inf"):
        nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert math.isinf(nn.utils.clip_grad_norm_(params, 1.0).item())


def test_clip_grad_value():
    params = params_with_grads()
    nn.utils.clip_grad_value_(params, 2.5)
    for param, grad in zip(params, GRADS):
        np.testing.assert_array_equal(param.grad.numpy(), np.clip(grad, -2.5, 2.5))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda p: nn.utils.clip_grad_norm_(p, -1.0), ValueError, "max_norm must be"),
        (lambda p: nn.utils.clip_grad_norm_(p, 1.0, norm_type=0), ValueError, "norm_type must"),
        (lambda p: nn.utils.clip_grad_norm_(p, "1"), TypeError, "max_norm must be a number"),
        (lambda p: nn.utils.clip_grad_value_(p, float("nan")), ValueError, "clip_value"),
        (lambda p: nn.utils.clip_grad_norm_(nn.Linear(2, 1), 1.0), TypeError, "model.param"),
    ],
)
def test_bad_arguments_are_explained(call, error, message):
    with pytest.raises(error, match=message):
        call(params_with_grads())
