"""`RNN`, `LSTM`, `GRU`: multi-layer recurrent layers with PyTorch's names, layouts and math.

An LSTM layer (without proj_size) is one op for its whole recurrence (autograd_lite's
`lstm_sequence`); the other layers compute the input's share of every step's gates with one
product, then loop over the time steps, one fused cell op per step (`nn.cells`). Layer k's
parameters are named as
PyTorch's: ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (and
``weight_hr_l{k}`` for an LSTM with ``proj_size``), so a PyTorch state dict loads strictly.
Layouts: input (L, N, H_in), or (N, L, H_in) with ``batch_first``, or (L, H_in) unbatched;
states (num_layers, N, H_out), or (num_layers, H_out) unbatched (never batch-first).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd_lite import ShapeError, Tensor, lstm_sequence, stack

from . import functional as F
from .cells import (
    as_input,
    check_nonlinearity,
    check_size,
    gru_step,
    lstm_step,
    rnn_step,
    run_steps,
    sequence_input,
    uniform_all,
)
from .module import Module
from .parameter import Parameter, layer_dtype

_GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
_PREFIXES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")


class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters per layer, init, checks, the time loop."""

    mode = "RNN"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        dtype: Any = np.float64,
        generator: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.input_size = check_size(name, "input_size", input_size)
        self.hidden_size = check_size(name, "hidden_size", hidden_size)
        self.num_layers = check_size(name, "num_layers", num_layers)
        self.proj_size = check_size(name, "proj_size", proj_size, minimum=0)
        if self.proj_size and self.mode != "LSTM":
            raise ValueError(f"{name}: proj_size is only supported for LSTM, not RNN or GRU")
        if self.proj_size >= self.hidden_size:
            raise ValueError(
                f"{name}: proj_size must be smaller than hidden_size, got proj_size="
                f"{self.proj_size}, hidden_size={self.hidden_size}"
            )
        if bidirectional:
            raise NotImplementedError(
                f"{name}: bidirectional=True is not supported (one direction only); run a "
                "second layer on the time-reversed input (x[::-1]) and concatenate the outputs"
            )
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)):
            raise TypeError(f"{name}: dropout must be a number in [0, 1], got {dropout!r}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{name}: dropout must be in [0, 1], got {dropout}")
        if dropout > 0 and self.num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={self.num_layers}",
                stacklevel=3,
            )
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.dropout, self.bidirectional = float(dropout), False
        self.generator = generator  # also draws the dropout masks between layers
        dtype = layer_dtype(name, dtype)
        rows = _GATES[self.mode] * self.hidden_size
        real_hidden = self.proj_size or self.hidden_size
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else real_hidden
            shapes: list[tuple[str, tuple[int, ...]]] = [
                ("weight_ih", (rows, layer_input)),
                ("weight_hh", (rows, real_hidden)),
            ]
            if self.bias:
                shapes += [("bias_ih", (rows,)), ("bias_hh", (rows,))]
            if self.proj_size:
                shapes.append(("weight_hr", (self.proj_size, self.hidden_size)))
            for prefix, shape in shapes:
                setattr(self, f"{prefix}_l{layer}", Parameter(np.zeros(shape), dtype=dtype))
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        """Draw every parameter again from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        uniform_all(self, self.hidden_size, generator)

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters layer by layer, in PyTorch's order (w_ih, w_hh, b_ih, b_hh, w_hr)."""
        own, layers = self._parameters, range(self.num_layers)
        return [[own[f"{p}_l{k}"] for p in _PREFIXES if f"{p}_l{k}" in own] for k in layers]

    def _layer_params(self, layer: int) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        """(weight_ih, weight_hh, bias_ih, bias_hh) of ``layer``; the biases None without bias."""
        w_ih, w_hh, b_ih, b_hh = (self._parameters.get(f"{p}_l{layer}") for p in _PREFIXES[:4])
        return w_ih, w_hh, b_ih, b_hh

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += f", bias={self.bias}"
        if self.batch_first:
            text += f", batch_first={self.batch_first}"
        if self.dropout:
            text += f", dropout={self.dropout}"
        return text  # PyTorch's RNN does not show its nonlinearity

    # ---------------------------------------------------------------- running
    def _input(self, input: Any) -> tuple[Tensor, int, int | None]:  # noqa: A002
        """The input Tensor, its number of steps and its batch size (None: unbatched)."""
        dtype = self._parameters["weight_ih_l0"].dtype
        return sequence_input(type(self).__name__, input, self.input_size, self.batch_first, dtype)

    def _state(
        self, value: Any, batch: int | None, size: int, argument: str, label: str = "H_out"
    ) -> Tensor:
        """An initial state (num_layers, N, size) or (num_layers, size): zeros when None."""
        name = type(self).__name__
        dtype = self._parameters["weight_hh_l0"].dtype
        expected = (self.num_layers, size) if batch is None else (self.num_layers, batch, size)
        if value is None:
            return Tensor(np.zeros(expected, dtype=dtype))
        value = as_input(name, value, dtype, argument)
        if value.shape != expected:
            layout = f"(num_layers, {label})" if batch is None else f"(num_layers, N, {label})"
            raise ShapeError(
                f"{name}: {argument} has shape {value.shape}, expected {expected} = {layout} "
                f"for num_layers={self.num_layers}, "
                f"{'unbatched input' if batch is None else f'batch N={batch}'}, "
                f"{label}={size} (states are never batch-first)"
            )
        return value

    def _initial_states(self, hx: Any, batch: int | None) -> list[Tensor]:
        return [self._state(hx, batch, self.hidden_size, "hx")]

    def _step_function(self, layer: int) -> Callable[[Tensor, list[Tensor]], list[Tensor]]:
        """One time step of ``layer``: (input gates x W_ih^T + b_ih, states) -> states."""
        raise NotImplementedError

    def _layer(self, layer: int, sequence: Tensor, states: list[Tensor]) -> tuple[Any, Any]:
        """Layer ``layer`` over a (L, N, features) sequence: its outputs and final states."""
        w_ih, _, b_ih, _ = self._layer_params(layer)
        return run_steps(sequence, states, w_ih, b_ih, self._step_function(layer))

    def _run(self, input: Any, hx: Any) -> tuple[Tensor, list[Tensor]]:  # noqa: A002
        """The output sequence and the final states (each (num_layers, [N,] size)).

        Time runs along axis 0 inside; an unbatched input is a batch of one.
        """
        x, steps, batch = self._input(input)
        states = self._initial_states(hx, batch)
        if batch is None:
            x = x.reshape(steps, 1, self.input_size)
            states = [state.reshape(self.num_layers, 1, state.shape[-1]) for state in states]
        elif self.batch_first:
            x = x.transpose((1, 0, 2))
        finals: list[list[Tensor]] = [[] for _ in states]
        sequence = x
        for layer in range(self.num_layers):
            if layer and self.dropout and self.training:  # on every layer's output but the last
                sequence = F.dropout(sequence, self.dropout, True, self.generator)
            sequence, last = self._layer(layer, sequence, [state[layer] for state in states])
            for final, value in zip(finals, last):
                final.append(value)
        states = [stack(final, axis=0) for final in finals]
        if batch is None:
            output = sequence.reshape(steps, sequence.shape[-1])
            states = [state.reshape(self.num_layers, state.shape[-1]) for state in states]
        else:
            output = sequence.transpose((1, 0, 2)) if self.batch_first else sequence
        return output, states


