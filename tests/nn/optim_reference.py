"""PyTorch's documented optimizer rules, written out in plain NumPy (one parameter array).

Each function follows the pseudo-code of the PyTorch documentation page of its optimizer,
line by line, with no attempt to reuse or speed up anything: the tests compare the engine's
optimizers (and PyTorch itself, when importable) against these.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Gradient = Callable[[int, np.ndarray], np.ndarray]


def sgd(theta, gradient: Gradient, steps, lr=1e-3, momentum=0.0, dampening=0.0,
        weight_decay=0.0, nesterov=False, maximize=False):  # fmt: skip
    theta, b, trajectory = theta.copy(), None, []
    for t in range(1, steps + 1):
        g = gradient(t, theta)
        if maximize:
            g = -g
        if weight_decay != 0:
            g = g + weight_decay * theta
        if momentum != 0:
            b = momentum * b + (1 - dampening) * g if t > 1 else g
            g = g + momentum * b if nesterov else b
        theta = theta - lr * g
        trajectory.append(theta)
    return trajectory


def adam(theta, gradient: Gradient, steps, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
         weight_decay=0.0, amsgrad=False, maximize=False, decoupled=False):  # fmt: skip
    beta1, beta2 = betas
    theta, trajectory = theta.copy(), []
    m, v, v_max = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    for t in range(1, steps + 1):
        g = gradient(t, theta)
        if maximize:
            g = -g
        if weight_decay != 0:
            if decoupled:  # AdamW
                theta = theta - lr * weight_decay * theta
            else:
                g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        if amsgrad:
            v_max = np.maximum(v_max, v)
            v_hat = v_max / (1 - beta2**t)
        else:
            v_hat = v / (1 - beta2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        trajectory.append(theta)
    return trajectory


def adamw(theta, gradient: Gradient, steps, weight_decay=1e-2, **settings):
    return adam(theta, gradient, steps, weight_decay=weight_decay, decoupled=True, **settings)


def rmsprop(theta, gradient: Gradient, steps, lr=1e-2, alpha=0.99, eps=1e-8,
            weight_decay=0.0, momentum=0.0, centered=False, maximize=False):  # fmt: skip
    theta, trajectory = theta.copy(), []
    v, b, g_ave = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    for t in range(1, steps + 1):
        g = gradient(t, theta)
        if maximize:
            g = -g
        if weight_decay != 0:
            g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g**2
        v_tilde = v
        if centered:
            g_ave = alpha * g_ave + (1 - alpha) * g
            v_tilde = v_tilde - g_ave**2
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(v_tilde) + eps)
            theta = theta - lr * b
        else:
            theta = theta - lr * g / (np.sqrt(v_tilde) + eps)
        trajectory.append(theta)
    return trajectory


def adagrad(theta, gradient: Gradient, steps, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
            initial_accumulator_value=0.0, eps=1e-10, maximize=False):  # fmt: skip
    theta, trajectory = theta.copy(), []
    state_sum = np.full_like(theta, initial_accumulator_value)
    for t in range(1, steps + 1):
        g = gradient(t, theta)
        if maximize:
            g = -g
        lr_t = lr / (1 + (t - 1) * lr_decay)
        if weight_decay != 0:
            g = g + weight_decay * theta
        state_sum = state_sum + g**2
        theta = theta - lr_t * g / (np.sqrt(state_sum) + eps)
        trajectory.append(theta)
    return trajectory


REFERENCES = {"SGD": sgd, "Adam": adam, "AdamW": adamw, "RMSprop": rmsprop, "Adagrad": adagrad}

#: (optimizer name, settings): every option of every optimizer, alone and combined
CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.02, momentum=0.8, nesterov=True)),
    ("SGD", dict(lr=0.05, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1, nesterov=True)),
    ("SGD", dict(lr=0.01, momentum=0.9, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, betas=(0.3, 0.9), amsgrad=True, weight_decay=0.05)),
    ("Adam", dict(lr=0.01, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.05, weight_decay=0.5, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.005, momentum=0.9)),
    ("RMSprop", dict(lr=0.005, centered=True)),
    ("RMSprop", dict(lr=0.005, alpha=0.3, momentum=0.5, centered=True, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.005, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.5, eps=1e-6)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, maximize=True)),
]

START = np.array([[0.5, -1.5, 2.0], [0.25, 0.0, -0.75]])
_NOISE = np.random.default_rng(0).normal(size=(200, *START.shape))


def gradient(t: int, theta: np.ndarray) -> np.ndarray:
    """A gradient that depends on where the parameter is (so errors would feed back) plus a
    fixed noise sequence: the gradient of sum((theta - 1)^2 / 2 - cos(theta) / 10)."""
    return (theta - 1.0) + 0.1 * np.sin(theta) + 0.5 * _NOISE[t - 1]


def case_id(case) -> str:
    name, settings = case
    return name + "-" + "-".join(f"{key}={value}" for key, value in settings.items())
