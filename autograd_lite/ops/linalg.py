"""Matrix product with np.matmul's rules: 1-D, 2-D and batched (broadcast) operands."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine.context import Context
from ..errors import ShapeError
from .op import Op


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
    def backward(ctx: Context, grad_output: Any) -> tuple[Any, ...]:
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
            rows, columns, inner = g2.shape[-2], b2.shape[-2], g2.shape[-1]
            if columns > rows and inner >= 4 * (rows + columns):
                # [fast path: long product transposed] a small result summed over a long
                # axis (a convolution's weight gradient, summed over every position of
                # the batch) as (B G^T)^T: OpenBLAS was measured up to 2x faster with the
                # longer side of the result first, with the same sums in the same order
                product = _swap_last(b2 @ _swap_last(g2))
            else:
                product = g2 @ _swap_last(b2)
            grad_a = product._sum_to(a2.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            grad_b = (_swap_last(a2) @ g2)._sum_to(b2.shape).reshape(b.shape)
        return grad_a, grad_b


class Linear(Op):
    """Y = X @ W^T + b;  dL/dX = G @ W,  dL/dW = G^T X,  dL/db = sum of G over the batch

    One op instead of transpose, matmul and a broadcast add (the layer of every MLP): no
    transposed copy of W per call and no sum-to-shape pass for the bias. X has shape
    (..., in), W (out, in), b (out,); the batch axes of X are flattened for dL/dW and dL/db.
    """

    array_backward = True  # operators, reshape, .T and sum only

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, weight: np.ndarray, *bias: np.ndarray) -> np.ndarray:
        if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
            raise ShapeError(
                f"linear: input shape {x.shape} and weight shape {weight.shape} do not fit "
                "(the weight must be (out_features, in_features), the input (..., in_features))"
            )
        if bias and bias[0].shape != (weight.shape[0],):
            raise ShapeError(
                f"linear: bias shape {bias[0].shape} must be ({weight.shape[0]},), the weight's "
                f"out_features (weight shape {weight.shape})"
            )
        out = np.matmul(x, weight.T)  # a transposed view: BLAS reads it without a copy
        if bias:
            # same dtype (the usual case) decided by identity before asking np.result_type
            if bias[0].dtype is out.dtype or out.dtype == np.result_type(out, bias[0]):
                out += bias[0]  # into the fresh matmul result: no temporary
            else:
                out = out + bias[0]
        return out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> tuple[Any, ...]:
        x, weight = ctx.saved_as(grad_output)[:2]
        needs = ctx.needs_input_grad
        grad_x = grad_output @ weight if needs[0] else None
        if x.ndim == 2:  # (N, in) already: no reshapes
            samples, rows, inputs = x.shape[0], grad_output, x
        else:  # batch axes flattened: (N, out) and (N, in)
            samples = math.prod(x.shape[:-1])
            rows = grad_output.reshape(samples, weight.shape[0])
            inputs = x.reshape(samples, weight.shape[1])
        grad_weight = None
        if needs[1]:
            # [fast path: outer product] one sample: G^T X is an outer product, each entry a
            # single product. On arrays np.dot (BLAS gemm with k = 1) writes it faster than
            # a broadcast multiply, which first copies the broadcast operand into a buffer
            # (np.matmul takes another, slower path for k = 1); Tensors multiply.
            if samples != 1:
                grad_weight = rows.T @ inputs
            elif isinstance(rows, np.ndarray) and isinstance(inputs, np.ndarray):
                grad_weight = np.dot(rows.T, inputs)
            else:
                grad_weight = rows.T * inputs
        if len(needs) < 3:
            return grad_x, grad_weight
        grad_bias = None
        if needs[2]:
            # on arrays the C reduction, not ndarray.sum's Python wrapper
            is_array = isinstance(rows, np.ndarray)
            grad_bias = np.add.reduce(rows, axis=0) if is_array else rows.sum(axis=0)
        return grad_x, grad_weight, grad_bias
