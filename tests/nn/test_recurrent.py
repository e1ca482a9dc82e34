"""RNN, LSTM, GRU and their cells without torch: hand computations in NumPy, gradcheck at
float64, PyTorch's names, shapes, layouts and init, dtype=, and errors on bad input."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import nn
from autograd_lite import ShapeError, Tensor, gradcheck, gradgradcheck
from tests.nn.sequence_helpers import (
    arrays,
    np_gru_step,
    np_lstm_step,
    np_rnn_step,
    parameter_inputs,
    swapped,
)

RNG = np.random.default_rng(18)
TIGHT = {"rtol": 0, "atol": 1e-14}


# ---------------------------------------------------------------- one step by hand
def test_one_lstm_step_equals_the_gates_written_out_in_numpy() -> None:
    cell = nn.LSTMCell(3, 2, generator=np.random.default_rng(0))
    p = arrays(cell)
    x, h, c = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 2)), RNG.normal(size=(4, 2))
    h_new, c_new = cell(Tensor(x), (Tensor(h), Tensor(c)))
    want_h, want_c = np_lstm_step(
        x, h, c, p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"]
    )
    np.testing.assert_allclose(h_new.numpy(), want_h, **TIGHT)
    np.testing.assert_allclose(c_new.numpy(), want_c, **TIGHT)


def test_lstm_gate_order_is_i_f_g_o() -> None:
    # only the forget gate's bias is large: c' = c (f = 1, i = 0 makes the g block unused)
    cell = nn.LSTMCell(1, 1, bias=True)
    for param in cell.parameters():
        param.data[...] = 0.0
    cell.bias_ih.data[...] = [-50.0, 50.0, 0.0, 50.0]  # i = 0, f = 1, g = 0, o = 1
    h, c = cell(Tensor([[1.0]]), (Tensor([[0.0]]), Tensor([[0.7]])))
    assert c.item() == pytest.approx(0.7) and h.item() == pytest.approx(math.tanh(0.7))


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_one_rnn_step_by_hand(nonlinearity) -> None:
    cell = nn.RNNCell(3, 4, nonlinearity=nonlinearity)
    p = arrays(cell)
    x, h = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 4))
    want = np_rnn_step(x, h, *p.values(), nonlinearity)
    np.testing.assert_allclose(cell(Tensor(x), Tensor(h)).numpy(), want, **TIGHT)


def test_one_gru_step_by_hand() -> None:
    cell = nn.GRUCell(3, 4)
    p = arrays(cell)
    x, h = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 4))
    want = np_gru_step(x, h, *p.values())
    np.testing.assert_allclose(cell(Tensor(x), Tensor(h)).numpy(), want, **TIGHT)


def test_cells_without_state_start_from_zeros_and_take_unbatched_input() -> None:
    cell = nn.LSTMCell(3, 2)
    x = RNG.normal(size=3)
    h, c = cell(Tensor(x))
    h2, c2 = cell(Tensor(x[None]), (Tensor(np.zeros((1, 2))), Tensor(np.zeros((1, 2)))))
    assert h.shape == c.shape == (2,)
    np.testing.assert_array_equal(h.numpy(), h2.numpy()[0])
    gru = nn.GRUCell(3, 2, bias=False)
    assert gru(x).shape == (2,) and gru.bias_ih is None


# ---------------------------------------------------------------- full layers by hand
def hand_layers(kind, model, x, states):
    """The stacked layers' loop written out with the NumPy steps: (output, final states)."""
    p = arrays(model)
    inputs, finals = list(x), [[] for _ in states]
    for layer in range(model.num_layers):
        w = [p[f"{n}_l{layer}"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        current = [s[layer] for s in states]
        outputs = []
        for x_t in inputs:
            if kind == "LSTM":
                current = list(np_lstm_step(x_t, current[0], current[1], *w))
            elif kind == "GRU":
                current = [np_gru_step(x_t, current[0], *w)]
            else:
                current = [np_rnn_step(x_t, current[0], *w, model.nonlinearity)]
            outputs.append(current[0])
        for final, value in zip(finals, current):
            final.append(value)
        inputs = outputs
    return np.stack(inputs), [np.stack(f) for f in finals]


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_two_layers_over_four_steps_equal_the_loop_by_hand(kind) -> None:
    model = getattr(nn, kind)(3, 5, num_layers=2)
    x = RNG.normal(size=(4, 2, 3))
    states = [RNG.normal(size=(2, 2, 5)) for _ in range(2 if kind == "LSTM" else 1)]
    hx = tuple(Tensor(s) for s in states) if kind == "LSTM" else Tensor(states[0])
    output, finals = model(Tensor(x), hx)
    finals = list(finals) if kind == "LSTM" else [finals]
    want_output, want_finals = hand_layers(kind, model, x, states)
    np.testing.assert_allclose(output.numpy(), want_output, **TIGHT)
    for got, want in zip(finals, want_finals):
        np.testing.assert_allclose(got.numpy(), want, **TIGHT)
    assert output.shape == (4, 2, 5) and finals[0].shape == (2, 2, 5)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_batch_first_and_unbatched_layouts_give_the_same_numbers(kind) -> None:
    seq_first = getattr(nn, kind)(3, 4, num_layers=2)
    batch_first = getattr(nn, kind)(3, 4, num_layers=2, batch_first=True)
    batch_first.load_state_dict(seq_first.state_dict())
    x = RNG.normal(size=(5, 2, 3))
    out, h = seq_first(Tensor(x))
    out_bf, h_bf = batch_first(Tensor(x.transpose(1, 0, 2)))
    np.testing.assert_array_equal(out_bf.numpy(), out.numpy().transpose(1, 0, 2))
    first = (lambda s: s[0]) if kind == "LSTM" else (lambda s: s)
    np.testing.assert_array_equal(first(h_bf).numpy(), first(h).numpy())  # never batch-first
    out_1, h_1 = seq_first(Tensor(x[:, 0]))  # unbatched (L, H_in)
    assert out_1.shape == (5, 4) and first(h_1).shape == (2, 4)
    np.testing.assert_allclose(out_1.numpy(), out.numpy()[:, 0], **TIGHT)


def test_lstm_proj_size_projects_h() -> None:
    model = nn.LSTM(3, 5, num_layers=2, proj_size=2)
    shapes = {name: p.shape for name, p in model.named_parameters()}
    assert shapes["weight_hr_l0"] == (2, 5) and shapes["weight_hh_l1"] == (20, 2)
    assert shapes["weight_ih_l1"] == (20, 2)
    out, (h, c) = model(Tensor(RNG.normal(size=(4, 3, 3))))
    assert out.shape == (4, 3, 2) and h.shape == (2, 3, 2) and c.shape == (2, 3, 5)
    np.testing.assert_array_equal(h.numpy()[-1], out.numpy()[-1])


# ---------------------------------------------------------------- gradcheck at float64
def check_module(module, *arguments, pick=lambda out: out):
    """gradcheck of the module's output with respect to its inputs and every parameter."""
    names, params = parameter_inputs(module)
    count = len(arguments)

    def fn(*tensors):
        with swapped(module, names, tensors[count:]):
            return pick(module(*tensors[:count]))

    assert gradcheck(fn, (*arguments, *params))


def grad_tensor(shape):
    return Tensor(RNG.normal(size=shape), requires_grad=True)


@pytest.mark.parametrize("kind", ["RNNCell", "GRUCell"])
def test_cells_pass_gradcheck(kind) -> None:
    check_module(getattr(nn, kind)(3, 2), grad_tensor((2, 3)), grad_tensor((2, 2)))


def test_lstm_cell_passes_gradcheck() -> None:
    cell = nn.LSTMCell(3, 2)
    x, h, c = grad_tensor((2, 3)), grad_tensor((2, 2)), grad_tensor((2, 2))

    def fn(x, h, c, *params):
        with swapped(cell, [n for n, _ in cell.named_parameters()], params):
            h_new, c_new = cell(x, (h, c))
            return h_new * 2.0 + c_new

    assert gradcheck(fn, (x, h, c, *parameter_inputs(cell)[1]))


@pytest.mark.parametrize("kind", ["RNN", "GRU"])
def test_rnn_and_gru_pass_gradcheck(kind) -> None:
    model = getattr(nn, kind)(2, 3, num_layers=2, batch_first=True)
    x, h0 = grad_tensor((2, 3, 2)), grad_tensor((2, 2, 3))
    check_module(model, x, h0, pick=lambda out: out[0].sum(axis=2) + out[1].sum())


def test_lstm_passes_gradcheck() -> None:
    model = nn.LSTM(2, 3, num_layers=2)
    x, h0, c0 = grad_tensor((3, 2, 2)), grad_tensor((2, 2, 3)), grad_tensor((2, 2, 3))
    names, params = parameter_inputs(model)

    def fn(x, h0, c0, *tensors):
        with swapped(model, names, tensors):
            out, (h, c) = model(x, (h0, c0))
            return out.sum(axis=2) + h.sum() + (c * c).sum()

    assert gradcheck(fn, (x, h0, c0, *params))


def test_an_lstm_step_is_twice_differentiable() -> None:
    cell = nn.LSTMCell(2, 2)
    names, params = parameter_inputs(cell)
    x, h, c = grad_tensor((2, 2)), grad_tensor((2, 2)), grad_tensor((2, 2))

    def fn(x, h, c, *tensors):
        with swapped(cell, names, tensors):
            h_new, c_new = cell(x, (h, c))
            return h_new * 2.0 + c_new

    assert gradgradcheck(fn, (x, h, c, *params))


# ---------------------------------------------------------------- names, init, dtype
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_a_batch_of_none_gives_empty_outputs_and_zero_weight_gradients(kind) -> None:
    layer = getattr(nn, kind)(2, 3, num_layers=2, generator=np.random.default_rng(0))
    x = Tensor(np.zeros((4, 0, 2)), requires_grad=True)
    output, state = layer(x)
    assert output.shape == (4, 0, 3)
    output.sum().backward()
    assert x.grad.shape == (4, 0, 2)
    assert not np.any(layer.weight_ih_l0.grad.data)  # no rows: nothing flows into them


def test_parameter_names_and_shapes_are_pytorchs() -> None:
    model = nn.GRU(3, 4, num_layers=2)
    assert [(n, p.shape) for n, p in model.named_parameters()] == [
        ("weight_ih_l0", (12, 3)),
        ("weight_hh_l0", (12, 4)),
        ("bias_ih_l0", (12,)),
        ("bias_hh_l0", (12,)),
        ("weight_ih_l1", (12, 4)),
        ("weight_hh_l1", (12, 4)),
        ("bias_ih_l1", (12,)),
        ("bias_hh_l1", (12,)),
    ]
    assert list(nn.LSTM(3, 4, bias=False).state_dict()) == ["weight_ih_l0", "weight_hh_l0"]
    assert [n for n, _ in nn.LSTMCell(3, 4).named_parameters()] == [
        "weight_ih",
        "weight_hh",
        "bias_ih",
        "bias_hh",
    ]
    assert len(nn.LSTM(3, 4, num_layers=3).all_weights) == 3


@pytest.mark.parametrize(
    "make", [lambda g: nn.LSTM(5, 16, 2, generator=g), lambda g: nn.GRUCell(5, 16, generator=g)]
)
def test_init_is_uniform_within_one_over_sqrt_hidden_and_seeded(make) -> None:
    model = make(np.random.default_rng(3))
    values = np.concatenate([p.numpy().ravel() for p in model.parameters()])
    bound = 1 / math.sqrt(16)
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.95 * bound
    assert abs(values.mean()) < 0.02 and values.std() == pytest.approx(bound / math.sqrt(3), 0.1)
    again = make(np.random.default_rng(3))
    assert all(
        np.array_equal(a.numpy(), b.numpy()) for a, b in zip(model.parameters(), again.parameters())
    )
    nn.manual_seed(5)
    first = nn.GRU(2, 3).weight_ih_l0.numpy().copy()
    nn.manual_seed(5)
    np.testing.assert_array_equal(nn.GRU(2, 3).weight_ih_l0.numpy(), first)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
def test_float32_layers_compute_in_float32(kind) -> None:
    layer = getattr(nn, kind)(3, 4, dtype=np.float32)
    assert {p.dtype for p in layer.parameters()} == {np.dtype(np.float32)}
    x = np.ones((2, 3) if "Cell" in kind else (5, 2, 3), dtype=np.float32)
    out = layer(Tensor(x))
    out = out[0] if isinstance(out, tuple) else out
    assert out.dtype == np.float32
    with pytest.raises(TypeError, match=f"{kind}: dtype must be float32 or float64"):
        getattr(nn, kind)(3, 4, dtype=np.int32)


def test_printout_is_pytorchs() -> None:
    assert (
        repr(nn.LSTM(16, 64, 2, batch_first=True)) == "LSTM(16, 64, num_layers=2, batch_first=True)"
    )
    assert repr(nn.RNN(3, 4, nonlinearity="relu", bias=False)) == "RNN(3, 4, bias=False)"
    assert (
        repr(nn.LSTM(3, 4, proj_size=2, dropout=0.5, num_layers=2))
        == "LSTM(3, 4, proj_size=2, num_layers=2, dropout=0.5)"
    )
    assert repr(nn.GRUCell(3, 4)) == "GRUCell(3, 4)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"


def test_dropout_between_layers_only_in_training() -> None:
    model = nn.GRU(3, 8, num_layers=2, dropout=0.5, generator=np.random.default_rng(1))
    x = Tensor(RNG.normal(size=(4, 2, 3)))
    train_out = model(x)[0].numpy()
    model.eval()
    eval_out = model(x)[0].numpy()
    np.testing.assert_array_equal(model(x)[0].numpy(), eval_out)
    assert not np.allclose(train_out, eval_out)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.2)


# ---------------------------------------------------------------- bad input
def raises(exc, *words):
    return pytest.raises(exc, match=".*".join(re.escape(w) for w in words))


def test_an_input_of_the_wrong_feature_size_or_ndim_is_named() -> None:
    lstm = nn.LSTM(3, 4, batch_first=True)
    with raises(ShapeError, "LSTM: input has 5 features", "(2, 7, 5)", "input_size=3"):
        lstm(Tensor(np.zeros((2, 7, 5))))
    with raises(ShapeError, "LSTM: input must be 3-D (N, L, H_in)", "(2, 7, 3, 1)"):
        lstm(Tensor(np.zeros((2, 7, 3, 1))))
    with raises(ShapeError, "GRUCell: input has 2 features", "input_size=3"):
        nn.GRUCell(3, 4)(Tensor(np.zeros((5, 2))))
    with raises(ShapeError, "RNNCell: input must be 1-D", "(1, 5, 3)"):
        nn.RNNCell(3, 4)(Tensor(np.zeros((1, 5, 3))))
    with raises(ShapeError, "RNN: input has no time steps"):
        nn.RNN(3, 4)(Tensor(np.zeros((0, 2, 3))))


def test_a_hidden_state_of_the_wrong_size_is_named() -> None:
    x = Tensor(np.zeros((7, 2, 3)))
    with raises(ShapeError, "GRU: hx has shape (2, 2, 5), expected (2, 2, 4)", "num_layers=2"):
        nn.GRU(3, 4, num_layers=2)(x, Tensor(np.zeros((2, 2, 5))))
    with raises(ShapeError, "LSTM: c_0 (hx[1]) has shape (1, 3, 4), expected (1, 2, 4)", "N=2"):
        nn.LSTM(3, 4)(x, (Tensor(np.zeros((1, 2, 4))), Tensor(np.zeros((1, 3, 4)))))
    with raises(ShapeError, "RNN: hx has shape (1, 2, 4), expected (1, 4)", "unbatched"):
        nn.RNN(3, 4)(Tensor(np.zeros((7, 3))), Tensor(np.zeros((1, 2, 4))))
    with raises(TypeError, "LSTM: hx must be a pair (h_0, c_0)"):
        nn.LSTM(3, 4)(x, Tensor(np.zeros((1, 2, 4))))
    with raises(ShapeError, "LSTMCell: hx[1] (c) has shape (2, 5), expected (2, 4)"):
        nn.LSTMCell(3, 4)(Tensor(np.zeros((2, 3))), (np.zeros((2, 4)), np.zeros((2, 5))))
    with raises(ShapeError, "RNNCell: hx has shape (4,), expected (2, 4)"):
        nn.RNNCell(3, 4)(Tensor(np.zeros((2, 3))), Tensor(np.zeros(4)))


def test_bad_constructor_arguments_are_named() -> None:
    with raises(NotImplementedError, "LSTM: bidirectional=True is not supported"):
        nn.LSTM(3, 4, bidirectional=True)
    with pytest.raises(TypeError, match="proj_size"):
        nn.GRU(3, 4, proj_size=2)  # an LSTM-only argument
    with raises(ValueError, "LSTM: proj_size must be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with raises(ValueError, "RNN: nonlinearity must be 'tanh' or 'relu', got 'gelu'"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with raises(ValueError, "RNNCell: nonlinearity must be"):
        nn.RNNCell(3, 4, nonlinearity="sigmoid")
    with raises(TypeError, "LSTM: hidden_size must be an integer, got float 4.0"):
        nn.LSTM(3, 4.0)
    with raises(ValueError, "GRU: num_layers must be >= 1, got 0"):
        nn.GRU(3, 4, num_layers=0)
    with raises(ValueError, "LSTM: dropout must be in [0, 1], got 1.5"):
        nn.LSTM(3, 4, num_layers=2, dropout=1.5)
