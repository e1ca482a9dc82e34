"""Recurrent layers, cells, scaled_dot_product_attention and MultiheadAttention against
torch.nn, where torch is importable (skipped otherwise): with PyTorch's weights copied in,
every output and every gradient (parameters, inputs, initial states, float masks) equals
PyTorch's to round-off of the dtype; names, shapes and printouts are PyTorch's."""

from __future__ import annotations

import itertools
import warnings
import zlib

import numpy as np
import pytest

import nn
from autograd_lite import Tensor

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional
F = nn.functional

RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _reseed(request):
    seed = zlib.crc32(request.node.name.encode())
    RNG.bit_generator.state = np.random.default_rng(seed).bit_generator.state


def close(ours, theirs, what=""):
    """Same shape, dtype and values to round-off of the dtype (scaled by the magnitude); NaN
    in the same places."""
    if theirs is None:
        assert ours is None, what
        return
    expected = theirs.detach().numpy()
    actual = ours.numpy()
    assert actual.shape == expected.shape, what
    assert actual.dtype == expected.dtype, what
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected), err_msg=what)
    scale = max(1.0, float(np.nanmax(np.abs(expected), initial=0.0)))
    eps = np.finfo(expected.dtype).eps
    np.testing.assert_allclose(actual, expected, rtol=0, atol=32 * eps * scale, err_msg=what)


def copy_weights(ours, theirs):
    assert list(ours.state_dict()) == list(theirs.state_dict())
    state = {name: value.detach().numpy().copy() for name, value in theirs.state_dict().items()}
    ours.load_state_dict(state, strict=True)


def pair(array, dtype=np.float64, grad=True):
    array = array.astype(dtype)
    return Tensor(array, requires_grad=grad), torch.tensor(array, requires_grad=grad)


def flat(out):
    """The tensors of a (nested) output tuple, None kept."""
    if isinstance(out, (tuple, list)):
        return [t for item in out for t in flat(item)]
    return [out]


def backward_both(ours_out, theirs_out):
    """Backward the same random weighting of every finite output on both sides."""
    ours_total, theirs_total = None, None
    for o, t in zip(flat(ours_out), flat(theirs_out)):
        if t is None:
            continue
        w = RNG.normal(size=t.shape)
        w[np.isnan(t.detach().numpy())] = 0.0
        ours_part = (where_finite(o) * Tensor(w.astype(o.dtype))).sum()
        theirs_part = (torch.nan_to_num(t, nan=0.0) * torch.tensor(w, dtype=t.dtype)).sum()
        ours_total = ours_part if ours_total is None else ours_total + ours_part
        theirs_total = theirs_part if theirs_total is None else theirs_total + theirs_part
    ours_total.backward()
    theirs_total.backward()


def where_finite(t):
    from autograd_lite import where

    mask = np.isnan(t.numpy())
    return where(mask, 0.0, t) if mask.any() else t


def compare_params(ours, theirs):
    theirs_params = dict(theirs.named_parameters())
    assert [name for name, _ in ours.named_parameters()] == list(theirs_params)
    for name, param in ours.named_parameters():
        close(param.grad, theirs_params[name].grad, f"gradient of {name}")


# ---------------------------------------------------------------- recurrent layers
LAYER_CASES = list(
    itertools.product(["RNN", "LSTM", "GRU"], [1, 2], [False, True], [True, False], [True, False])
)


@pytest.mark.parametrize("kind, layers, batch_first, bias, with_state", LAYER_CASES)
def test_recurrent_layers_match_torch(kind, layers, batch_first, bias, with_state) -> None:
    kwargs = {"num_layers": layers, "batch_first": batch_first, "bias": bias}
    theirs = getattr(tnn, kind)(3, 5, **kwargs).double()
    ours = getattr(nn, kind)(3, 5, **kwargs)
    assert repr(ours) == repr(theirs)
    copy_weights(ours, theirs)
    x = RNG.normal(size=(2, 4, 3))  # (L, N) or (N, L)
    batch = x.shape[0] if batch_first else x.shape[1]
    ours_x, theirs_x = pair(x)
    states = [pair(RNG.normal(size=(layers, batch, 5))) for _ in range(2 if kind == "LSTM" else 1)]
    ours_args, theirs_args = [ours_x], [theirs_x]
    if with_state:
        ours_args.append(tuple(s[0] for s in states) if kind == "LSTM" else states[0][0])
        theirs_args.append(tuple(s[1] for s in states) if kind == "LSTM" else states[0][1])
    ours_out, theirs_out = ours(*ours_args), theirs(*theirs_args)
    for o, t in zip(flat(ours_out), flat(theirs_out)):
        close(o, t, "output")
    backward_both(ours_out, theirs_out)
    close(ours_x.grad, theirs_x.grad, "input gradient")
    if with_state:
        for o, t in states:
            close(o.grad, t.grad, "initial state gradient")
    compare_params(ours, theirs)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_unbatched_input_relu_and_float32_match_torch(kind) -> None:
    extra = {"nonlinearity": "relu"} if kind == "RNN" else {}
    theirs = getattr(tnn, kind)(4, 3, num_layers=2, **extra)  # float32
    ours = getattr(nn, kind)(4, 3, num_layers=2, dtype=np.float32, **extra)
    assert repr(ours) == repr(theirs)
    copy_weights(ours, theirs)
    ours_x, theirs_x = pair(RNG.normal(size=(6, 4)), np.float32)
    ours_out, theirs_out = ours(ours_x), theirs(theirs_x)
    for o, t in zip(flat(ours_out), flat(theirs_out)):
        close(o, t, "output")
    backward_both(ours_out, theirs_out)
    close(ours_x.grad, theirs_x.grad, "input gradient")
    compare_params(ours, theirs)


