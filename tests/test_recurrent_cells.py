"""The fused recurrent cells (lstm_cell, gru_cell, rnn_cell) and lstm_sequence against the
steps written with Tensor operations (the composite formulas they replace): values and
gradients, float32, without biases, without a batch axis, twice differentiable; the
graph they record; and their errors. (The registry suite gradchecks them on random shapes.)
"""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import (
    InplaceModificationError,
    ShapeError,
    Tensor,
    detect_anomaly,
    explain,
    grad,
    gradcheck,
    gradgradcheck,
    gru_cell,
    linear,
    lstm_cell,
    lstm_sequence,
    rnn_cell,
)

GATES = {"lstm": 4, "gru": 3, "rnn": 1}


# ---------------------------------------------------------------- the composite references
def lstm_composite(x, h, c, w_ih, w_hh, b_ih=None, b_hh=None):
    """The LSTM step as nn.cells wrote it before the fused op: about a dozen Tensor ops."""
    size = c.shape[-1]
    gates = linear(x, w_ih, b_ih) + linear(h, w_hh, b_hh)
    sig = gates.sigmoid()
    i, f, o = sig[..., :size], sig[..., size : 2 * size], sig[..., 3 * size :]
    g = gates[..., 2 * size : 3 * size].tanh()
    c_new = f * c + i * g
    return o * c_new.tanh(), c_new


