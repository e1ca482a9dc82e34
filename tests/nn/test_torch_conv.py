"""Convolution, pooling and padding against torch (run when torch imports, skipped
otherwise): with the same weights, outputs and the gradients of the input, weight and bias
equal PyTorch's to float64 round-off (float32 round-off for float32); printouts, init
bounds and max pooling's choice among tied maxima as PyTorch's."""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

import nn
from autograd_lite import Tensor
from tests.nn.torch_compare import close, compare_module, copy_weights, run_both

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional
F = nn.functional

RNG = np.random.default_rng(0)


pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


@pytest.fixture(autouse=True)
def _reseed(request):
    seed = zlib.crc32(request.node.name.encode())
    RNG.bit_generator.state = np.random.default_rng(seed).bit_generator.state


# ---------------------------------------------------------------- convolution
CONV2D = [  # (input shape, out_channels, kernel, settings)
    ((2, 3, 7, 6), 4, (3, 3), {}),
    ((2, 3, 7, 6), 4, (3, 2), {"stride": 2, "padding": 1}),
    ((1, 4, 9, 8), 6, (3, 3), {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1)}),
    ((2, 4, 6, 6), 6, (3, 3), {"groups": 2, "padding": 1}),
    ((2, 6, 5, 5), 6, (3, 3), {"groups": 6}),  # depthwise
    ((2, 3, 6, 7), 5, (4, 3), {"padding": "same", "dilation": (1, 2)}),  # asymmetric
    ((2, 3, 6, 7), 5, (2, 2), {"padding": "valid"}),
    ((3, 5, 5), 2, (1, 1), {}),  # unbatched, 1x1
    ((2, 2, 4, 4), 3, (4, 4), {}),  # kernel as large as the input
]


@pytest.mark.parametrize("shape, out, kernel, settings", CONV2D)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d(shape, out, kernel, settings, bias) -> None:
    channels = shape[-3] // settings.get("groups", 1)
    arrays = [RNG.normal(size=shape), RNG.normal(size=(out, channels, *kernel))]
    if bias:
        arrays.append(RNG.normal(size=out))
    run_both(
        lambda *a: F.conv2d(*a, **settings) if bias else F.conv2d(*a, None, **settings),
        lambda *a: TF.conv2d(*a, **settings) if bias else TF.conv2d(*a, None, **settings),
        *arrays,
        rng=RNG,
    )


CONV1D = [
    ((2, 3, 9), 4, 3, {}),
    ((2, 4, 11), 6, 3, {"stride": 2, "padding": 2, "dilation": 2, "groups": 2}),
    ((3, 8), 2, 4, {"padding": "same"}),  # unbatched; even kernel: asymmetric padding
    ((2, 3, 5), 2, 5, {}),
]


@pytest.mark.parametrize("shape, out, kernel, settings", CONV1D)
def test_conv1d(shape, out, kernel, settings) -> None:
    channels = shape[-2] // settings.get("groups", 1)
    arrays = [RNG.normal(size=shape), RNG.normal(size=(out, channels, kernel))]
    arrays.append(RNG.normal(size=out))
    run_both(
        lambda *a: F.conv1d(*a, **settings),
        lambda *a: TF.conv1d(*a, **settings),
        *arrays,
        rng=RNG,
    )


LAYERS = [
    (lambda lib: lib.Conv2d(3, 4, 3), (2, 3, 8, 8)),
    (lambda lib: lib.Conv2d(2, 4, (3, 2), stride=(2, 1), padding=1, bias=False), (2, 2, 7, 6)),
    (lambda lib: lib.Conv2d(4, 4, 3, padding="same", dilation=2, groups=2), (2, 4, 7, 7)),
    (lambda lib: lib.Conv2d(2, 3, 3, padding=2, padding_mode="reflect"), (2, 2, 5, 6)),
    (lambda lib: lib.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="replicate"), (2, 2, 5, 6)),
    (lambda lib: lib.Conv2d(2, 3, 3, padding="same", padding_mode="circular"), (1, 2, 4, 5)),
    (lambda lib: lib.Conv1d(3, 5, 3), (4, 3, 10)),
    (lambda lib: lib.Conv1d(4, 2, 2, padding="same", padding_mode="reflect"), (2, 4, 6)),
    (lambda lib: lib.Conv1d(4, 6, 3, stride=2, padding=1, groups=2, bias=False), (2, 4, 9)),
]


