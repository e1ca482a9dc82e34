"""`RNNCell`, `LSTMCell`, `GRUCell`: one time step of a recurrent layer, PyTorch's math.

The step functions (`rnn_step`, `lstm_step`, `gru_step`) are shared with the full layers of
`nn.recurrent`. Each is one fused op of autograd_lite (`rnn_cell`, `lstm_cell`,
`gru_cell`): all gates of a step from one matrix product for the input and one for the
hidden state, in PyTorch's gate order (LSTM i, f, g, o; GRU r, z, n).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd_lite import ShapeError, Tensor, gru_cell, linear, lstm_cell, rnn_cell, stack

from . import init
from .module import Module
from .parameter import Parameter, layer_dtype

NONLINEARITIES = ("tanh", "relu")


# ---------------------------------------------------------------- the math of one step
# Each step is one fused op of autograd_lite (one node per step in the graph). With
# ``w_ih`` None, ``x`` is the input's share of the gates, x W_ih^T + b_ih, which the layers
# of `nn.recurrent` compute for all time steps with one product before their loop.
def rnn_step(
    x: Tensor,
    h: Tensor,
    w_ih: Tensor | None,
    w_hh: Tensor,
    b_ih: Tensor | None,
    b_hh: Tensor | None,
    nonlinearity: str = "tanh",
) -> Tensor:
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act tanh or relu."""
    return rnn_cell(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity)


def lstm_step(
    x: Tensor,
    h: Tensor,
    c: Tensor,
    w_ih: Tensor | None,
    w_hh: Tensor,
    b_ih: Tensor | None,
    b_hh: Tensor | None,
    w_hr: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """(h', c') of an LSTM step; gates i, f, g, o are the four column blocks of one product.

    c' = f * c + i * g and h' = o * tanh(c'), with i, f, o sigmoids and g a tanh; with a
    projection ``w_hr`` (LSTM's proj_size), h' = (o * tanh(c')) W_hr^T, a separate linear.
    """
    h_new, c_new = lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh)
    if w_hr is not None:
        h_new = linear(h_new, w_hr)
    return h_new, c_new


def gru_step(
    x: Tensor,
    h: Tensor,
    w_ih: Tensor | None,
    w_hh: Tensor,
    b_ih: Tensor | None,
    b_hh: Tensor | None,
) -> Tensor:
    """h' of a GRU step, PyTorch's formulas.

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z likewise,
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.
    """
    return gru_cell(x, h, w_ih, w_hh, b_ih, b_hh)


def run_steps(
    sequence: Tensor,
    states: list[Tensor],
    w_ih: Tensor,
    b_ih: Tensor | None,
    step: Callable[[Tensor, list[Tensor]], list[Tensor]],
) -> tuple[Tensor, list[Tensor]]:
    """A recurrent layer over a (L, N, features) sequence, one cell op per time step:
    (every step's h as (L, N, H), the final states).

    The input's share of every step's gates, x W_ih^T + b_ih, comes from one product, cut
    into one block of rows per step; ``step(gates, states)`` gives the next states.
    """
    steps, rows = sequence.shape[0], sequence.shape[0] * sequence.shape[1]
    outputs = []
    # [fast path: fused recurrent cells] one product for every step's input gates, then
    # one fused op per step (autograd_lite's cells) instead of a dozen Tensor ops; the
    # feature count spelled out, as -1 cannot be inferred for a batch of 0
    for gates in linear(sequence.reshape(rows, sequence.shape[2]), w_ih, b_ih).split(steps):
        states = step(gates, states)
        outputs.append(states[0])
    return stack(outputs, axis=0), states


# ---------------------------------------------------------------- argument checks
def check_size(layer: str, name: str, value: Any, minimum: int = 1) -> int:
    """``value`` as an int, refused (naming the layer and argument) unless an integer >= minimum."""
    if not isinstance(value, numbers.Integral) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{layer}: {name} must be an integer, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{layer}: {name} must be >= {minimum}, got {value}")
    return int(value)


def check_nonlinearity(layer: str, nonlinearity: Any) -> str:
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"{layer}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    return str(nonlinearity)