def test_lstm_with_proj_size_matches_torch() -> None:
    theirs = tnn.LSTM(3, 6, num_layers=2, proj_size=2, batch_first=True).double()
    ours = nn.LSTM(3, 6, num_layers=2, proj_size=2, batch_first=True)
    assert repr(ours) == repr(theirs)
    copy_weights(ours, theirs)
    ours_x, theirs_x = pair(RNG.normal(size=(3, 5, 3)))
    (oh, th), (oc, tc) = pair(RNG.normal(size=(2, 3, 2))), pair(RNG.normal(size=(2, 3, 6)))
    ours_out, theirs_out = ours(ours_x, (oh, oc)), theirs(theirs_x, (th, tc))
    for o, t in zip(flat(ours_out), flat(theirs_out)):
        close(o, t, "output")
    backward_both(ours_out, theirs_out)
    for o, t in ((ours_x, theirs_x), (oh, th), (oc, tc)):
        close(o.grad, t.grad, "input or state gradient")
    compare_params(ours, theirs)


CELL_CASES = [
    (nn.RNNCell, tnn.RNNCell, {}),
    (nn.RNNCell, tnn.RNNCell, {"nonlinearity": "relu", "bias": False}),
    (nn.LSTMCell, tnn.LSTMCell, {}),
    (nn.LSTMCell, tnn.LSTMCell, {"bias": False}),
    (nn.GRUCell, tnn.GRUCell, {}),
    (nn.GRUCell, tnn.GRUCell, {"bias": False}),
]


@pytest.mark.parametrize("ours_cls, theirs_cls, kwargs", CELL_CASES)
@pytest.mark.parametrize("shape", [(4, 3), (3,)])
@pytest.mark.parametrize("with_state", [True, False])
def test_cells_match_torch(ours_cls, theirs_cls, kwargs, shape, with_state) -> None:
    theirs, ours = theirs_cls(3, 5, **kwargs).double(), ours_cls(3, 5, **kwargs)
    assert repr(ours) == repr(theirs)
    copy_weights(ours, theirs)
    ours_x, theirs_x = pair(RNG.normal(size=shape))
    state_shape = (*shape[:-1], 5)
    states = [
        pair(RNG.normal(size=state_shape)) for _ in range(2 if ours_cls is nn.LSTMCell else 1)
    ]
    ours_args, theirs_args = [ours_x], [theirs_x]
    if with_state:
        ours_args.append(tuple(s[0] for s in states) if len(states) == 2 else states[0][0])
        theirs_args.append(tuple(s[1] for s in states) if len(states) == 2 else states[0][1])
    ours_out, theirs_out = ours(*ours_args), theirs(*theirs_args)
    for o, t in zip(flat(ours_out), flat(theirs_out)):
        close(o, t, "output")
    backward_both(ours_out, theirs_out)
    close(ours_x.grad, theirs_x.grad, "input gradient")
    if with_state:
        for o, t in states:
            close(o.grad, t.grad, "state gradient")
    compare_params(ours, theirs)