@pytest.mark.parametrize("make, shape", LAYERS)
def test_conv_layers_and_their_printout(make, shape) -> None:
    ours, theirs = make(nn), make(tnn).double()
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    copy_weights(ours, theirs)
    compare_module(ours, theirs, RNG.normal(size=shape), RNG)


def test_conv2d_in_float32_matches_to_float32_round_off() -> None:
    ours, theirs = nn.Conv2d(3, 8, 3, padding=1, dtype=np.float32), tnn.Conv2d(3, 8, 3, padding=1)
    copy_weights(ours, theirs)
    out = compare_module(ours, theirs, RNG.normal(size=(4, 3, 6, 6)).astype(np.float32), RNG)
    assert out.dtype == np.float32 and ours.weight.grad.dtype == np.float32


@pytest.mark.parametrize(
    "make", [lambda lib: lib.Conv2d(16, 320, (3, 5)), lambda lib: lib.Conv1d(8, 300, 7, groups=2)]
)
def test_default_initialisation_has_pytorchs_bounds(make) -> None:
    ours, theirs = make(nn), make(tnn)
    assert ours.weight.shape == tuple(theirs.weight.shape)
    fan_in = math.prod(theirs.weight.shape[1:])
    bound = 1 / math.sqrt(fan_in)
    for name in ("weight", "bias"):
        a, b = getattr(ours, name).numpy(), getattr(theirs, name).detach().numpy()
        assert np.abs(a).max() <= bound and np.abs(b).max() <= bound
        assert np.abs(a).max() > 0.9 * bound and np.abs(b).max() > 0.9 * bound
    assert np.var(ours.weight.numpy()) == pytest.approx(
        np.var(theirs.weight.detach().numpy()), rel=0.1
    )