def gru_composite(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    size = h.shape[-1]
    gi, gh = linear(x, w_ih, b_ih), linear(h, w_hh, b_hh)
    rz = (gi[..., : 2 * size] + gh[..., : 2 * size]).sigmoid()
    r, z = rz[..., :size], rz[..., size:]
    n = (gi[..., 2 * size :] + r * gh[..., 2 * size :]).tanh()
    return n + z * (h - n)


def rnn_composite(x, h, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    pre = linear(x, w_ih, b_ih) + linear(h, w_hh, b_hh)
    return pre.tanh() if nonlinearity == "tanh" else pre.relu()


FUSED = {"lstm": lstm_cell, "gru": gru_cell, "rnn": rnn_cell}
COMPOSITE = {"lstm": lstm_composite, "gru": gru_composite, "rnn": rnn_composite}


def cell_inputs(kind, batch=(3,), inputs=2, hidden=4, bias=True, dtype=np.float64, seed=0):
    """x, h, [c], w_ih, w_hh, [b_ih, b_hh] as leaves requiring grad."""
    rng = np.random.default_rng(seed)
    rows = GATES[kind] * hidden
    shapes = [batch + (inputs,), batch + (hidden,)]
    shapes += [batch + (hidden,)] if kind == "lstm" else []
    shapes += [(rows, inputs), (rows, hidden)] + ([(rows,), (rows,)] if bias else [])
    return [Tensor(rng.normal(size=s).astype(dtype), requires_grad=True) for s in shapes]


def outputs_and_grads(fn, inputs, seed=1):
    """The outputs' arrays and every input's gradient under a random upstream gradient."""
    outputs = fn(*inputs)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    rng = np.random.default_rng(seed)
    upstream = [Tensor(rng.normal(size=o.shape).astype(o.dtype)) for o in outputs]
    grads = grad(list(outputs), inputs, grad_outputs=upstream)
    return [o.numpy() for o in outputs], [g.numpy() for g in grads]


def assert_same(fused, composite, tolerance):
    for mine, theirs in zip(fused[0] + fused[1], composite[0] + composite[1]):
        assert mine.dtype == theirs.dtype and mine.shape == theirs.shape
        np.testing.assert_allclose(mine, theirs, rtol=tolerance, atol=tolerance)


# ---------------------------------------------------------------- values and gradients
@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch", [(3,), ()])
def test_cells_match_the_composite_formulas(kind, dtype, bias, batch) -> None:
    inputs = cell_inputs(kind, batch, bias=bias, dtype=dtype)
    fused = outputs_and_grads(FUSED[kind], inputs)
    composite = outputs_and_grads(COMPOSITE[kind], inputs)
    assert_same(fused, composite, 1e-12 if dtype == np.float64 else 2e-6)
    assert all(g.dtype == np.dtype(dtype) for g in fused[1])


def test_rnn_relu_matches_the_composite_and_takes_zero_slope_at_zero() -> None:
    inputs = cell_inputs("rnn", seed=3)
    fn = lambda *t: rnn_cell(*t, nonlinearity="relu")  # noqa: E731
    assert_same(
        outputs_and_grads(fn, inputs),
        outputs_and_grads(lambda *t: rnn_composite(*t, nonlinearity="relu"), inputs),
        1e-12,
    )
    x, h, w_ih, w_hh = (Tensor([[v]], requires_grad=True) for v in (1.0, 1.0, 1.0, -1.0))
    out = rnn_cell(x, h, w_ih, w_hh, nonlinearity="relu")  # pre-activation exactly 0
    out.sum().backward()
    assert out.item() == 0.0 and w_ih.grad.item() == 0.0


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_precomputed_input_gates_give_the_full_cell(kind) -> None:
    inputs = cell_inputs(kind)
    x, w_ih, b_ih = inputs[0], inputs[-4], inputs[-2]
    gates = linear(x, w_ih, b_ih)  # what a layer computes for all time steps at once
    state = inputs[1:-4]

    def precomputed(*tensors):
        return FUSED[kind](
            linear(tensors[0], tensors[-4], tensors[-2]),
            *tensors[1:-4],
            None,
            tensors[-3],
            None,
            tensors[-1],
        )

    assert_same(
        outputs_and_grads(precomputed, inputs), outputs_and_grads(FUSED[kind], inputs), 1e-12
    )
    assert gradgradcheck(
        lambda g, *rest: FUSED[kind](g, *rest[:-2], None, rest[-2], None, rest[-1]),
        [gates.detach().requires_grad_(), *state, inputs[-3], inputs[-1]],
    )


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("batch", [(2,), ()])
def test_cells_pass_gradcheck_and_gradgradcheck(kind, batch) -> None:
    inputs = cell_inputs(kind, batch, inputs=2, hidden=2)
    if kind == "lstm":
        fn = lambda *t: (lambda h, c: h * 2.0 + c * c)(*lstm_cell(*t))  # noqa: E731
    else:
        fn = FUSED[kind]
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


@pytest.mark.parametrize("used", ["h", "c"])
def test_an_lstm_output_without_gradient_counts_as_zeros(used) -> None:
    inputs = cell_inputs("lstm")
    pick = (lambda hc: hc[0]) if used == "h" else (lambda hc: hc[1])  # noqa: E731
    assert_same(
        outputs_and_grads(lambda *t: pick(lstm_cell(*t)), inputs),
        outputs_and_grads(lambda *t: pick(lstm_composite(*t)), inputs),
        1e-12,
    )
    assert gradgradcheck(lambda *t: pick(lstm_cell(*t)), cell_inputs("lstm", hidden=2))


def test_a_projected_lstm_step_takes_h_of_another_width() -> None:
    rng = np.random.default_rng(4)
    x, h, c = (Tensor(rng.normal(size=s), requires_grad=True) for s in [(2, 3), (2, 2), (2, 5)])
    w_ih, w_hh = (Tensor(rng.normal(size=s), requires_grad=True) for s in [(20, 3), (20, 2)])
    assert_same(
        outputs_and_grads(lstm_cell, [x, h, c, w_ih, w_hh]),
        outputs_and_grads(lstm_composite, [x, h, c, w_ih, w_hh]),
        1e-12,
    )


# ---------------------------------------------------------------- the sequence op
def cell_loop(x, h, c, *params):
    """lstm_sequence's meaning: lstm_cell at every step, h and c fed on."""
    hs = []
    for t in range(x.shape[0]):
        h, c = lstm_cell(x[t], h, c, *params)
        hs.append(h)
    from autograd_lite import stack

    return stack(hs), h, c


def sequence_inputs(steps=4, batch=3, inputs=2, hidden=3, bias=True, dtype=np.float64):
    rng = np.random.default_rng(5)
    x = Tensor(rng.normal(size=(steps, batch, inputs)).astype(dtype), requires_grad=True)
    return [x] + cell_inputs("lstm", (batch,), inputs, hidden, bias, dtype, seed=6)[1:]


def flat_sequence(*tensors):
    hs, (h, c) = lstm_sequence(*tensors)
    return hs, h, c


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bias", [True, False])
def test_lstm_sequence_equals_the_cell_at_every_step(dtype, bias) -> None:
    inputs = sequence_inputs(bias=bias, dtype=dtype)
    fused = outputs_and_grads(flat_sequence, inputs)
    assert_same(fused, outputs_and_grads(cell_loop, inputs), 1e-12 if dtype == np.float64 else 3e-6)
    assert fused[0][0].dtype == np.dtype(dtype)


@pytest.mark.parametrize("pick", [0, 1, 2])
def test_lstm_sequence_outputs_without_gradient(pick) -> None:
    inputs = sequence_inputs()
    assert_same(
        outputs_and_grads(lambda *t: flat_sequence(*t)[pick], inputs),
        outputs_and_grads(lambda *t: cell_loop(*t)[pick], inputs),
        1e-12,
    )


def test_lstm_sequence_with_one_bias_and_one_step() -> None:
    inputs = sequence_inputs(steps=1)
    one_bias = inputs[:6]  # b_ih only
    assert_same(
        outputs_and_grads(lambda *t: flat_sequence(*t, None), one_bias),
        outputs_and_grads(lambda *t: cell_loop(*t, None), one_bias),
        1e-12,
    )


def test_lstm_sequence_passes_gradcheck_and_gradgradcheck() -> None:
    inputs = sequence_inputs(steps=3, batch=2, inputs=2, hidden=2)

    def fn(*tensors):
        hs, h, c = flat_sequence(*tensors)
        return hs.sum(axis=2) * 0.5 + (h * c).sum()

    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_the_sequence_it_returned_is_guarded_against_writes() -> None:
    hs, (h, c) = lstm_sequence(*sequence_inputs())
    hs.data += 1.0  # the backward reads every h_t
    with pytest.raises(InplaceModificationError):
        c.sum().backward()


def test_the_last_states_are_copies_it_does_not_read_so_writes_to_them_pass() -> None:
    # h_n and c_n are copies the backward never reads (as PyTorch, writing into them is no
    # error), the sequence it does read stays guarded
    inputs = sequence_inputs()
    hs, (h, c) = lstm_sequence(*inputs)
    expected = grad(hs.sum(), inputs[0], retain_graph=True)[0].numpy()
    h += 1.0
    c *= 2.0
    np.testing.assert_array_equal(grad(hs.sum(), inputs[0])[0].numpy(), expected)
    with pytest.raises(InplaceModificationError):
        hs, _ = lstm_sequence(*inputs)
        hs += 1.0
        hs.sum().backward()
    with detect_anomaly():  # writes no version counter sees: the arrays' checksums
        hs, (h, c) = lstm_sequence(*inputs)
        h.data[0, 0] = 5.0
        np.testing.assert_array_equal(grad(hs.sum(), inputs[0])[0].numpy(), expected)


# ---------------------------------------------------------------- the graph
def test_a_cell_step_is_one_node_and_a_layer_one_for_the_whole_recurrence() -> None:
    inputs = cell_inputs("lstm")
    h, c = lstm_cell(*inputs)
    assert h.grad_fn is c.grad_fn and h.grad_fn.name == "LSTMCell"
    assert all(parent is leaf for parent, leaf in zip(h.grad_fn._parents, inputs))
    text = str(explain(h[0, 0], inputs[4], index=(0, 0)))  # one step from the GetItem
    assert "LSTMCell ->" in text and "Sigmoid" not in text and "Add" not in text
    sequence = sequence_inputs(steps=6)
    hs, (h_n, c_n) = lstm_sequence(*sequence)
    node = hs.grad_fn
    assert node is h_n.grad_fn is c_n.grad_fn and node.name == "LSTMSequence"
    assert all(parent is leaf for parent, leaf in zip(node._parents[:5], sequence))
    assert node._parents[5].name == "Add"  # b_ih + b_hh, then nothing but leaves


# ---------------------------------------------------------------- errors
def test_shapes_that_do_not_fit_are_named() -> None:
    x, h, c, w_ih, w_hh, b_ih, b_hh = cell_inputs("lstm", hidden=4)
    with pytest.raises(ShapeError, match=r"lstm_cell: h has shape \(2, 4\), expected \(3, 4\)"):
        lstm_cell(x, h[:2], c, w_ih, w_hh)
    with pytest.raises(ShapeError, match=r"lstm_cell: c has shape \(3, 3\), expected \(3, 4\)"):
        lstm_cell(x, h, c[:, :3], w_ih, w_hh)
    with pytest.raises(ShapeError, match=r"lstm_cell: w_hh has shape \(15, 4\)"):
        lstm_cell(x, h, c, w_ih, w_hh[:15])
    with pytest.raises(
        ShapeError, match=r"lstm_cell: w_ih has shape \(16, 2\), expected \(16, 5\)"
    ):
        lstm_cell(Tensor(np.ones((3, 5))), h, c, w_ih, w_hh)
    with pytest.raises(ShapeError, match=r"lstm_cell: b_hh has shape \(4,\), expected \(16,\)"):
        lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh[:4])
    with pytest.raises(ShapeError, match=r"without w_ih, x holds the input gates and must have 16"):
        lstm_cell(x, h, c, None, w_hh)
    with pytest.raises(ShapeError, match=r"gru_cell: w_hh has shape \(12, 3\), expected \(12, 4\)"):
        gru_cell(x, h[:, :3], Tensor(np.ones((12, 2))), Tensor(np.ones((12, 3))))
    with pytest.raises(ShapeError, match=r"rnn_cell: x must be \(N, input_size\)"):
        rnn_cell(Tensor(np.ones((1, 3, 2))), h, Tensor(np.ones((4, 2))), Tensor(np.ones((4, 4))))


def test_other_bad_arguments_are_named() -> None:
    x, h, w_ih, w_hh, b_ih, b_hh = cell_inputs("rnn")
    with pytest.raises(ValueError, match="rnn_cell: nonlinearity must be 'tanh' or 'relu'"):
        rnn_cell(x, h, w_ih, w_hh, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="gru_cell: b_ih without w_ih"):
        gru_cell(Tensor(np.ones((3, 12))), h, None, Tensor(np.ones((12, 4))), b_ih)
    inputs = sequence_inputs()
    with pytest.raises(ShapeError, match=r"lstm_sequence: x must be \(L, N, input_size\)"):
        lstm_sequence(inputs[0][0], *inputs[1:])
    with pytest.raises(ShapeError, match=r"lstm_sequence: x must be .* L >= 1 steps"):
        lstm_sequence(inputs[0][:0], *inputs[1:])
    with pytest.raises(ShapeError, match=r"lstm_sequence: h0 has shape \(3, 2\), expected c0's"):
        lstm_sequence(inputs[0], inputs[1][:, :2], inputs[2], inputs[3], Tensor(np.ones((12, 2))))


def test_missing_arguments_are_named() -> None:
    x, h, c, w_ih, w_hh = cell_inputs("lstm", bias=False)
    with pytest.raises(TypeError, match="lstm_cell: c is None; it needs a Tensor"):
        lstm_cell(x, h, None, w_ih, w_hh)
    with pytest.raises(TypeError, match="gru_cell: w_hh is None; it needs a Tensor"):
        gru_cell(x, h, None, None)
    with pytest.raises(TypeError, match="lstm_sequence: h0 is None; it needs a Tensor"):
        lstm_sequence(sequence_inputs()[0], None, c, w_ih, w_hh)


def test_sequence_errors_name_its_own_arguments_and_shapes() -> None:
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = sequence_inputs()
    # the states are h0 and c0, and x is (L, N, input_size), not a step's (N, input_size)
    with pytest.raises(
        ShapeError,
        match=r"lstm_sequence: h0 has shape \(3,\), expected \(3, 3\) "
        r"\(batch from x of shape \(4, 3, 2\)",
    ):
        lstm_sequence(x, h0[0], c0, w_ih, w_hh)
    with pytest.raises(
        ShapeError, match=r"lstm_sequence: c0 has shape \(2, 3\), expected \(3, 3\)"
    ):
        lstm_sequence(x, h0, c0[:2], w_ih, w_hh)
    with pytest.raises(ShapeError, match=r"features of x of shape \(4, 3, 2\)\)"):
        lstm_sequence(x, h0, c0, w_ih[:, :1], w_hh)


def test_a_batch_of_none_goes_through_the_sequence_and_the_cell() -> None:
    x, h0, c0, *params = sequence_inputs(batch=0)
    hs, (h_n, c_n) = lstm_sequence(x, h0, c0, *params)
    assert hs.shape == (4, 0, 3) and h_n.shape == c_n.shape == (0, 3)
    (hs.sum() + h_n.sum()).backward()
    assert x.grad.shape == x.shape and params[0].grad.shape == params[0].shape
    assert not np.any(params[0].grad.data)  # no rows: nothing flows into the weights
    h, c = lstm_cell(x[0], h0, c0, *params)
    assert h.shape == c.shape == (0, 3)
