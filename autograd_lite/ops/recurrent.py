"""Fused recurrent cells: one op for a whole time step of an LSTM, a GRU or an Elman RNN.

Written with Tensor operations, an LSTM step records about a dozen nodes (two products,
adds, the activations, slices, products); here forward computes the step on arrays in one
go and keeps the activations, and one backward rule sends the gradient to every input.
The rule uses only operations NumPy arrays and Tensors share (``@ * + - .T .sum`` and
slices, plus `join_last` for concatenation), so it runs on arrays without ``create_graph``
(``array_backward``) and on Tensors with it; the kept activations are then recomputed on
the graph (as `nonlinear.output_tensor` does), so second derivatives are right.

Inputs are named: the ``names`` option lists the ones given, in the order
``x, h, [c], [w_ih], w_hh, [b_ih], [b_hh]`` (c for the LSTM only). Without ``w_ih`` the
input ``x`` is already the input's share of the gates, x W_ih^T + b_ih: a layer computes
it for all time steps with one product before its loop. Gate blocks are PyTorch's rows:
LSTM i, f, g, o; GRU r, z, n.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from ..engine.context import Context
from ..engine.node import Node
from ..engine.tensor_base import bound
from ..errors import ShapeError
from ..grad_mode import is_grad_enabled
from .op import Op
from .shape import Concatenate

#: gate blocks per kind, and the public function each kind's errors name
GATES = {"lstm_cell": 4, "lstm_sequence": 4, "gru_cell": 3, "rnn_cell": 1}


# ---------------------------------------------------------------- shared pieces
def join_last(parts: list[Any]) -> Any:
    """Concatenate along the last axis: np.concatenate on arrays, the op on Tensors (the
    one operation of the rules that arrays and Tensors spell differently)."""
    if type(parts[0]) is np.ndarray:
        return np.concatenate(parts, axis=-1)
    return Concatenate.apply(*parts, axis=-1)


def same_dtype(arrays: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """The inputs in one dtype (NumPy's promotion), so in-place updates never cast down."""
    first = arrays[0].dtype
    for a in arrays:
        if a.dtype is not first:
            dtype = np.result_type(*arrays)
            return tuple([a.astype(dtype, copy=False) for a in arrays])
    return arrays


@lru_cache(maxsize=64)
def lstm_constants(size: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per gate column of an LSTM (blocks i, f, g, o): the scale s and shift 1 - s with
    act = tanh(s * gate) * s + (1 - s), and the mask of the tanh block.

    With s = 1/2 this is the sigmoid (sigmoid(v) = (1 + tanh(v/2)) / 2), with s = 1 the
    tanh, so one tanh call covers all four gates. The derivative is (1 - act)(act + mask):
    act (1 - act) for a sigmoid, 1 - act**2 for the tanh. Read-only: shared by every step.
    """
    scale = np.full(4 * size, 0.5, dtype=dtype)
    scale[2 * size : 3 * size] = 1.0
    shift, mask = 1.0 - scale, 2.0 * scale - 1.0
    for array in (scale, shift, mask):
        array.flags.writeable = False
    return scale, shift, mask


def _sigmoid_into(values: np.ndarray) -> np.ndarray:
    """sigmoid(values) = (1 + tanh(values / 2)) / 2, computed in place (no overflow)."""
    values *= 0.5
    np.tanh(values, out=values)
    values *= 0.5
    values += 0.5
    return values


def _parts(names: tuple[str, ...], values: Any) -> tuple[dict[str, Any], bool]:
    """The inputs by name, and whether x came without a batch axis: then x, h and c are
    taken as one row each (the results lose that axis again; the engine sums the rows'
    gradients back to the 1-D inputs)."""
    p = dict(zip(names, values))
    if p["x"].ndim != 1:
        return p, False
    for name in ("x", "h", "c"):
        if name in p:
            p[name] = p[name].reshape(1, -1)
    return p, True


def _rows(grad: Any, unbatched: bool) -> Any:
    """An incoming gradient as rows, as forward computed (see `_parts`)."""
    return grad.reshape(1, -1) if unbatched else grad


def _affine(p: dict[str, Any], x_name: str, w_name: str, b_name: str) -> Any:
    """x W^T + b on arrays (a new array), or x itself when it already is that product."""
    weight = p.get(w_name)
    if weight is None:
        return p[x_name]
    out = np.matmul(p[x_name], weight.T)
    bias = p.get(b_name)
    if bias is not None:
        out += bias
    return out


def _affine_tensor(p: dict[str, Any], x_name: str, w_name: str, b_name: str) -> Any:
    """`_affine` with Tensor operations (recorded): for the recomputation on the graph."""
    weight = p.get(w_name)
    if weight is None:
        return p[x_name]
    out = p[x_name] @ weight.T
    bias = p.get(b_name)
    return out if bias is None else out + bias


def _affine_grads(
    grads: dict[str, Any],
    need: dict[str, bool],
    p: dict[str, Any],
    d_out: Any,
    names: tuple[str, str, str],
) -> None:
    """The gradients of y = x W^T + b from dL/dy: dL/dx = dL/dy W, dL/dW = (dL/dy)^T x,
    dL/db = dL/dy summed over the batch (dL/dx = dL/dy when x is the product itself)."""
    x_name, w_name, b_name = names
    weight = p.get(w_name)
    if weight is None:
        if need[x_name]:
            grads[x_name] = d_out
        return
    if need[x_name]:
        grads[x_name] = d_out @ weight
    if need[w_name]:
        grads[w_name] = d_out.T @ p[x_name]
    if b_name in p and need[b_name]:
        grads[b_name] = d_out.sum(axis=0)


def kept_values(ctx: Context, like: Any, names: tuple[str, ...], recompute: Any) -> tuple[Any, ...]:
    """What forward kept (``names`` on ctx): arrays for an array rule, Tensors around the
    arrays without create_graph, recomputed on the graph with it."""
    if type(like) is np.ndarray:
        return tuple([getattr(ctx, name) for name in names])
    if is_grad_enabled():
        return tuple(recompute())
    return tuple([bound.wrap(getattr(ctx, name), False) for name in names])


def _grads_in_order(ctx: Context, grads: dict[str, Any]) -> tuple[Any, ...]:
    return tuple([grads.get(name) for name in ctx.names])


def check_cell(
    name: str,
    x_shape: tuple[int, ...],
    h_shape: tuple[int, ...],
    c_shape: tuple[int, ...] | None,
    w_ih_shape: tuple[int, ...] | None,
    w_hh_shape: tuple[int, ...],
    bias_shapes: dict[str, tuple[int, ...]],
    *,
    states: tuple[str, str] = ("h", "c"),
    x_given: tuple[int, ...] | None = None,
) -> None:
    """Raise a ShapeError naming ``name``, the argument and the shapes unless they fit
    (``states`` and ``x_given``: h's and c's names and x's shape as the caller knows them).

    w_hh is (G*H, H) with G the kind's gate blocks and H the hidden size, or (4H, P) for
    an LSTM whose h is projected to P features (PyTorch's proj_size); h is (N, H) (or
    (N, P)), c (N, H); x (N, I) with w_ih (G*H, I), or x (N, G*H) without w_ih (the
    input gates); each bias (G*H,). Without a batch axis, x, h and c are 1-D."""
    gates = GATES[name]
    shown = x_shape if x_given is None else x_given
    if len(w_hh_shape) != 2 or w_hh_shape[0] % gates or w_hh_shape[0] == 0:
        raise ShapeError(
            f"{name}: w_hh has shape {w_hh_shape}, expected ({gates} * hidden_size, "
            f"hidden_size) ({gates} block(s) of hidden_size rows, one per gate)"
        )
    rows, size = w_hh_shape[0], w_hh_shape[0] // gates
    if c_shape is None and w_hh_shape[1] != size:
        raise ShapeError(
            f"{name}: w_hh has shape {w_hh_shape}, expected ({rows}, {size}) = ({gates} * "
            f"hidden_size, hidden_size)"
        )
    if len(x_shape) not in (1, 2):
        raise ShapeError(f"{name}: x must be (N, input_size) or (input_size,), got {x_shape}")
    lead = x_shape[:-1]
    for arg, shape, width in zip(states, (h_shape, c_shape), (w_hh_shape[1], size)):
        if shape is not None and shape != lead + (width,):
            raise ShapeError(
                f"{name}: {arg} has shape {shape}, expected {lead + (width,)} (batch from x of "
                f"shape {shown}, {width} features from w_hh of shape {w_hh_shape})"
            )
    if w_ih_shape is None:
        if x_shape[-1] != rows:
            raise ShapeError(
                f"{name}: without w_ih, x holds the input gates and must have {rows} "
                f"features (w_hh has shape {w_hh_shape}), got x of shape {x_shape}"
            )
    elif w_ih_shape != (rows, x_shape[-1]):
        raise ShapeError(
            f"{name}: w_ih has shape {w_ih_shape}, expected {(rows, x_shape[-1])} (rows of "
            f"w_hh of shape {w_hh_shape}, features of x of shape {shown})"
        )
    for arg, shape in bias_shapes.items():
        if shape != (rows,):
            raise ShapeError(f"{name}: {arg} has shape {shape}, expected ({rows},)")


# ---------------------------------------------------------------- the cells
class LSTMCell(Op):
    """c' = f*c + i*g, h' = o*tanh(c');  dL/d(gates), dL/dc: `lstm_partials`, `lstm_step_backward`

    (i, f, g, o) = (sigmoid, sigmoid, tanh, sigmoid) of the four column blocks of
    x W_ih^T + b_ih + h W_hh^T + b_hh. The gates' gradient then flows back through the two
    products (`_affine_grads`).
    """

    array_backward = True  # see Op.array_backward; two outputs: `run_backward` below

    @staticmethod
    def forward(ctx: Context, *arrays: np.ndarray, names: tuple[str, ...]) -> Any:
        p, unbatched = _parts(names, same_dtype(arrays))
        c = p["c"]
        size = c.shape[-1]  # h may have fewer features (a projected LSTM's)
        gates = _affine(p, "h", "w_hh", "b_hh")
        gates += _affine(p, "x", "w_ih", "b_ih")  # into the fresh product: no temporary
        scale, shift, _ = lstm_constants(size, gates.dtype)
        gates *= scale
        acts = np.tanh(gates, out=gates)  # all four gates at once (see lstm_constants)
        acts *= scale
        acts += shift
        i, f, g, o = (acts[:, k * size : (k + 1) * size] for k in range(4))
        c_new = f * c
        c_new += i * g
        tanh_c = np.tanh(c_new)
        ctx.names, ctx.unbatched, ctx.acts, ctx.tanh_c = names, unbatched, acts, tanh_c
        h_new = o * tanh_c
        return (h_new[0], c_new[0]) if unbatched else (h_new, c_new)

    @classmethod
    def run_backward(cls, node: Node, grads: list[Any], create_graph: bool) -> Any:
        """Both outputs' gradients at once, zeros for one that received none; arrays
        without create_graph."""
        return cls.backward(node, *node.grads_or_zeros(grads, as_tensors=create_graph))

    @staticmethod
    def backward(ctx: Context, grad_h: Any, grad_c: Any) -> tuple[Any, ...]:
        p, unbatched = _parts(ctx.names, ctx.saved_as(grad_h))
        grad_h, grad_c = _rows(grad_h, unbatched), _rows(grad_c, unbatched)

        def recompute() -> tuple[Any, Any]:
            gates = _affine_tensor(p, "h", "w_hh", "b_hh") + _affine_tensor(p, "x", "w_ih", "b_ih")
            acts, _, tanh_c = lstm_step_tensors(gates, p["c"])
            return acts, tanh_c

        acts, tanh_c = kept_values(ctx, grad_h, ("acts", "tanh_c"), recompute)
        partials = lstm_partials(acts, tanh_c, p["c"])
        forget = acts[:, tanh_c.shape[-1] : 2 * tanh_c.shape[-1]]
        d_gates, d_c = lstm_step_backward(partials, forget, grad_h, grad_c)
        need = dict(zip(ctx.names, ctx.needs_input_grad))
        grads: dict[str, Any] = {"c": d_c}
        _affine_grads(grads, need, p, d_gates, ("h", "w_hh", "b_hh"))
        _affine_grads(grads, need, p, d_gates, ("x", "w_ih", "b_ih"))
        return _grads_in_order(ctx, grads)


def lstm_step_tensors(gates: Any, c: Any) -> tuple[Any, Any, Any]:
    """(activations i|f|g|o, c', tanh(c')) of one LSTM step from its gates, with Tensor
    operations (recorded): the recomputation on the graph under create_graph."""
    size = c.shape[-1]
    sig, tanh = gates.sigmoid(), gates[:, 2 * size : 3 * size].tanh()
    acts = join_last([sig[:, : 2 * size], tanh, sig[:, 3 * size :]])
    c_new = acts[:, size : 2 * size] * c + acts[:, :size] * tanh
    return acts, c_new, c_new.tanh()


def lstm_partials(acts: Any, tanh_c: Any, c: Any) -> tuple[Any, Any]:
    """What an LSTM step's backward needs besides the incoming gradients: (P, q).

    With d the total dL/dc' (directly, plus through h' = o * tanh(c'): d = dL/dc' +
    dL/dh' * q, q = o (1 - tanh(c')^2)), the gates' upstream is dL/di = d g, dL/df = d c,
    dL/dg = d i, dL/do = dL/dh' tanh(c'); each times its activation's derivative
    (1 - act)(act + mask) (see `lstm_constants`). P holds [g, c, i, tanh(c')] times those
    derivatives, so dL/d(gates) = [d, d, d, dL/dh'] * P. Any leading axes (a whole
    sequence at once), on arrays or Tensors.
    """
    size = tanh_c.shape[-1]
    i, g, o = acts[..., :size], acts[..., 2 * size : 3 * size], acts[..., 3 * size :]
    mask = lstm_constants(size, np.dtype(acts.dtype))[2]
    partners = join_last([g, c, i, tanh_c])
    return partners * (1.0 - acts) * (acts + mask), o * (1.0 - tanh_c * tanh_c)


def lstm_step_backward(
    partials: tuple[Any, Any], forget: Any, grad_h: Any, grad_c: Any
) -> tuple[Any, Any]:
    """(dL/d(gates), dL/dc) of one LSTM step from dL/dh', dL/dc', its `lstm_partials`
    and its forget gate f (dL/dc = d f)."""
    scaled, q = partials
    d_c = grad_c + grad_h * q
    return join_last([d_c, d_c, d_c, grad_h]) * scaled, d_c * forget


class GRUCell(Op):
    """h' = n + z*(h - n), n = tanh(a_n + r*b_n);  dL/dn = g(1 - z), dL/dz = g(h - n),
    dL/dr = dL/d(pre_n) * b_n, dL/dh = g*z + (through the product h W_hh^T)

    a = x W_ih^T + b_ih and b = h W_hh^T + b_hh, each in blocks r, z, n (PyTorch's
    formulas); r, z = sigmoid(a_r + b_r), sigmoid(a_z + b_z). The gradients of a and b
    differ only in the n block: dL/da_n = dL/d(pre_n), dL/db_n = dL/d(pre_n) * r.
    """

    array_backward = True

    @staticmethod
    def forward(ctx: Context, *arrays: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
        p, unbatched = _parts(names, same_dtype(arrays))
        h = p["h"]
        size = h.shape[-1]
        a = _affine(p, "x", "w_ih", "b_ih")
        b = _affine(p, "h", "w_hh", "b_hh")
        rz = _sigmoid_into(a[:, : 2 * size] + b[:, : 2 * size])
        b_n = b[:, 2 * size :]
        n = rz[:, :size] * b_n
        n += a[:, 2 * size :]
        np.tanh(n, out=n)
        ctx.names, ctx.unbatched, ctx.rz, ctx.n, ctx.b_n = names, unbatched, rz, n, b_n
        out = h - n
        out *= rz[:, size:]
        out += n
        return out[0] if unbatched else out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> tuple[Any, ...]:
        p, unbatched = _parts(ctx.names, ctx.saved_as(grad_output))
        grad_output, h = _rows(grad_output, unbatched), p["h"]

        def recompute() -> tuple[Any, Any, Any]:
            size = h.shape[-1]
            a = _affine_tensor(p, "x", "w_ih", "b_ih")
            b = _affine_tensor(p, "h", "w_hh", "b_hh")
            rz = (a[:, : 2 * size] + b[:, : 2 * size]).sigmoid()
            b_n = b[:, 2 * size :]
            return rz, (a[:, 2 * size :] + rz[:, :size] * b_n).tanh(), b_n

        rz, n, b_n = kept_values(ctx, grad_output, ("rz", "n", "b_n"), recompute)
        size = n.shape[-1]
        r, z = rz[:, :size], rz[:, size:]
        d_pre_n = grad_output * (1.0 - z) * (1.0 - n * n)
        d_rz = join_last([d_pre_n * b_n, grad_output * (h - n)]) * rz * (1.0 - rz)
        need = dict(zip(ctx.names, ctx.needs_input_grad))
        grads: dict[str, Any] = {}
        _affine_grads(grads, need, p, join_last([d_rz, d_pre_n]), ("x", "w_ih", "b_ih"))
        _affine_grads(grads, need, p, join_last([d_rz, d_pre_n * r]), ("h", "w_hh", "b_hh"))
        if need["h"]:
            grads["h"] = grads["h"] + grad_output * z  # h' = ... + z*h directly
        return _grads_in_order(ctx, grads)


class RNNCell(Op):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh);  dL/d(pre) = g (1 - h'^2) for tanh,
    g [h' > 0] for relu (0 at 0, as PyTorch), then through the two products"""

    array_backward = True
    saves_output = True  # the rule reads h'

    @staticmethod
    def forward(
        ctx: Context, *arrays: np.ndarray, names: tuple[str, ...], nonlinearity: str
    ) -> np.ndarray:
        p, unbatched = _parts(names, same_dtype(arrays))
        pre = _affine(p, "h", "w_hh", "b_hh")
        pre += _affine(p, "x", "w_ih", "b_ih")
        if nonlinearity == "tanh":
            out = np.tanh(pre, out=pre)
        else:
            out = np.maximum(pre, 0.0, out=pre)
        ctx.names, ctx.unbatched, ctx.nonlinearity, ctx.out = names, unbatched, nonlinearity, out
        return out[0] if unbatched else out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> tuple[Any, ...]:
        p, unbatched = _parts(ctx.names, ctx.saved_as(grad_output))
        grad_output, tanh = _rows(grad_output, unbatched), ctx.nonlinearity == "tanh"

        def recompute() -> tuple[Any]:
            pre = _affine_tensor(p, "h", "w_hh", "b_hh") + _affine_tensor(p, "x", "w_ih", "b_ih")
            return (pre.tanh() if tanh else pre.relu(),)

        (out,) = kept_values(ctx, grad_output, ("out",), recompute)
        d_pre = grad_output * (1.0 - out * out) if tanh else grad_output * (out > 0)
        need = dict(zip(ctx.names, ctx.needs_input_grad))
        grads: dict[str, Any] = {}
        _affine_grads(grads, need, p, d_pre, ("h", "w_hh", "b_hh"))
        _affine_grads(grads, need, p, d_pre, ("x", "w_ih", "b_ih"))
        return _grads_in_order(ctx, grads)