class RNN(RNNBase):
    """Multi-layer Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh).

    Args:
        input_size: features of the input.
        hidden_size: features of the hidden state.
        num_layers: stacked layers; layer k > 0 reads layer k-1's outputs.
        nonlinearity: "tanh" (default) or "relu".
        bias: learn the biases b_ih, b_hh.
        batch_first: input and output are (N, L, H) instead of (L, N, H).
        dropout: dropout probability on every layer's output but the last (in training).
        bidirectional: False only (True raises NotImplementedError).
        dtype: float64 (default) or float32 parameters.
        generator: draws the initial values, U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)),
            and the dropout masks (default: the global generator, see `nn.manual_seed`).

    Call it as ``rnn(input, hx=None)``; returns ``(output, h_n)``: output (L, N, hidden_size)
    (the last layer's h_t for every t) and h_n (num_layers, N, hidden_size).

    Raises:
        ShapeError: (when called) for an input of the wrong number of axes or features, or
            an hx of the wrong shape.

    Example:
        >>> output, h_n = RNN(3, 5, num_layers=2)(Tensor(np.ones((7, 4, 3))))
        >>> output.shape, h_n.shape
        ((7, 4, 5), (2, 4, 5))
    """

    mode = "RNN"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: Any = np.float64,
        generator: np.random.Generator | None = None,
    ) -> None:
        checked = check_nonlinearity("RNN", nonlinearity)
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            dtype=dtype,
            generator=generator,
        )
        self.nonlinearity = checked

    def _step_function(self, layer: int) -> Callable[[Tensor, list[Tensor]], list[Tensor]]:
        nonlinearity = self.nonlinearity
        _, w_hh, _, b_hh = self._layer_params(layer)
        return lambda x, state: [rnn_step(x, state[0], None, w_hh, None, b_hh, nonlinearity)]

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        output, (h_n,) = self._run(input, hx)
        return output, h_n


