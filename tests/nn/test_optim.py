"""Optimizers: the first steps against PyTorch's documented formulas, computed here in NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd_lite import Tensor

START = np.array([[0.5, -1.5, 2.0], [0.25, 0.0, -0.75]])
GRADIENTS = [np.random.default_rng(seed).normal(size=START.shape) for seed in range(4)]


def run(optimizer_class, **settings) -> list[np.ndarray]:
    """Apply the four fixed gradients with the engine's optimizer; return p after each step."""
    param = nn.Parameter(START.copy())
    optimizer = optimizer_class([param], **settings)
    trajectory = []
    for gradient in GRADIENTS:
        param.grad = Tensor(gradient.copy())
        optimizer.step()
        trajectory.append(param.numpy().copy())
    return trajectory


def sgd_by_hand(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    p, buffer, trajectory = START.copy(), None, []
    for g in GRADIENTS:
        g = g + weight_decay * p
        if momentum:
            buffer = g if buffer is None else momentum * buffer + (1 - dampening) * g
            g = g + momentum * buffer if nesterov else buffer
        p = p - lr * g
        trajectory.append(p)
    return trajectory


def adam_by_hand(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    beta1, beta2 = betas
    p, m, v, trajectory = START.copy(), np.zeros_like(START), np.zeros_like(START), []
    for t, g in enumerate(GRADIENTS, start=1):
        if decoupled:
            p = p - lr * weight_decay * p
        else:
            g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        trajectory.append(p)
    return trajectory


def assert_same_trajectory(actual, expected):
    for step, (a, e) in enumerate(zip(actual, expected), start=1):
        np.testing.assert_allclose(a, e, rtol=1e-13, atol=1e-15, err_msg=f"step {step}")


@pytest.mark.parametrize(
    "settings",
    [
        dict(lr=0.1),
        dict(lr=0.1, momentum=0.9),
        dict(lr=0.1, momentum=0.9, dampening=0.3),
        dict(lr=0.05, momentum=0.8, nesterov=True),
        dict(lr=0.1, weight_decay=0.01),
        dict(lr=0.1, momentum=0.5, weight_decay=0.1, nesterov=True),
    ],
)
def test_sgd_follows_its_formula(settings):
    assert_same_trajectory(run(nn.optim.SGD, **settings), sgd_by_hand(**settings))


@pytest.mark.parametrize(
    "settings",
    [
        dict(lr=0.01),
        dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6),
        dict(lr=0.01, weight_decay=0.1),
    ],
)
def test_adam_follows_its_formula(settings):
    assert_same_trajectory(run(nn.optim.Adam, **settings), adam_by_hand(**settings))


@pytest.mark.parametrize("settings", [dict(lr=0.01), dict(lr=0.1, weight_decay=0.5)])
def test_adamw_follows_its_formula(settings):
    expected = adam_by_hand(decoupled=True, **{"weight_decay": 0.01, **settings})
    assert_same_trajectory(run(nn.optim.AdamW, **settings), expected)


def test_adam_first_step_moves_each_weight_by_lr():
    # with bias correction, step 1 is p - lr * g / (|g| + eps): a move of lr against sign(g)
    first = run(nn.optim.Adam, lr=0.01)[0]
    np.testing.assert_allclose(first, START - 0.01 * np.sign(GRADIENTS[0]), rtol=1e-7)


def test_adamw_and_adam_differ_only_with_weight_decay():
    assert_same_trajectory(
        run(nn.optim.AdamW, lr=0.01, weight_decay=0.0), run(nn.optim.Adam, lr=0.01)
    )
    assert not np.allclose(
        run(nn.optim.AdamW, lr=0.01, weight_decay=0.1)[-1],
        run(nn.optim.Adam, lr=0.01, weight_decay=0.1)[-1],
    )


def test_step_never_writes_into_the_gradient_array():
    param = nn.Parameter(START.copy())
    gradient = GRADIENTS[0].copy()
    param.grad = Tensor(gradient)
    optimizer = nn.optim.SGD([param], lr=0.1, momentum=0.9, weight_decay=0.1)
    optimizer.step()
    optimizer.step()  # the momentum buffer must not alias the gradient either
    np.testing.assert_array_equal(param.grad.numpy(), GRADIENTS[0])
    assert optimizer.state[0]["momentum_buffer"] is not param.grad.data


def test_gradient_from_backward_and_zero_grad():
    weight = nn.Parameter([1.0, -2.0])
    frozen = nn.Parameter([3.0], requires_grad=False)
    optimizer = nn.optim.SGD([weight, frozen], lr=0.25)
    ((weight * weight).sum() * frozen).sum().backward()  # d/dw = 2 w * 3
    optimizer.step()
    np.testing.assert_allclose(weight.numpy(), [1.0 - 0.25 * 6.0, -2.0 + 0.25 * 12.0])
    np.testing.assert_array_equal(frozen.numpy(), [3.0])  # no gradient: skipped
    optimizer.zero_grad()
    assert weight.grad is None


def test_float32_parameters_stay_float32():
    param = nn.Parameter(np.ones(3, dtype=np.float32))
    param.grad = Tensor(np.ones(3, dtype=np.float32))
    nn.optim.Adam([param], lr=0.1).step()
    assert param.dtype == np.float32


def test_state_dict_round_trip_continues_the_same_trajectory():
    reference = run(nn.optim.Adam, lr=0.05)
    param = nn.Parameter(START.copy())
    optimizer = nn.optim.Adam([param], lr=0.05)
    for gradient in GRADIENTS[:2]:
        param.grad = Tensor(gradient.copy())
        optimizer.step()
    saved_state, saved_param = optimizer.state_dict(), param.numpy().copy()
    resumed_param = nn.Parameter(saved_param)
    resumed = nn.optim.Adam([resumed_param], lr=0.9)  # lr restored from the state
    resumed.load_state_dict(saved_state)
    assert resumed.lr == 0.05
    for gradient in GRADIENTS[2:]:
        resumed_param.grad = Tensor(gradient.copy())
        resumed.step()
    np.testing.assert_array_equal(resumed_param.numpy(), reference[-1])


def test_bad_optimizer_state_is_rejected_without_change():
    param = nn.Parameter(START.copy())
    optimizer = nn.optim.SGD([param], lr=0.1, momentum=0.9)
    param.grad = Tensor(GRADIENTS[0])
    optimizer.step()
    good = optimizer.state_dict()
    bad = optimizer.state_dict()
    bad["state"][0]["momentum_buffer"] = np.zeros(3)
    bad["param_groups"][0]["lr"] = 5.0
    with pytest.raises(ValueError, match=r"momentum_buffer has shape \(3,\)"):
        optimizer.load_state_dict(bad)
    assert optimizer.lr == 0.1
    np.testing.assert_array_equal(
        optimizer.state[0]["momentum_buffer"], good["state"][0]["momentum_buffer"]
    )
    missing = optimizer.state_dict()
    del missing["param_groups"][0]["momentum"]
    with pytest.raises(KeyError, match=r"lacks the hyperparameters \['momentum'\]"):
        optimizer.load_state_dict(missing)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: nn.optim.SGD([], lr=0.1), "empty parameter list"),
        (lambda p: nn.optim.SGD([p, p], lr=0.1), "more than once"),
        (lambda p: nn.optim.SGD([p], lr=-0.1), "lr must be a finite number >= 0"),
        (lambda p: nn.optim.SGD([p], lr=0.1, nesterov=True), "nesterov needs momentum > 0"),
        (lambda p: nn.optim.Adam([p], betas=(0.9, 1.0)), r"betas must be two numbers in \[0, 1\)"),
    ],
)
def test_bad_settings_are_explained(make, message):
    with pytest.raises(ValueError, match=message):
        make(nn.Parameter([1.0]))


