"""Reduce a broadcast gradient back to the shape of the input it belongs to.

NumPy broadcasting may prepend axes and stretch size-1 axes. The gradient of a broadcast
input is the sum of the output gradient over exactly those axes. The graph walk calls this
once after every rule (see `engine.node.Node._backward`), so no rule has to think about it.
"""

from __future__ import annotations

import numpy as np


def broadcast_axes(
    grad_shape: tuple[int, ...], shape: tuple[int, ...]
) -> tuple[tuple[int, ...], int]:
    """Return (axes to sum with keepdims, number of leading axes to drop) to go to ``shape``."""
    lead = len(grad_shape) - len(shape)
    stretched = tuple(
        lead + i for i, size in enumerate(shape) if size == 1 and grad_shape[lead + i] != 1
    )
    return stretched, lead


def sum_to_array(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` (a NumPy array) down to ``shape``; the inverse of np.broadcast_to."""
    if grad.shape == shape:
        return grad
    stretched, lead = broadcast_axes(grad.shape, shape)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    if lead:
        grad = grad.sum(axis=tuple(range(lead)))
    return grad.reshape(shape)


def broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """True when an array of ``shape`` broadcasts to ``target`` (so a gradient sums back)."""
    if len(shape) > len(target):
        return False
    lead = len(target) - len(shape)
    return all(s == 1 or s == t for s, t in zip(shape, target[lead:]))
