"""`LSTMSequence`: the recurrence of one LSTM layer over every time step, as one op.

Forward computes the input's share of all steps' gates, x W_ih^T + b, with one product,
then loops over time on arrays, writing each step's activations into whole-sequence
buffers. Backward loops back over time with the rule of one step (`lstm_partials` and
`lstm_step_backward`, the LSTM cell's), keeps each step's gate gradient, and gives the
weights and the bias their gradients with one product (one sum) over all steps at the
end, instead of one per step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.context import Context
from ..engine.node import Node
from ..engine.tensor_base import bound
from .op import Op
from .recurrent import (
    kept_values,
    lstm_constants,
    lstm_partials,
    lstm_step_backward,
    lstm_step_tensors,
    same_dtype,
)
from .shape import Stack


class _Steps:
    """One value per time step, gathered into an (L, ...) result: written straight into
    one array on arrays (no list of step arrays to copy: fresh memory costs a page fault
    per 4 KiB), stacked at the end on Tensors."""

    def __init__(self, like: Any, steps: int) -> None:
        self.steps = steps
        self.array: Any = None  # made by the first step's value (its shape and dtype)
        self.parts: list[Any] = [None] * steps
        self.is_array = type(like) is np.ndarray

    def __setitem__(self, t: int, value: Any) -> None:
        if not self.is_array:
            self.parts[t] = value
            return
        if self.array is None:
            self.array = np.empty((self.steps,) + value.shape, dtype=value.dtype)
        self.array[t] = value

    def __getitem__(self, t: int) -> Any:
        return self.array[t] if self.is_array else self.parts[t]

    def result(self) -> Any:
        return self.array if self.is_array else Stack.apply(*self.parts, axis=0)


def halving_is_exact(*arrays: np.ndarray) -> bool:
    """True when x / 2 is exact for every entry: none is below twice the smallest normal
    number (but zero)."""
    for array in arrays:
        smallest = 2 * np.finfo(array.dtype).tiny
        if np.any((np.abs(array) < smallest) & (array != 0)):
            return False
    return True


class LSTMSequence(Op):
    """h_t, c_t = LSTM step(x_t W_ih^T + b + h_{t-1} W_hh^T, c_{t-1}) for t < L;  with e_t
    step t's gate gradient: dL/dx_t = e_t W_ih, dL/dW_ih = sum_t e_t^T x_t, dL/db =
    sum_t e_t, dL/dW_hh = sum_t e_t^T h_{t-1}, dL/dh_0 = e_0 W_hh, dL/dc_0 = step 0's

    Inputs: x (L, N, I); h0 and c0 (N, H); w_ih (4H, I); w_hh (4H, H); optionally one bias
    (4H,) (b_ih + b_hh). Outputs: every h_t as (L, N, H), the last h and the last c, (N, H)
    each. Going back, step t's h receives dL/dh_t from the outputs plus e_{t+1} W_hh; the
    weight and bias gradients are one product (one sum) over all steps at the end.
    """

    array_backward = True  # see Op.array_backward; two outputs: `run_backward` below
    # the rule reads the h_t it returned (each the next step's input), not the copies h_n, c_n
    saves_output = (0,)

    @staticmethod
    def forward(ctx: Context, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
        x, h0, c0, w_ih, w_hh, *bias = same_dtype(arrays)
        steps, batch, size = x.shape[0], x.shape[1], c0.shape[-1]
        scale, shift, _ = lstm_constants(size, x.dtype)
        # [fast path: sequence buffers] the input's gates of all steps with one product,
        # straight into the activations' buffer; the weights transposed once into rows
        # (BLAS reads a transposed view of a small matrix at about half speed); the gates'
        # scale for tanh (see lstm_constants) folded into weights and bias: scaling by 1/2
        # or 1 is exact, so these are the cell's numbers, unless an entry is so small that
        # halving it rounds (then inf * 0 could give NaN where the cell gives 1): the gates
        # are scaled after the products instead
        fold = halving_is_exact(w_ih, w_hh, *bias)
        before = scale if fold else 1
        acts = np.empty((steps, batch, 4 * size), dtype=x.dtype)
        np.matmul(
            x.reshape(steps * batch, x.shape[2]),  # sizes spelled out: a batch may be 0
            np.ascontiguousarray(w_ih.T) * before,
            out=acts.reshape(-1, 4 * size),
        )
        if bias:
            acts += bias[0] * before
        weight = np.ascontiguousarray(w_hh.T) * before
        cells = np.empty((steps,) + c0.shape, dtype=acts.dtype)
        tanh_c, hs = np.empty_like(cells), np.empty_like(cells)
        product = np.empty_like(acts[0])
        h, c = h0, c0
        for t in range(steps):
            a = acts[t]
            a += np.matmul(h, weight, out=product)
            if not fold:
                a *= scale
            np.tanh(a, out=a)
            a *= scale
            a += shift
            i, f, g, o = (a[:, k * size : (k + 1) * size] for k in range(4))
            c = np.multiply(f, c, out=cells[t])
            c += i * g
            h = np.multiply(o, np.tanh(c, out=tanh_c[t]), out=hs[t])
        ctx.acts, ctx.cells, ctx.tanh_c, ctx.hs = acts, cells, tanh_c, hs
        return hs, h.copy(), c.copy()  # copies: what backward reads stays intact

    @classmethod
    def run_backward(cls, node: Node, grads: list[Any], create_graph: bool) -> Any:
        """All outputs' gradients at once (arrays without create_graph). The last h and c
        get zeros when they received none; the sequence's stays None then, and the rule
        skips adding it (when only h_n is used, as in a classifier)."""
        grad_hs, grad_h, grad_c = grads
        wrap = bound.wrap if create_graph else lambda array, _: array
        meta = node.output_meta  # (shape, dtype) of each output
        if grad_h is None:
            grad_h = wrap(np.zeros(meta[1][0], dtype=meta[1][1]), False)
        if grad_c is None:
            grad_c = wrap(np.zeros(meta[2][0], dtype=meta[2][1]), False)
        return cls.backward(node, grad_hs, grad_h, grad_c)

    @staticmethod
    def backward(ctx: Context, grad_hs: Any, grad_h: Any, grad_c: Any) -> tuple[Any, ...]:
        x, h0, c0, w_ih, w_hh, *bias = ctx.saved_as(grad_h)
        steps, size = x.shape[0], c0.shape[-1]

        def recompute() -> list[Any]:  # every step on the graph, as the cell computes it
            values: tuple[list[Any], ...] = ([], [], [], [])
            h, c = h0, c0
            for t in range(steps):
                gates = x[t] @ w_ih.T + h @ w_hh.T
                acts, c, tanh_c = lstm_step_tensors(gates + bias[0] if bias else gates, c)
                h = acts[:, 3 * size :] * tanh_c
                for kept, value in zip(values, (acts, c, tanh_c, h)):
                    kept.append(value)
            return [Stack.apply(*kept, axis=0) for kept in values]  # (L, ...), as the arrays

        acts, cells, tanh_c, hs = kept_values(
            ctx, grad_h, ("acts", "cells", "tanh_c", "hs"), recompute
        )
        d_gates = _Steps(grad_h, steps)
        d_h = grad_h if grad_hs is None else grad_h + grad_hs[steps - 1]
        for t in range(steps - 1, -1, -1):
            # step by step: small temporaries reuse the memory just freed, where
            # whole-sequence ones would cost fresh pages every call
            partials = lstm_partials(acts[t], tanh_c[t], cells[t - 1] if t else c0)
            forget = acts[t][:, size : 2 * size]
            d_gates[t], grad_c = lstm_step_backward(partials, forget, d_h, grad_c)
            d_h = d_gates[t] @ w_hh  # into h_{t-1}: through this step's product
            if t and grad_hs is not None:
                d_h = d_h + grad_hs[t - 1]
        needs = ctx.needs_input_grad
        rows = steps * x.shape[1]
        flat = d_gates.result().reshape(rows, 4 * size)  # e_t of every step, one row each
        grad_x = (flat @ w_ih).reshape(x.shape) if needs[0] else None
        grad_w_ih = flat.T @ x.reshape(rows, x.shape[2]) if needs[3] else None
        grad_w_hh = None
        if needs[4]:  # sum_t e_t^T h_{t-1}: h_0, then one product over steps 1 .. L-1
            grad_w_hh = flat[: x.shape[1]].T @ h0
            if steps > 1:
                later = flat[x.shape[1] :]
                grad_w_hh = grad_w_hh + later.T @ hs[: steps - 1].reshape(rows - x.shape[1], size)
        grads = (grad_x, d_h, grad_c, grad_w_ih, grad_w_hh)
        if bias and needs[5]:
            return grads + (flat.sum(axis=0),)
        return grads + (None,) * len(bias)
