"""`LSTMSequence`: the recurrence of one LSTM layer over every time step, as one op.

The input's share of all steps' gates, x W_ih^T + b_ih + b_hh, comes in as one (L, N, 4H)
array (one product before the op, see `functions.lstm_sequence`). Forward loops over
time on arrays, writing each step's activations into whole-sequence buffers. Backward
loops back over time with the rule of one step (`recurrent.lstm_step_backward`, the
LSTM cell's), keeps each step's gate gradient, and gives ``w_hh`` its gradient with one
product over all steps at the end, instead of one product and one sum per step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.context import Context
from ..engine.node import Node
from .op import Op
from .recurrent import (
    kept_values,
    lstm_constants,
    lstm_partials,
    lstm_step_backward,
    lstm_step_tensors,
    same_dtype,
)
from .shape import Concatenate, Stack


def _join_first(parts: list[Any]) -> Any:
    """Concatenate along the first axis: np.concatenate on arrays, the op on Tensors."""
    if type(parts[0]) is np.ndarray:
        return np.concatenate(parts)
    return Concatenate.apply(*parts, axis=0)


def _stack(parts: list[Any]) -> Any:
    """Stack along a new first axis: np.stack on arrays, the op on Tensors."""
    if type(parts[0]) is np.ndarray:
        return np.stack(parts)
    return Stack.apply(*parts, axis=0)


class LSTMSequence(Op):
    """h_t, c_t = LSTM step(a_t + h_{t-1} W_hh^T, c_{t-1}) for t < L;  dL/da_t = e_t (the
    step's gate gradient), dL/dW_hh = sum_t e_t^T h_{t-1}, dL/dh_0 = e_0 W_hh, dL/dc_0

    Inputs: a (L, N, 4H), the input's share of the gates with both biases; h0 and c0
    (N, H); w_hh (4H, H). Outputs: every h_t as (L, N, H), and the last c, (N, H).
    Going back, step t's h receives dL/dh_t from the output plus e_{t+1} W_hh.
    """

    array_backward = True  # see Op.array_backward; two outputs: `run_backward` below
    saves_output = True  # the rule reads the h_t it returned (each the next step's input)

    @staticmethod
    def forward(
        ctx: Context, gates_x: np.ndarray, h0: np.ndarray, c0: np.ndarray, w_hh: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        gates_x, h0, c0, w_hh = same_dtype((gates_x, h0, c0, w_hh))
        steps, size = gates_x.shape[0], c0.shape[-1]
        scale, shift, _ = lstm_constants(size, gates_x.dtype)
        # [fast path: sequence buffers] W_hh^T copied once into rows (BLAS reads a
        # transposed view of a small matrix at about half speed), the gates' scale for
        # tanh (see lstm_constants) folded into it and into the inputs: scaling by 1/2 or 1
        # is exact, so these are the cell's numbers
        weight = np.ascontiguousarray(w_hh.T) * scale
        acts = gates_x * scale  # each step adds its h product, then the activations
        cells = np.empty((steps,) + c0.shape, dtype=acts.dtype)
        tanh_c, hs = np.empty_like(cells), np.empty_like(cells)
        product = np.empty_like(acts[0])
        h, c = h0, c0
        for t in range(steps):
            a = acts[t]
            a += np.matmul(h, weight, out=product)
            np.tanh(a, out=a)
            a *= scale
            a += shift
            i, f, g, o = (a[:, k * size : (k + 1) * size] for k in range(4))
            c = np.multiply(f, c, out=cells[t])
            c += i * g
            h = np.multiply(o, np.tanh(c, out=tanh_c[t]), out=hs[t])
        ctx.acts, ctx.cells, ctx.tanh_c, ctx.hs = acts, cells, tanh_c, hs
        return hs, cells[-1].copy()  # a copy: the cells stay intact for backward

    @classmethod
    def run_backward(cls, node: Node, grads: list[Any], create_graph: bool) -> Any:
        """Both outputs' gradients at once, zeros for one that received none; arrays
        without create_graph."""
        return cls.backward(node, *node.grads_or_zeros(grads, as_tensors=create_graph))

    @staticmethod
    def backward(ctx: Context, grad_hs: Any, grad_c: Any) -> tuple[Any, ...]:
        gates_x, h0, c0, w_hh = ctx.saved_as(grad_hs)
        steps = gates_x.shape[0]

        def recompute() -> list[Any]:  # every step on the graph, as the cell computes it
            values: tuple[list[Any], ...] = ([], [], [], [])
            h, c = h0, c0
            for t in range(steps):
                acts, c, tanh_c = lstm_step_tensors(gates_x[t] + h @ w_hh.T, c)
                h = acts[:, 3 * c.shape[-1] :] * tanh_c
                for kept, value in zip(values, (acts, c, tanh_c, h)):
                    kept.append(value)
            return [_stack(kept) for kept in values]  # (L, ...) each, as the arrays

        acts, cells, tanh_c, hs = kept_values(
            ctx, grad_hs, ("acts", "cells", "tanh_c", "hs"), recompute
        )
        size = c0.shape[-1]
        # everything that does not depend on the incoming gradient, for all steps at once
        c_prev = _join_first([c0.reshape((1,) + c0.shape), cells[: steps - 1]])
        scaled, q = lstm_partials(acts, tanh_c, c_prev)
        forget = acts[:, :, size : 2 * size]
        d_gates: list[Any] = [None] * steps
        d_h = grad_hs[steps - 1]
        for t in range(steps - 1, -1, -1):
            step_partials = (scaled[t], q[t])
            d_gates[t], grad_c = lstm_step_backward(step_partials, forget[t], d_h, grad_c)
            d_h = d_gates[t] @ w_hh  # into h_{t-1}: through this step's product
            if t:
                d_h = d_h + grad_hs[t - 1]
        grad_gates, grad_w = _stack(d_gates), None
        if ctx.needs_input_grad[3]:
            grad_w = grad_gates[0].T @ h0
        if grad_w is not None and steps > 1:  # sum_t e_t^T h_{t-1}: one product over steps 1 .. L-1
            rows = (steps - 1) * h0.shape[0]
            later = grad_gates[1:].reshape(rows, w_hh.shape[0])
            grad_w = grad_w + later.T @ hs[: steps - 1].reshape(rows, h0.shape[-1])
        return grad_gates, d_h, grad_c, grad_w
