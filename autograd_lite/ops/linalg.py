"""Matrix product with np.matmul's rules: 1-D, 2-D and batched (broadcast) operands."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ShapeError
from ..function import Context, Op


def _swap_last(t: Any) -> Any:
    """Swap the last two axes (the matrix transpose of a batch of matrices)."""
    axes = list(range(t.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return t.transpose(axes)


class MatMul(Op):
    """Y = A @ B;  dL/dA = dL/dY @ B^T,  dL/dB = A^T @ dL/dY

    A 1-D operand is treated as a row (A) or column (B) matrix, as np.matmul does, and the
    inserted axis is removed again from its gradient. Batch axes broadcast; the walk sums
    the gradient back over them.
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(
                "matmul: operands must have at least 1 dimension, "
                f"got shapes {a.shape} and {b.shape}"
            )
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ShapeError(
                f"matmul: shapes {a.shape} and {b.shape} do not match: "
                f"{a.shape[-1]} (last dim of a) != {b.shape[-2 if b.ndim > 1 else 0]} "
                f"({'second-to-last' if b.ndim > 1 else 'only'} dim of b)"
            )
        try:
            return np.matmul(a, b)
        except ValueError:
            raise ShapeError(
                f"matmul: batch shapes of {a.shape} and {b.shape} do not broadcast"
            ) from None

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> tuple:
        a, b = ctx.saved_tensors
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        g2 = grad_output
        if a.ndim == 1:
            g2 = (
                g2.reshape(g2.shape[:-1] + (1,) + g2.shape[-1:]) if b.ndim > 1 else g2.reshape(1, 1)
            )
        if b.ndim == 1:
            g2 = g2.reshape(g2.shape + (1,)) if a.ndim > 1 else g2
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = (g2 @ _swap_last(b2))._sum_to(a2.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            grad_b = (_swap_last(a2) @ g2)._sum_to(b2.shape).reshape(b.shape)
        return grad_a, grad_b