def test_momentum_state_moves_between_optimizers_with_different_settings():
    param = nn.Parameter(START.copy())
    with_momentum = nn.optim.SGD([param], lr=0.1, momentum=0.9)
    param.grad = Tensor(GRADIENTS[0])
    with_momentum.step()
    plain = nn.optim.SGD([nn.Parameter(START.copy())], lr=0.1)
    plain.load_state_dict(with_momentum.state_dict())  # momentum 0.9 and its buffer come along
    assert plain.param_groups[0]["momentum"] == 0.9
    np.testing.assert_array_equal(
        plain.state[0]["momentum_buffer"], with_momentum.state[0]["momentum_buffer"]
    )
    plain.load_state_dict(plain.state_dict())  # and its own state dict stays loadable


def test_negative_hyperparameter_in_a_state_dict_is_rejected():
    optimizer = nn.optim.Adam([nn.Parameter([1.0])], lr=0.1)
    state = optimizer.state_dict()
    state["param_groups"][0]["lr"] = -1.0
    with pytest.raises(ValueError, match="lr must be a finite number >= 0"):
        optimizer.load_state_dict(state)
    assert optimizer.lr == 0.1


@pytest.mark.parametrize(
    "lr", [np.float32(0.1), np.float64(0.1), np.int64(1), 1, 0.1], ids=lambda v: repr(v)
)
def test_any_real_number_is_a_learning_rate(lr):
    param = nn.Parameter([1.0])
    for optimizer in (
        nn.optim.SGD([param], lr=lr, momentum=np.float32(0.5)),
        nn.optim.Adam([param], lr=lr),
    ):
        assert optimizer.lr == pytest.approx(float(lr))
        optimizer.lr = np.float32(0.25)
        assert optimizer.lr == 0.25


def test_a_bool_is_not_a_learning_rate():
    with pytest.raises(ValueError, match="SGD: lr must be a finite number >= 0, got True"):
        nn.optim.SGD([nn.Parameter([1.0])], lr=True)


def test_passing_a_module_says_to_pass_its_parameters():
    with pytest.raises(TypeError, match=r"SGD: .*Linear.*model\.parameters\(\)"):
        nn.optim.SGD(nn.Linear(2, 1), lr=0.1)


def test_passing_a_single_tensor_says_to_pass_a_list():
    with pytest.raises(TypeError, match=r"Adam: .*a list of tensors"):
        nn.optim.Adam(nn.Parameter([1.0, 2.0]))


def test_passing_something_not_iterable_is_explained():
    with pytest.raises(TypeError, match=r"SGD: params must be an iterable of Tensors, got int"):
        nn.optim.SGD(3, lr=0.1)


@pytest.mark.parametrize("betas", [0.9, "ab", None])
def test_betas_must_be_a_pair(betas):
    with pytest.raises(TypeError, match=r"Adam: betas must be a pair \(beta1, beta2\)"):
        nn.optim.Adam([nn.Parameter([1.0])], betas=betas)
