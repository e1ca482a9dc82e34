"""Scaled dot-product attention as one op: softmax(Q K^T s + M) V, the weights kept.

Composed of Tensor operations it records a transpose, two matrix products, a scaling, a
mask addition and a softmax, each with its own arrays and, in the backward pass, its own
rule; as one op the forward works in one scores array (scaled, masked and normalised in
place) and the rule is the five products of the formula below.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.context import Context
from .activations import kept_tensor
from .op import Op


class Attention(Op):
    """Y = W V,  W = softmax(Q K^T s + M) over the last axis;  with G = dL/dY:
    dL/dV = W^T G,  dL/dQ = s D K,  dL/dK = s D^T Q,  D = W * (G V^T - rowsum(G * Y))

    Q (..., L, E), K (..., S, E), V (..., S, Ev); the leading axes broadcast. M is a constant:
    a float array added to the scores, or a bool array whose False entries set the score to
    -inf (whatever it was, NaN included), or None. A row whose every score is
    -inf gets weights 0, not NaN (PyTorch's "safe softmax"), so its output and gradients
    are 0. rowsum(W * G V^T) = rowsum(G * Y): the row sums come from the (L, Ev) output,
    not from another (L, S) array.
    """

    array_backward = True  # on arrays: the five products, one (L, S) array
    saves_output = True

    @staticmethod
    def forward(
        ctx: Context, q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: Any, scale: float
    ) -> np.ndarray:
        ctx.mask, ctx.scale = mask, scale
        scores = np.matmul(q, np.swapaxes(k, -1, -2))
        if mask is not None and mask.ndim > 2:  # its leading axes may reach past q's and k's
            shape = np.broadcast_shapes(scores.shape, mask.shape)
            if shape != scores.shape:
                scores = np.broadcast_to(scores, shape).copy()
        scores *= scale
        if mask is not None and mask.dtype == np.bool_:  # excluded whatever the score (NaN too)
            np.copyto(scores, -np.inf, where=~mask)
        elif mask is not None:
            scores += mask
        ctx.weights = _softmax_in_place(scores)
        ctx.out = np.matmul(ctx.weights, v)
        return ctx.out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        q, k, v = ctx.saved_as(grad_output)
        if isinstance(grad_output, np.ndarray):  # on arrays (Op.array_backward)
            weights = ctx.weights
            d = np.matmul(grad_output, np.swapaxes(v, -1, -2))
            d -= np.add.reduce(grad_output * ctx.out, axis=-1, keepdims=True)
            d *= weights
            d *= ctx.scale
            return (
                np.matmul(d, k),
                np.matmul(np.swapaxes(d, -1, -2), q),
                np.matmul(np.swapaxes(weights, -1, -2), grad_output),
            )
        weights = kept_tensor(ctx, ctx.weights, lambda: _weights(q, k, ctx.mask, ctx.scale))
        y = kept_tensor(ctx, ctx.out, lambda: weights @ v)
        rows = (grad_output * y).sum(axis=-1, keepdims=True)
        d = weights * (grad_output @ _swap_last(v) - rows) * ctx.scale
        return d @ k, _swap_last(d) @ q, _swap_last(weights) @ grad_output


def _softmax_in_place(scores: np.ndarray) -> np.ndarray:
    """softmax over the last axis in ``scores``' own array; rows of only -inf become 0."""
    if scores.size == 0:  # no keys (or no queries): nothing to normalise
        return scores
    # [fast path: ufunc reductions] np.maximum.reduce / np.add.reduce without the wrappers
    top = np.maximum.reduce(scores, axis=-1, keepdims=True)
    dead = top == -np.inf
    any_dead = bool(dead.any())
    if any_dead:
        top[dead] = 0.0  # exp(-inf - 0) = 0: the row stays 0 instead of NaN
    scores -= top
    np.exp(scores, out=scores)
    total = np.add.reduce(scores, axis=-1, keepdims=True)
    if any_dead:
        total[dead] = 1.0
    scores /= total
    return scores


def _swap_last(t: Any) -> Any:
    """A Tensor with its last two axes exchanged."""
    axes = list(range(t.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return t.transpose(axes)


def _weights(q: Any, k: Any, mask: Any, scale: float) -> Any:
    """The attention weights from Tensors, on the graph (for create_graph)."""
    scores = (q @ _swap_last(k)) * scale
    if mask is not None and mask.dtype == np.bool_:
        scores = scores.broadcast_to(np.broadcast_shapes(scores.shape, mask.shape))
        scores = scores.masked_fill(~mask, -np.inf)
    elif mask is not None:
        scores = scores + mask
    dead = np.all(scores.data == -np.inf, axis=-1, keepdims=True)
    if not dead.any():
        return scores.softmax(-1)
    return scores.masked_fill(dead, 0.0).softmax(-1).masked_fill(dead, 0.0)