def test_init_bounds_and_parameter_shapes_are_torchs() -> None:
    for ours, theirs in [
        (nn.LSTM(5, 7, num_layers=3), tnn.LSTM(5, 7, num_layers=3)),
        (nn.GRUCell(5, 7), tnn.GRUCell(5, 7)),
        (nn.MultiheadAttention(6, 3, kdim=2, vdim=4), tnn.MultiheadAttention(6, 3, kdim=2, vdim=4)),
    ]:
        shapes = {n: tuple(p.shape) for n, p in theirs.named_parameters()}
        assert {n: p.shape for n, p in ours.named_parameters()} == shapes
    bound = 1 / np.sqrt(7)
    ours_values = np.concatenate([p.numpy().ravel() for p in nn.LSTM(5, 7).parameters()])
    theirs_values = np.concatenate(
        [p.detach().numpy().ravel() for p in tnn.LSTM(5, 7).parameters()]
    )
    assert np.abs(ours_values).max() <= bound and np.abs(theirs_values).max() <= bound


# ---------------------------------------------------------------- scaled_dot_product_attention
SDPA_CASES = ["plain", "bool", "float", "causal", "scale", "dead rows", "3-d", "broadcast mask"]


@pytest.mark.parametrize("case", SDPA_CASES)
def test_sdpa_matches_torch(case) -> None:
    batch = (3,) if case == "3-d" else (2, 3)
    shapes = [(*batch, 4, 5), (*batch, 6, 5), (*batch, 6, 7)]
    inputs = [pair(RNG.normal(size=s)) for s in shapes]
    ours_kw, theirs_kw = {}, {}
    if case in ("bool", "dead rows", "broadcast mask"):
        keep = RNG.random((2, 1, 4, 6) if case == "broadcast mask" else (4, 6)) > 0.4
        keep[..., 0] = case != "dead rows"
        if case == "dead rows":
            keep[1] = False
        ours_kw["attn_mask"], theirs_kw["attn_mask"] = keep, torch.tensor(keep)
    if case == "float":
        ours_mask, theirs_mask = pair(RNG.normal(size=(3, 4, 6)))
        ours_kw["attn_mask"], theirs_kw["attn_mask"] = ours_mask, theirs_mask
    if case == "causal":
        ours_kw["is_causal"] = theirs_kw["is_causal"] = True
    if case == "scale":
        ours_kw["scale"] = theirs_kw["scale"] = 0.37
    ours_out = F.scaled_dot_product_attention(*(o for o, _ in inputs), **ours_kw)
    theirs_out = TF.scaled_dot_product_attention(*(t for _, t in inputs), **theirs_kw)
    close(ours_out, theirs_out, "output")
    backward_both(ours_out, theirs_out)
    for index, (o, t) in enumerate(inputs):
        close(o.grad, t.grad, f"gradient of input {index}")
    if case == "float":
        close(ours_mask.grad, theirs_mask.grad, "gradient of the float mask")


# ---------------------------------------------------------------- MultiheadAttention
def mha_pair(embed=8, heads=2, **kwargs):
    theirs = tnn.MultiheadAttention(embed, heads, dtype=torch.float64, **kwargs)
    ours = nn.MultiheadAttention(embed, heads, **kwargs)
    with torch.no_grad():  # non-zero biases, so their gradients and effects are compared
        for param in theirs.parameters():
            param.copy_(torch.tensor(RNG.normal(size=param.shape) * 0.5))
    copy_weights(ours, theirs)
    assert repr(ours) == repr(theirs)
    return ours, theirs


