"""Shared by the recurrent and attention tests: NumPy references and a functional call."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

import nn
from autograd_lite import Tensor


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def np_lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One LSTM step written out gate by gate (i, f, g, o) in NumPy."""
    size = h.shape[-1]
    gates = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    i = sigmoid(gates[..., :size])
    f = sigmoid(gates[..., size : 2 * size])
    g = np.tanh(gates[..., 2 * size : 3 * size])
    o = sigmoid(gates[..., 3 * size :])
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


def np_gru_step(x, h, w_ih, w_hh, b_ih, b_hh):
    """One GRU step in NumPy: r, z, n, then (1 - z) * n + z * h."""
    size = h.shape[-1]
    gi, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    r = sigmoid(gi[..., :size] + gh[..., :size])
    z = sigmoid(gi[..., size : 2 * size] + gh[..., size : 2 * size])
    n = np.tanh(gi[..., 2 * size :] + r * gh[..., 2 * size :])
    return (1.0 - z) * n + z * h


def np_rnn_step(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh"):
    pre = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    return np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0.0)


def np_softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def arrays(module: nn.Module) -> dict[str, np.ndarray]:
    """The module's parameters as NumPy copies, by name."""
    return {name: param.numpy().copy() for name, param in module.named_parameters()}


def randomize(module: nn.Module, rng: np.random.Generator, scale: float = 0.5) -> None:
    """Give every parameter fresh N(0, scale^2) values (so zero biases are not zero)."""
    for param in module.parameters():
        param.data[...] = rng.normal(size=param.shape) * scale


@contextmanager
def swapped(module: nn.Module, names: Sequence[str], tensors: Sequence[Tensor]) -> Iterator[None]:
    """Run ``module`` with the named parameters replaced by ``tensors`` (as
    torch.func.functional_call), so gradcheck's float64 copies reach the layer."""
    saved: list[tuple[nn.Module, str, Any]] = []
    for name, tensor in zip(names, tensors):
        owner = module
        *path, leaf = name.split(".")
        for part in path:
            owner = owner._modules[part]
        saved.append((owner, leaf, owner._parameters[leaf]))
        owner._parameters[leaf] = tensor
        owner.__dict__[leaf] = tensor
    try:
        yield
    finally:
        for owner, leaf, param in saved:
            owner._parameters[leaf] = param
            owner.__dict__[leaf] = param


def parameter_inputs(module: nn.Module) -> tuple[list[str], list[Tensor]]:
    """The parameter names and float64 copies that require grad, for gradcheck."""
    names = [name for name, _ in module.named_parameters()]
    tensors = [Tensor(p.numpy().copy(), requires_grad=True) for _, p in module.named_parameters()]
    return names, tensors
