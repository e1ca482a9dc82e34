"""The fast paths of the recurrent ops give what the plain formulation gives.

- sequence buffers (`ops.recurrent_sequence.LSTMSequence`): one op for an LSTM layer,
  with the weights transposed once, the gates' tanh scale folded into weights and bias,
  whole-sequence buffers and the weight gradients as one product over all steps,
  against `lstm_cell` applied step by step (values and every gradient);
- the gradient rule on arrays (no create_graph) against the same rule on Tensors
  (create_graph), where the kept activations are recomputed on the graph, for every
  recurrent op (`Op.array_backward`, see test_array_rules.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import Tensor, grad, gru_cell, lstm_cell, lstm_sequence, rnn_cell, stack


def _inputs(steps: int, batch: int, dtype: type, seed: int = 0) -> list[Tensor]:
    rng = np.random.default_rng(seed)
    inputs, hidden = 3, 5
    shapes = [
        (steps, batch, inputs),
        (batch, hidden),
        (batch, hidden),
        (4 * hidden, inputs),
        (4 * hidden, hidden),
        (4 * hidden,),
        (4 * hidden,),
    ]
    return [Tensor(rng.normal(size=s).astype(dtype), requires_grad=True) for s in shapes]


def _loss(hs: Tensor, h: Tensor, c: Tensor) -> Tensor:
    return (hs * hs).sum() + (h * c).sum()


def _step_by_step(x: Tensor, h: Tensor, c: Tensor, *params: Tensor) -> Tensor:
    outputs = []
    for t in range(x.shape[0]):
        h, c = lstm_cell(x[t], h, c, *params)
        outputs.append(h)
    return _loss(stack(outputs), h, c)


def _fused(*tensors: Tensor) -> Tensor:
    hs, (h, c) = lstm_sequence(*tensors)
    return _loss(hs, h, c)


@pytest.mark.parametrize("steps, batch", [(1, 1), (4, 3), (7, 2)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sequence_buffers_give_the_cell_step_by_step(steps: int, batch: int, dtype: type) -> None:
    inputs = _inputs(steps, batch, dtype)
    fused, plain = _fused(*inputs), _step_by_step(*inputs)
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(fused.numpy(), plain.numpy(), rtol=tolerance)
    for mine, theirs in zip(grad(fused, inputs), grad(plain, inputs)):
        assert mine.dtype == theirs.dtype == np.dtype(dtype)
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_folding_the_tanh_scale_into_the_weights_changes_no_bit(dtype: type) -> None:
    # the sequence op multiplies the weights by 1/2 (sigmoid gates) or 1 (the tanh gate)
    # before the product, the cell after it: powers of two scale every partial sum exactly
    rng = np.random.default_rng(1)
    h, weight = rng.normal(size=(6, 5)).astype(dtype), rng.normal(size=(20, 5)).astype(dtype)
    scale = np.where(np.arange(20) // 5 == 2, 1.0, 0.5).astype(dtype)
    folded = h @ (np.ascontiguousarray(weight.T) * scale)
    assert np.array_equal(folded, (h @ weight.T) * scale)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_weight_too_small_to_halve_exactly_is_not_folded(dtype: type) -> None:
    # halving the smallest subnormal gives 0, and inf * 0 = NaN where the cell's
    # sigmoid(inf * w) = 1: with such a weight the gates are scaled after the products
    x, h, c, w_ih, w_hh, b_ih, b_hh = (t.numpy().copy() for t in _inputs(2, 1, dtype))
    x[0, 0, 0] = np.inf
    w_ih[:, 0] = np.finfo(dtype).smallest_subnormal
    hs, (h_n, c_n) = lstm_sequence(x, h, c, w_ih, w_hh, b_ih, b_hh)
    expected = [h]
    for t in range(2):
        h, c = lstm_cell(x[t], h, c, w_ih, w_hh, b_ih, b_hh)
        expected.append(h)
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    assert np.isfinite(hs.numpy()).all()
    np.testing.assert_allclose(hs.numpy(), np.stack([e.numpy() for e in expected[1:]]), tolerance)
    np.testing.assert_allclose(c_n.numpy(), c.numpy(), tolerance)


def _gru(x: Tensor, h: Tensor, c: Tensor, *params: Tensor) -> Tensor:
    w_ih, w_hh = params[0][: 3 * h.shape[-1]], params[1][: 3 * h.shape[-1]]
    return (gru_cell(x[0], h, w_ih, w_hh, params[2][:15], params[3][:15]) ** 2).sum()


def _rnn(x: Tensor, h: Tensor, c: Tensor, *params: Tensor, nonlinearity: str = "tanh") -> Tensor:
    w_ih, w_hh = params[0][: h.shape[-1]], params[1][: h.shape[-1]]
    out = rnn_cell(x[0], h, w_ih, w_hh, params[2][:5], None, nonlinearity=nonlinearity)
    return (out * c).sum()


@pytest.mark.parametrize(
    "make",
    [
        _fused,
        lambda *t: _loss(*_cell_outputs(*t)),
        _gru,
        _rnn,
        lambda *t: _rnn(*t, nonlinearity="relu"),
    ],
)
def test_the_rule_on_arrays_gives_the_rule_on_tensors(make) -> None:
    inputs = _inputs(3, 2, np.float64, seed=2)
    on_arrays = grad(make(*inputs), inputs)
    on_tensors = grad(make(*inputs), inputs, create_graph=True)
    for array_rule, tensor_rule in zip(on_arrays, on_tensors):
        assert tensor_rule.requires_grad or not array_rule.numpy().any()  # (unused inputs: 0)
        np.testing.assert_allclose(array_rule.numpy(), tensor_rule.numpy(), rtol=1e-12, atol=1e-14)


def _cell_outputs(x: Tensor, h: Tensor, c: Tensor, *params: Tensor) -> tuple[Tensor, ...]:
    """One cell step on x[0], shaped like the sequence's outputs."""
    h_new, c_new = lstm_cell(x[0], h, c, *params)
    return h_new.reshape((1,) + h_new.shape), h_new, c_new