def run_mha(ours, theirs, inputs, call, mask_kwargs=None):
    """Call both with the same inputs (self-attention when ``inputs`` has one array),
    compare outputs, weights and every gradient."""
    pairs = [pair(a) for a in inputs]
    ours_in = [pairs[i if i < len(pairs) else -1][0] for i in range(3)]
    theirs_in = [pairs[i if i < len(pairs) else -1][1] for i in range(3)]
    if len(pairs) == 1:  # the same object three times: PyTorch's packed path
        ours_in, theirs_in = [pairs[0][0]] * 3, [pairs[0][1]] * 3
    ours_masks, theirs_masks = mask_kwargs or ({}, {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's note on mixed bool/float masks
        theirs_out = theirs(*theirs_in, **call, **theirs_masks)
    ours_out = ours(*ours_in, **call, **ours_masks)
    close(ours_out[0], theirs_out[0], "output")
    close(ours_out[1], theirs_out[1], "attention weights")
    backward_both(ours_out, theirs_out)
    for index, (o, t) in enumerate(pairs):
        close(o.grad, t.grad, f"gradient of input {index}")
    compare_params(ours, theirs)


MHA_CASES = list(itertools.product([False, True], [True, False], [True, False], [1, 3]))


@pytest.mark.parametrize("batch_first, need_weights, average, n_inputs", MHA_CASES)
def test_mha_matches_torch(batch_first, need_weights, average, n_inputs) -> None:
    ours, theirs = mha_pair(batch_first=batch_first)
    shape = (2, 3, 8) if batch_first else (3, 2, 8)
    source = (2, 5, 8) if batch_first else (5, 2, 8)
    inputs = (
        [RNG.normal(size=shape)]
        if n_inputs == 1
        else [RNG.normal(size=shape), RNG.normal(size=source), RNG.normal(size=source)]
    )  # noqa: E501
    call = {"need_weights": need_weights, "average_attn_weights": average}
    run_mha(ours, theirs, inputs, call)


def mask_pair(array):
    ours = Tensor(array) if array.dtype.kind == "f" else array
    return ours, torch.tensor(array)


MASK_CASES = [
    "bool 2-d",
    "float 2-d",
    "bool 3-d",
    "float 3-d",
    "padding bool",
    "padding float",
    "both bool",
    "bool and float",
    "dead rows",
    "causal hint",
]  # noqa: E501


@pytest.mark.parametrize("case", MASK_CASES)
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_masks_match_torch(case, need_weights) -> None:
    ours, theirs = mha_pair(batch_first=True)
    batch, length, source, heads = 2, 3, 4, 2
    inputs = [RNG.normal(size=(batch, length, 8)), RNG.normal(size=(batch, source, 8))]
    ours_masks, theirs_masks = {}, {}

    def attn(array):
        ours_masks["attn_mask"], theirs_masks["attn_mask"] = mask_pair(array)

    def padding(array):
        ours_masks["key_padding_mask"], theirs_masks["key_padding_mask"] = mask_pair(array)

    blocked = RNG.random((length, source)) < 0.4
    blocked[:, 0] = False
    if case == "bool 2-d":
        attn(blocked)
    if case == "float 2-d":
        attn(RNG.normal(size=(length, source)))
    if case == "bool 3-d":
        many = RNG.random((batch * heads, length, source)) < 0.4
        many[..., 0] = False
        attn(many)
    if case == "float 3-d":
        attn(RNG.normal(size=(batch * heads, length, source)))
    pad = np.array([[False] * source, [False, False, True, True]])
    if case in ("padding bool", "both bool", "bool and float"):
        padding(pad)
    if case == "padding float":
        padding(RNG.normal(size=(batch, source)))
    if case == "both bool":
        attn(blocked)
    if case == "bool and float":
        attn(RNG.normal(size=(length, source)))
    if case == "dead rows":
        dead = np.zeros((length, source), dtype=bool)
        dead[1] = True
        attn(dead)
    call = {"need_weights": need_weights}
    if case == "causal hint":
        inputs = inputs[:1]
        attn(np.triu(np.ones((length, length), dtype=bool), 1))
        call["is_causal"] = True
    run_mha(ours, theirs, inputs, call, (ours_masks, theirs_masks))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kdim": 3, "vdim": 5},
        {"add_bias_kv": True},
        {"add_zero_attn": True},
        {"add_bias_kv": True, "add_zero_attn": True, "bias": False},
    ],
)
def test_mha_options_match_torch(kwargs) -> None:
    ours, theirs = mha_pair(heads=4, **kwargs)
    k, v = kwargs.get("kdim", 8), kwargs.get("vdim", 8)
    inputs = [RNG.normal(size=(3, 2, 8)), RNG.normal(size=(5, 2, k)), RNG.normal(size=(5, 2, v))]
    pad = np.array([[False] * 5, [False, False, False, True, True]])
    masks = ({"key_padding_mask": pad}, {"key_padding_mask": torch.tensor(pad)})
    run_mha(ours, theirs, inputs, {"average_attn_weights": False}, masks)


def test_mha_unbatched_and_float32_match_torch() -> None:
    ours, theirs = mha_pair()
    run_mha(ours, theirs, [RNG.normal(size=(4, 8))], {"average_attn_weights": False})
    theirs32 = tnn.MultiheadAttention(8, 2, batch_first=True)
    ours32 = nn.MultiheadAttention(8, 2, batch_first=True, dtype=np.float32)
    copy_weights(ours32, theirs32)
    ours_x, theirs_x = pair(RNG.normal(size=(2, 3, 8)), np.float32)
    ours_out, theirs_out = ours32(ours_x, ours_x, ours_x), theirs32(theirs_x, theirs_x, theirs_x)
    close(ours_out[0], theirs_out[0], "output")
    close(ours_out[1], theirs_out[1], "weights")
    backward_both(ours_out, theirs_out)
    close(ours_x.grad, theirs_x.grad, "input gradient")
    compare_params(ours32, theirs32)
