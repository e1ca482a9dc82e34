"""A small private central-difference helper for the Tensor tests.

Independent of the engine's public ``gradcheck`` on purpose: these tests check the engine,
so the reference they compare against must not share its code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from autograd_lite import Tensor


def numeric_grads(
    fn: Callable[..., Tensor],
    arrays: Sequence[np.ndarray],
    upstream: np.ndarray | None = None,
    eps: float = 1e-6,
) -> list[np.ndarray]:
    """Central differences of ``sum(fn(*arrays) * upstream)`` with respect to each array.

    Every array is taken in float64; ``upstream`` defaults to ones of the output's shape.
    """
    arrays = [np.array(a, dtype=np.float64) for a in arrays]

    def scalar(values: list[np.ndarray]) -> float:
        out = fn(*[Tensor(v) for v in values]).data.astype(np.float64)
        weights = np.ones_like(out) if upstream is None else upstream
        return float(np.sum(out * weights))

    grads = []
    for position, array in enumerate(arrays):
        grad = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[position][index] += eps
            minus[position][index] -= eps
            grad[index] = (scalar(plus) - scalar(minus)) / (2 * eps)
        grads.append(grad)
    return grads


def engine_grads(
    fn: Callable[..., Tensor],
    arrays: Sequence[np.ndarray],
    upstream: np.ndarray | None = None,
) -> list[np.ndarray]:
    """The engine's gradients of ``sum(fn(*arrays) * upstream)``, one array per input."""
    inputs = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out = fn(*inputs)
    seed = np.ones(out.shape) if upstream is None else upstream
    out.backward(seed)
    return [np.zeros(t.shape) if t.grad is None else t.grad.numpy() for t in inputs]
