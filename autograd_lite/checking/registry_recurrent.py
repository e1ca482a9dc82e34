"""Registry entries of the fused recurrent cells and the LSTM sequence op.

See `registry` for what an entry is; these are added to its `REGISTRY`. An entry returns
one Tensor, so the cells with two outputs return them side by side (LSTM: h' and c'
joined along the last axis; the sequence: every h, then the last h and c, along the time
axis). The references are the formulas written out in NumPy, gate by gate.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..functions import concatenate
from ..functions_recurrent import gru_cell, lstm_cell, lstm_sequence, rnn_cell
from .op_entry import OpEntry

#: shape kind -> gate blocks (the strategies draw x, h, [c], w_ih, w_hh, b_ih, b_hh)
RECURRENT_GATES = {"lstm_cell": 4, "gru_cell": 3, "rnn_cell": 1, "lstm_sequence": 4}


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


def _lstm_reference(*arrays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, h, c, w_ih, w_hh, b_ih, b_hh = arrays
    size = c.shape[-1]
    gates = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    i, f = _sigmoid(gates[..., :size]), _sigmoid(gates[..., size : 2 * size])
    g, o = np.tanh(gates[..., 2 * size : 3 * size]), _sigmoid(gates[..., 3 * size :])
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


def _gru_reference(*arrays: np.ndarray) -> np.ndarray:
    x, h, w_ih, w_hh, b_ih, b_hh = arrays
    size = h.shape[-1]
    a, b = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    r = _sigmoid(a[..., :size] + b[..., :size])
    z = _sigmoid(a[..., size : 2 * size] + b[..., size : 2 * size])
    n = np.tanh(a[..., 2 * size :] + r * b[..., 2 * size :])
    return np.asarray((1.0 - z) * n + z * h)


def _sequence_reference(*arrays: np.ndarray) -> np.ndarray:
    x, h, c, *params = arrays
    hs = []
    for x_t in x:
        h, c = _lstm_reference(x_t, h, c, *params)
        hs.append(h)
    return np.concatenate([np.stack(hs), h[None], c[None]])


def _lstm_joined(*tensors: Any) -> Any:
    return concatenate(lstm_cell(*tensors), axis=-1)


def _sequence_joined(*tensors: Any) -> Any:
    hs, (h, c) = lstm_sequence(*tensors)
    return concatenate([hs, h.reshape((1,) + h.shape), c.reshape((1,) + c.shape)], axis=0)


RECURRENT_ENTRIES: tuple[OpEntry, ...] = (
    OpEntry(
        "lstm_cell",
        _lstm_joined,
        lambda *arrays: np.concatenate(_lstm_reference(*arrays), axis=-1),
        ("real",) * 7,
        covers=("autograd_lite.lstm_cell",),
        shapes="lstm_cell",
    ),
    OpEntry(
        "gru_cell",
        gru_cell,
        _gru_reference,
        ("real",) * 6,
        covers=("autograd_lite.gru_cell",),
        shapes="gru_cell",
    ),
    OpEntry(
        "rnn_cell",  # tanh: relu's kink is at a sum of inputs, out of the domains' reach
        rnn_cell,
        lambda x, h, w_ih, w_hh, b_ih, b_hh: np.tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh),
        ("real",) * 6,
        covers=("autograd_lite.rnn_cell",),
        shapes="rnn_cell",
    ),
    OpEntry(
        "lstm_sequence",
        _sequence_joined,
        _sequence_reference,
        ("real",) * 7,
        covers=("autograd_lite.lstm_sequence",),
        shapes="lstm_sequence",
    ),
)