def sequence_input(
    layer: str, value: Any, input_size: int, batch_first: bool, dtype: np.dtype
) -> tuple[Tensor, int, int | None]:
    """A recurrent layer's input as a Tensor, its number of steps and its batch size (None
    for an unbatched (L, H_in) input); refused, naming the layer, unless it fits."""
    x = as_input(layer, value, dtype)
    layout = "(N, L, H_in)" if batch_first else "(L, N, H_in)"
    if x.ndim not in (2, 3):
        raise ShapeError(
            f"{layer}: input must be 3-D {layout} or 2-D (L, H_in) unbatched, got shape {x.shape}"
        )
    if x.shape[-1] != input_size:
        raise ShapeError(
            f"{layer}: input has {x.shape[-1]} features (shape {x.shape}), expected "
            f"input_size={input_size}"
        )
    batch: int | None = None
    if x.ndim == 2:
        steps = x.shape[0]
    else:
        steps, batch = (x.shape[1], x.shape[0]) if batch_first else x.shape[:2]
    if steps == 0:
        raise ShapeError(f"{layer}: input has no time steps (shape {x.shape})")
    return x, steps, batch


def as_input(layer: str, value: Any, dtype: np.dtype, name: str = "input") -> Tensor:
    """``value`` as a Tensor; an array or list takes the layer's dtype (a Tensor is kept)."""
    if isinstance(value, Tensor):
        return value
    try:
        return Tensor(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{layer}: {name} must be a Tensor or an array of numbers, got "
            f"{type(value).__name__} ({exc})"
        ) from None


def uniform_all(module: Module, hidden_size: int, generator: np.random.Generator | None) -> None:
    """PyTorch's recurrent init: every parameter from U(-1/sqrt(hidden), 1/sqrt(hidden)),
    drawn in the order of `named_parameters`."""
    bound = 1.0 / math.sqrt(hidden_size)
    for param in module.parameters():
        init.uniform_(param, -bound, bound, generator)


# ---------------------------------------------------------------- the cell layers
class RNNCellBase(Module):
    """What the three cells share: the parameters, their init, checks and printout."""

    _gates = 1  # blocks of hidden_size rows in weight_ih and weight_hh

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        dtype: Any,
        generator: np.random.Generator | None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.input_size = check_size(name, "input_size", input_size)
        self.hidden_size = check_size(name, "hidden_size", hidden_size)
        self.bias = bool(bias)
        dtype = layer_dtype(name, dtype)
        rows = self._gates * self.hidden_size
        self.weight_ih = Parameter(np.zeros((rows, self.input_size)), dtype=dtype)
        self.weight_hh = Parameter(np.zeros((rows, self.hidden_size)), dtype=dtype)
        self.bias_ih: Parameter | None
        self.bias_hh: Parameter | None
        if self.bias:
            self.bias_ih = Parameter(np.zeros(rows), dtype=dtype)
            self.bias_hh = Parameter(np.zeros(rows), dtype=dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        """Draw every parameter again from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        uniform_all(self, self.hidden_size, generator)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text

    def _input(self, x: Any) -> tuple[Tensor, bool]:
        """The input as (batch, input_size), and whether it came without a batch axis."""
        name = type(self).__name__
        x = as_input(name, x, self.weight_ih.dtype)
        if x.ndim not in (1, 2):
            raise ShapeError(
                f"{name}: input must be 1-D (input_size,) or 2-D (batch, input_size), got "
                f"shape {x.shape}"
            )
        if x.shape[-1] != self.input_size:
            raise ShapeError(
                f"{name}: input has {x.shape[-1]} features (shape {x.shape}), expected "
                f"input_size={self.input_size}"
            )
        if x.ndim == 1:
            return x.reshape(1, self.input_size), True
        return x, False

    def _state(self, value: Any, batch: int, unbatched: bool, argument: str) -> Tensor:
        """A hidden or cell state as (batch, hidden_size): zeros when None, else checked."""
        name = type(self).__name__
        if value is None:
            return Tensor(np.zeros((batch, self.hidden_size), dtype=self.weight_hh.dtype))
        value = as_input(name, value, self.weight_hh.dtype, argument)
        expected = (self.hidden_size,) if unbatched else (batch, self.hidden_size)
        if value.shape != expected:
            raise ShapeError(
                f"{name}: {argument} has shape {value.shape}, expected {expected} (input "
                f"{'(input_size,)' if unbatched else f'batch {batch}'}, "
                f"hidden_size={self.hidden_size})"
            )
        return value.reshape(1, self.hidden_size) if unbatched else value

    def _params(self) -> tuple[Parameter, Parameter, Parameter | None, Parameter | None]:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh


def _unbatch(t: Tensor, unbatched: bool) -> Tensor:
    return t.reshape(t.shape[-1]) if unbatched else t


class RNNCell(RNNCellBase):
    """Elman RNN cell: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu), as PyTorch.

    Args:
        input_size: features of the input x.
        hidden_size: features of the hidden state h.
        bias: learn b_ih and b_hh.
        nonlinearity: "tanh" (default) or "relu".
        dtype: float64 (default) or float32 parameters.
        generator: draws the initial values, U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))
            (default: the global generator, see `nn.manual_seed`).

    Call it as ``cell(x, hx=None)`` with x of shape (batch, input_size) or (input_size,) and
    hx of shape (batch, hidden_size) or (hidden_size,) (zeros when None); it returns h'.

    Example:
        >>> cell = RNNCell(3, 2)
        >>> cell(Tensor(np.ones((4, 3)))).shape
        (4, 2)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        dtype: Any = np.float64,
        generator: np.random.Generator | None = None,
    ) -> None:
        checked = check_nonlinearity("RNNCell", nonlinearity)
        super().__init__(input_size, hidden_size, bias, dtype, generator)
        self.nonlinearity = checked

    def forward(self, input: Any, hx: Any = None) -> Tensor:  # noqa: A002 - PyTorch's name
        x, unbatched = self._input(input)
        h = self._state(hx, x.shape[0], unbatched, "hx")
        return _unbatch(rnn_step(x, h, *self._params(), self.nonlinearity), unbatched)