class LSTM(RNNBase):
    """Multi-layer long short-term memory, PyTorch's gates i, f, g, o in each weight's rows.

    Per step: i, f, o = sigmoid, g = tanh of (x W_ih^T + b_ih + h W_hh^T + b_hh) blocks;
    c' = f * c + i * g, h' = o * tanh(c') (times weight_hr^T with ``proj_size``).

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
            dtype, generator: as `RNN`.
        proj_size: if > 0, h is projected to this size by ``weight_hr_l{k}``
            (proj_size, hidden_size) and the outputs and h have proj_size features.

    Call it as ``lstm(input, (h_0, c_0))`` or ``lstm(input)`` (zero states); returns
    ``(output, (h_n, c_n))`` with output (L, N, H_out), h_n (num_layers, N, H_out) and c_n
    (num_layers, N, hidden_size), H_out = proj_size or hidden_size.

    Example:
        >>> output, (h_n, c_n) = LSTM(3, 5, batch_first=True)(Tensor(np.ones((4, 7, 3))))
        >>> output.shape, h_n.shape, c_n.shape
        ((4, 7, 5), (1, 4, 5), (1, 4, 5))
    """

    mode = "LSTM"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        dtype: Any = np.float64,
        generator: np.random.Generator | None = None,
    ) -> None:
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            dtype,
            generator,
        )

    def _initial_states(self, hx: Any, batch: int | None) -> list[Tensor]:
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(
                f"LSTM: hx must be a pair (h_0, c_0) of states, got {type(hx).__name__}"
            )
        return [
            self._state(hx[0], batch, self.proj_size or self.hidden_size, "h_0 (hx[0])"),
            self._state(hx[1], batch, self.hidden_size, "c_0 (hx[1])", "H_cell"),
        ]

    def _layer(self, layer: int, sequence: Tensor, states: list[Tensor]) -> tuple[Any, Any]:
        if self.proj_size:  # the projection inside the loop: one cell op per step
            return super()._layer(layer, sequence, states)
        w_ih, w_hh, b_ih, b_hh = self._layer_params(layer)
        hs, (h_n, c_n) = lstm_sequence(sequence, states[0], states[1], w_ih, w_hh, b_ih, b_hh)
        return hs, [h_n, c_n]  # the whole recurrence: one op

    def _step_function(self, layer: int) -> Callable[[Tensor, list[Tensor]], list[Tensor]]:
        _, w_hh, _, b_hh = self._layer_params(layer)
        w_hr = self._parameters.get(f"weight_hr_l{layer}")
        return lambda x, state: list(lstm_step(x, state[0], state[1], None, w_hh, None, b_hh, w_hr))

    def forward(
        self,
        input: Any,  # noqa: A002 - PyTorch's name
        hx: Any = None,
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        output, (h_n, c_n) = self._run(input, hx)
        return output, (h_n, c_n)


class GRU(RNNBase):
    """Multi-layer gated recurrent unit, PyTorch's gates r, z, n in each weight's rows.

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z likewise,
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
            dtype, generator: as `RNN`.

    Call it as ``gru(input, hx=None)``; returns ``(output, h_n)`` as `RNN`.

    Example:
        >>> output, h_n = GRU(3, 5)(Tensor(np.ones((7, 3))))   # unbatched (L, H_in)
        >>> output.shape, h_n.shape
        ((7, 5), (1, 5))
    """

    mode = "GRU"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: Any = np.float64,
        generator: np.random.Generator | None = None,
    ) -> None:
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            dtype=dtype,
            generator=generator,
        )

    def _step_function(self, layer: int) -> Callable[[Tensor, list[Tensor]], list[Tensor]]:
        _, w_hh, _, b_hh = self._layer_params(layer)
        return lambda x, state: [gru_step(x, state[0], None, w_hh, None, b_hh)]

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        output, (h_n,) = self._run(input, hx)
        return output, h_n