# ---------------------------------------------------------------- pooling
MAX_POOL = [
    ((2, 3, 6, 6), {"kernel_size": 2}),
    ((2, 3, 7, 5), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ((1, 2, 9, 8), {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 1), "dilation": 2}),
    ((2, 2, 7, 7), {"kernel_size": 2, "ceil_mode": True}),
    ((2, 2, 8, 6), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ((3, 5, 5), {"kernel_size": 2, "stride": 1}),  # unbatched
]


@pytest.mark.parametrize("shape, settings", MAX_POOL)
@pytest.mark.parametrize("ties", [False, True])
def test_max_pool2d_with_pytorchs_choice_among_ties(shape, settings, ties) -> None:
    x = RNG.integers(-2, 3, size=shape).astype(float) if ties else RNG.normal(size=shape)
    run_both(
        lambda x: F.max_pool2d(x, **settings), lambda x: TF.max_pool2d(x, **settings), x, rng=RNG
    )
    ours_out, ours_idx = F.max_pool2d(Tensor(x), return_indices=True, **settings)
    theirs_out, theirs_idx = TF.max_pool2d(torch.tensor(x), return_indices=True, **settings)
    np.testing.assert_array_equal(ours_idx, theirs_idx.numpy())


def test_max_pool2d_with_infinities_and_nan_picks_pytorchs_element() -> None:
    x = RNG.normal(size=(1, 2, 6, 6))
    x[0, 0, :3, :3] = -np.inf  # a window of -inf only
    x[0, 1, 0, 1] = x[0, 1, 1, 0] = np.nan  # two NaNs in one window
    x[0, 1, 4, 4] = np.inf
    settings = {"kernel_size": 3, "stride": 2, "padding": 1}
    ours_out, ours_idx = F.max_pool2d(Tensor(x), return_indices=True, **settings)
    theirs_out, theirs_idx = TF.max_pool2d(torch.tensor(x), return_indices=True, **settings)
    np.testing.assert_array_equal(ours_out.numpy(), theirs_out.numpy())
    np.testing.assert_array_equal(ours_idx, theirs_idx.numpy())


AVG_POOL = [
    ((2, 3, 6, 6), {"kernel_size": 2}),
    ((2, 3, 7, 5), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ((2, 3, 7, 5), {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}),
    ((1, 2, 7, 8), {"kernel_size": (3, 2), "stride": (2, 3), "padding": (1, 1), "ceil_mode": True}),
    (
        (1, 2, 7, 8),
        {
            "kernel_size": 3,
            "stride": 2,
            "padding": 1,
            "ceil_mode": True,
            "count_include_pad": False,
        },
    ),
    ((2, 2, 5, 5), {"kernel_size": 2, "divisor_override": 3}),
    ((3, 5, 5), {"kernel_size": 2, "stride": 1}),  # unbatched
]


@pytest.mark.parametrize("shape, settings", AVG_POOL)
def test_avg_pool2d(shape, settings) -> None:
    run_both(
        lambda x: F.avg_pool2d(x, **settings),
        lambda x: TF.avg_pool2d(x, **settings),
        RNG.normal(size=shape),
        rng=RNG,
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.MaxPool2d(2),
        lambda lib: lib.MaxPool2d((3, 2), stride=1, padding=1, dilation=(1, 2), ceil_mode=True),
        lambda lib: lib.AvgPool2d(2),
        lambda lib: lib.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
    ],
)
def test_pooling_layers_and_their_printout(make) -> None:
    ours, theirs = make(nn), make(tnn)
    assert repr(ours) == repr(theirs)
    compare_module(ours, theirs, RNG.normal(size=(2, 3, 7, 8)), RNG)


# ---------------------------------------------------------------- pad
PADS = [
    ((2, 3, 4), (1, 2), {}),
    ((2, 3, 4), (1, 0, 2, 1), {"value": 1.5}),
    ((2, 3, 4, 5), (-1, 2, 0, -2), {}),  # negative entries crop
    ((2, 3, 4, 5), (2, 1, 0, 3, 1, 1), {}),
    ((2, 3, 5), (2, 3), {"mode": "reflect"}),
    ((1, 2, 4, 5), (2, 1, 3, 2), {"mode": "reflect"}),
    ((1, 2, 4, 5), (3, 1, 2, 4), {"mode": "replicate"}),
    ((1, 2, 4, 5), (5, 2, 1, 4), {"mode": "circular"}),
]


@pytest.mark.parametrize("shape, pad, settings", PADS)
def test_pad(shape, pad, settings) -> None:
    run_both(
        lambda x: F.pad(x, pad, **settings),
        lambda x: TF.pad(x, pad, **settings),
        RNG.normal(size=shape),
        rng=RNG,
    )


# ---------------------------------------------------------------- a small CNN
def test_a_small_cnn_for_8x8_images_trains_as_pytorchs() -> None:
    def build(lib):
        return lib.Sequential(
            lib.Conv2d(1, 16, 3, padding=1),
            lib.ReLU(),
            lib.MaxPool2d(2),
            lib.Conv2d(16, 32, 3, padding=1),
            lib.ReLU(),
            lib.MaxPool2d(2),
            lib.Flatten(),
            lib.Linear(128, 10),
        )

    ours, theirs = build(nn), build(tnn).double()
    copy_weights(ours, theirs)
    x, labels = RNG.normal(size=(16, 1, 8, 8)), RNG.integers(0, 10, size=16)
    ours_opt = nn.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    theirs_opt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        ours_opt.zero_grad()
        theirs_opt.zero_grad()
        ours_loss = nn.CrossEntropyLoss()(ours(Tensor(x)), labels)
        theirs_loss = tnn.CrossEntropyLoss()(theirs(torch.tensor(x)), torch.tensor(labels))
        close(ours_loss, theirs_loss, "loss")
        ours_loss.backward()
        theirs_loss.backward()
        ours_opt.step()
        theirs_opt.step()
    for name, value in theirs.state_dict().items():
        close(ours.state_dict()[name], value, name)
