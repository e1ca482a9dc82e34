"""Module functions for recurrent networks: the fused cells `lstm_cell`, `gru_cell`,
`rnn_cell` (one op per time step) and `lstm_sequence` (one op for all steps of an LSTM
layer). Each checks its arguments, naming itself, the argument and the shapes, then
applies ops from ``ops/recurrent.py`` and ``ops/recurrent_sequence.py``."""

from __future__ import annotations

from typing import Any

from .errors import ShapeError
from .ops.recurrent import GRUCell, LSTMCell, RNNCell, check_cell
from .ops.recurrent_sequence import LSTMSequence
from .tensor import as_tensor


def _cell_inputs(
    name: str,
    x: Any,
    h: Any,
    c: Any,
    w_ih: Any,
    w_hh: Any,
    b_ih: Any,
    b_hh: Any,
) -> tuple[list[Any], tuple[str, ...]]:
    """The given inputs as Tensors and their names (the op's ``names``), the shapes checked
    (`ops.recurrent.check_cell`)."""
    given = {"x": x, "h": h, "c": c, "w_ih": w_ih, "w_hh": w_hh, "b_ih": b_ih, "b_hh": b_hh}
    required = ("x", "h", "c", "w_hh") if name == "lstm_cell" else ("x", "h", "w_hh")
    _given(name, {key: given[key] for key in required})
    tensors = {key: as_tensor(value) for key, value in given.items() if value is not None}
    if w_ih is None and b_ih is not None:
        raise ValueError(f"{name}: b_ih without w_ih (fold it into the precomputed input gates)")
    shapes = {key: t.shape for key, t in tensors.items()}
    check_cell(
        name,
        shapes["x"],
        shapes["h"],
        shapes.get("c"),
        shapes.get("w_ih"),
        shapes["w_hh"],
        {key: shapes[key] for key in ("b_ih", "b_hh") if key in shapes},
    )
    return list(tensors.values()), tuple(tensors)


def _given(name: str, required: dict[str, Any]) -> None:
    """Raise a TypeError naming ``name`` and the argument when a required one is None."""
    for key, value in required.items():
        if value is None:
            raise TypeError(f"{name}: {key} is None; it needs a Tensor (or an array)")


def lstm_cell(
    x: Any,
    h: Any,
    c: Any,
    w_ih: Any,
    w_hh: Any,
    b_ih: Any = None,
    b_hh: Any = None,
) -> tuple[Any, Any]:
    """One LSTM time step (PyTorch's gates i, f, g, o), as one differentiable op.

    gates = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh in four column blocks; i, f, o are their
    sigmoids and g the tanh; c' = f * c + i * g and h' = o * tanh(c'). Forward keeps the
    activations and one backward rule gives every input its gradient (twice
    differentiable), so a step is one node in the graph instead of about a dozen.

    Args:
        x: input (N, input_size) or (input_size,). With ``w_ih=None``, x is instead the
            input's share of the gates already, x @ w_ih.T + b_ih, of shape
            (N, 4 * hidden_size): a layer computes it for all time steps with one product.
        h, c: hidden and cell state, (N, hidden_size) or (hidden_size,).
        w_ih: (4 * hidden_size, input_size), or None (see x).
        w_hh: (4 * hidden_size, hidden_size).
        b_ih, b_hh: (4 * hidden_size,) each, or None for no bias.

    Returns:
        ``(h', c')``, each of h's shape.

    Raises:
        ShapeError: naming the argument and the shapes when they do not fit.

    Example:
        >>> h, c = lstm_cell(Tensor(np.ones((1, 3))), Tensor([[0.0, 0.0]]), Tensor([[1.0, 2.0]]),
        ...                  Tensor(np.zeros((8, 3))), Tensor(np.zeros((8, 2))))
        >>> c.numpy()          # f = 1/2, i * g = 0: c' = c / 2
        array([[0.5, 1. ]])
    """
    tensors, names = _cell_inputs("lstm_cell", x, h, c, w_ih, w_hh, b_ih, b_hh)
    h_new, c_new = LSTMCell.apply(*tensors, names=names)
    return h_new, c_new


def gru_cell(x: Any, h: Any, w_ih: Any, w_hh: Any, b_ih: Any = None, b_hh: Any = None) -> Any:
    """One GRU time step (PyTorch's gates r, z, n and formulas), as one differentiable op.

    With a = x @ w_ih.T + b_ih and b = h @ w_hh.T + b_hh in blocks r, z, n:
    r = sigmoid(a_r + b_r), z = sigmoid(a_z + b_z), n = tanh(a_n + r * b_n) and
    h' = (1 - z) * n + z * h.

    Args:
        x: input (N, input_size) or (input_size,); with ``w_ih=None`` the precomputed
            a = x @ w_ih.T + b_ih, (N, 3 * hidden_size) (see `lstm_cell`).
        h: hidden state, (N, hidden_size) or (hidden_size,).
        w_ih: (3 * hidden_size, input_size), or None. w_hh: (3 * hidden_size, hidden_size).
        b_ih, b_hh: (3 * hidden_size,) each, or None for no bias.

    Returns:
        h', of h's shape.

    Raises:
        ShapeError: naming the argument and the shapes when they do not fit.

    Example:
        >>> gru_cell(Tensor([1.0]), Tensor([2.0]), Tensor(np.zeros((3, 1))),
        ...          Tensor(np.zeros((3, 1)))).numpy()     # z = 1/2, n = 0: h' = h / 2
        array([1.])
    """
    tensors, names = _cell_inputs("gru_cell", x, h, None, w_ih, w_hh, b_ih, b_hh)
    return GRUCell.apply(*tensors, names=names)