class LSTMCell(RNNCellBase):
    """Long short-term memory cell, PyTorch's gates i, f, g, o (rows of weight_ih, in order).

    i, f, o = sigmoid(...), g = tanh(...), each (x W_i?^T + b_i? + h W_h?^T + b_h?);
    c' = f * c + i * g, h' = o * tanh(c').

    Args:
        input_size, hidden_size, bias, dtype, generator: as `RNNCell`; the weights have
            4 * hidden_size rows.

    Call it as ``cell(x, (h, c))`` or ``cell(x)`` (zero states); returns ``(h', c')``.

    Example:
        >>> h, c = LSTMCell(3, 2)(Tensor(np.ones((4, 3))))
        >>> h.shape, c.shape
        ((4, 2), (4, 2))
    """

    _gates = 4

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        dtype: Any = np.float64,
        generator: np.random.Generator | None = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, dtype, generator)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        x, unbatched = self._input(input)
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(
                f"LSTMCell: hx must be a pair (h, c) of states, got {type(hx).__name__}"
            )
        h = self._state(hx[0], x.shape[0], unbatched, "hx[0] (h)")
        c = self._state(hx[1], x.shape[0], unbatched, "hx[1] (c)")
        h_new, c_new = lstm_step(x, h, c, *self._params())
        return _unbatch(h_new, unbatched), _unbatch(c_new, unbatched)


class GRUCell(RNNCellBase):
    """Gated recurrent unit cell, PyTorch's gates r, z, n (rows of weight_ih, in order).

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z = sigmoid(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.

    Args:
        input_size, hidden_size, bias, dtype, generator: as `RNNCell`; the weights have
            3 * hidden_size rows.

    Call it as ``cell(x, hx=None)``; returns h'.

    Example:
        >>> GRUCell(3, 2)(Tensor(np.ones((4, 3)))).shape
        (4, 2)
    """

    _gates = 3

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        dtype: Any = np.float64,
        generator: np.random.Generator | None = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, dtype, generator)

    def forward(self, input: Any, hx: Any = None) -> Tensor:  # noqa: A002 - PyTorch's name
        x, unbatched = self._input(input)
        h = self._state(hx, x.shape[0], unbatched, "hx")
        return _unbatch(gru_step(x, h, *self._params()), unbatched)