def rnn_cell(
    x: Any,
    h: Any,
    w_ih: Any,
    w_hh: Any,
    b_ih: Any = None,
    b_hh: Any = None,
    nonlinearity: str = "tanh",
) -> Any:
    """One Elman RNN time step, h' = act(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh), as one op.

    Args:
        x, h, w_ih, w_hh, b_ih, b_hh: as `gru_cell`, with hidden_size rows in the weights.
        nonlinearity: "tanh" (default) or "relu".

    Returns:
        h', of h's shape.

    Raises:
        ShapeError: naming the argument and the shapes when they do not fit.
        ValueError: for another nonlinearity.

    Example:
        >>> rnn_cell(Tensor([1.0]), Tensor([-2.0]), Tensor([[3.0]]), Tensor([[1.0]]),
        ...          nonlinearity="relu").numpy()
        array([1.])
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_cell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    tensors, names = _cell_inputs("rnn_cell", x, h, None, w_ih, w_hh, b_ih, b_hh)
    return RNNCell.apply(*tensors, names=names, nonlinearity=nonlinearity)


def lstm_sequence(
    x: Any,
    h0: Any,
    c0: Any,
    w_ih: Any,
    w_hh: Any,
    b_ih: Any = None,
    b_hh: Any = None,
) -> tuple[Any, tuple[Any, Any]]:
    """Every time step of one LSTM layer: the input product once, the recurrence as one op.

    The numbers of `lstm_cell` applied at t = 0, 1, ..., L-1 (h_t and c_t fed to the next
    step), as one op: forward computes x @ w_ih.T + b_ih + b_hh for all steps with one
    product, then loops over time on arrays; backward loops back with the cell's rule and
    gives the weights and biases their gradients with one product (one sum) over all
    steps (docs/design.md, fast paths). Twice differentiable.

    Args:
        x: inputs (L, N, input_size), time first, L >= 1.
        h0, c0: initial states (N, hidden_size).
        w_ih: (4 * hidden_size, input_size); w_hh: (4 * hidden_size, hidden_size).
        b_ih, b_hh: (4 * hidden_size,) each, or None for no bias.

    Returns:
        ``(hs, (h_n, c_n))`` as PyTorch's LSTM layer: every h_t as (L, N, hidden_size),
        and the last hidden and cell state (N, hidden_size) each.

    Raises:
        ShapeError: naming the argument and the shapes when they do not fit.

    Example:
        >>> hs, (h, c) = lstm_sequence(Tensor(np.ones((5, 2, 3))), Tensor(np.zeros((2, 4))),
        ...                       Tensor(np.zeros((2, 4))), Tensor(np.zeros((16, 3))),
        ...                       Tensor(np.zeros((16, 4))))
        >>> hs.shape, h.shape, c.shape
        ((5, 2, 4), (2, 4), (2, 4))
    """
    _given("lstm_sequence", {"x": x, "h0": h0, "c0": c0, "w_ih": w_ih, "w_hh": w_hh})
    x, h0, c0, w_ih, w_hh = (as_tensor(t) for t in (x, h0, c0, w_ih, w_hh))
    biases = [as_tensor(b) for b in (b_ih, b_hh) if b is not None]
    if x.ndim != 3 or x.shape[0] == 0:
        raise ShapeError(
            f"lstm_sequence: x must be (L, N, input_size) with L >= 1 steps, got {x.shape}"
        )
    check_cell(
        "lstm_sequence",
        x.shape[1:],
        h0.shape,
        c0.shape,
        w_ih.shape,
        w_hh.shape,
        {name: b.shape for name, b in zip(("b_ih", "b_hh"), biases)},
        states=("h0", "c0"),
        x_given=x.shape,
    )
    if h0.shape != c0.shape:  # check_cell allows a projected h (lstm_cell's proj_size)
        raise ShapeError(
            f"lstm_sequence: h0 has shape {h0.shape}, expected c0's {c0.shape} (no projection)"
        )
    if len(biases) == 2:
        biases = [biases[0] + biases[1]]  # b_ih and b_hh enter the gates as one sum
    hs, h_n, c_n = LSTMSequence.apply(x, h0, c0, w_ih, w_hh, *biases)
    return hs, (h_n, c_n)
