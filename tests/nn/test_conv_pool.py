"""Convolution, pooling and padding without torch: values by hand and by direct loops at
small sizes, gradcheck at float64 (and gradgradcheck for conv2d), PyTorch's layouts, init
bounds, dtype=, printouts, and errors naming the layer, the argument and the shapes."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import nn
from autograd_lite import ShapeError, Tensor, gradcheck, gradgradcheck

F = nn.functional
RNG = np.random.default_rng(18)


def direct_conv2d(x, w, b, stride, padding, dilation, groups):
    """The definition, one output element at a time (NumPy, no engine)."""
    x = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh = (h - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    for i, oc, p, q in itertools.product(range(n), range(o), range(oh), range(ow)):
        g = oc // (o // groups)
        total = 0.0 if b is None else b[oc]
        for ic, u, v in itertools.product(range(cg), range(kh), range(kw)):
            r, s = p * stride[0] + u * dilation[0], q * stride[1] + v * dilation[1]
            total += w[oc, ic, u, v] * x[i, g * cg + ic, r, s]
        out[i, oc, p, q] = total
    return out


def test_conv2d_by_hand() -> None:
    x = Tensor(np.arange(9.0).reshape(1, 1, 3, 3))
    w = Tensor([[[[1.0, 0.0], [0.0, -1.0]]]])  # x[i, j] - x[i + 1, j + 1]
    np.testing.assert_array_equal(
        F.conv2d(x, w, Tensor([0.5])).numpy(), np.full((1, 1, 2, 2), -3.5)
    )
    ones = F.conv2d(x, Tensor(np.ones((1, 1, 2, 2))), padding=1).numpy()[0, 0]
    np.testing.assert_array_equal(ones[0], [0.0, 1.0, 3.0, 2.0])  # sums of the padded windows
    np.testing.assert_array_equal(ones[1], [3.0, 8.0, 12.0, 7.0])


@pytest.mark.parametrize(
    "shape, out, kernel, stride, padding, dilation, groups",
    [
        ((2, 3, 6, 5), 4, (3, 2), (1, 1), (0, 0), (1, 1), 1),
        ((1, 4, 7, 7), 6, (3, 3), (2, 1), (1, 2), (2, 1), 2),
        ((2, 3, 5, 5), 3, (2, 2), (2, 2), (1, 1), (1, 1), 3),
    ],
)
def test_conv2d_equals_the_direct_loop(shape, out, kernel, stride, padding, dilation, groups):
    x = RNG.normal(size=shape)
    w = RNG.normal(size=(out, shape[1] // groups, *kernel))
    b = RNG.normal(size=out)
    ours = F.conv2d(Tensor(x), Tensor(w), Tensor(b), stride, padding, dilation, groups)
    expected = direct_conv2d(x, w, b, stride, padding, dilation, groups)
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_conv1d_is_conv2d_on_a_height_of_one() -> None:
    x, w, b = RNG.normal(size=(2, 4, 9)), RNG.normal(size=(6, 2, 3)), RNG.normal(size=6)
    ours = F.conv1d(Tensor(x), Tensor(w), Tensor(b), stride=2, padding=1, dilation=2, groups=2)
    expected = direct_conv2d(x[:, :, None], w[:, :, None], b, (1, 2), (0, 1), (1, 2), 2)[:, :, 0]
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-12, atol=1e-12)
    same = F.conv1d(Tensor(x[0]), Tensor(np.ones((6, 4, 4))), padding="same")  # unbatched (C, L)
    assert same.shape == (6, 9)


@pytest.mark.parametrize(
    "settings",
    [{}, {"stride": 2, "padding": 1}, {"dilation": 2, "padding": "same"}, {"groups": 2}],
)
def test_conv2d_gradcheck(settings) -> None:
    x = Tensor(RNG.normal(size=(2, 4, 5, 5)), requires_grad=True)
    w = Tensor(RNG.normal(size=(2, 4 // settings.get("groups", 1), 3, 3)), requires_grad=True)
    b = Tensor(RNG.normal(size=2), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, **settings), (x, w, b))


def test_conv2d_is_twice_differentiable_and_conv1d_gradcheck() -> None:
    x = Tensor(RNG.normal(size=(1, 2, 4, 4)), requires_grad=True)
    w = Tensor(RNG.normal(size=(2, 2, 2, 2)), requires_grad=True)
    assert gradgradcheck(lambda x, w: F.conv2d(x, w, padding=1, stride=2), (x, w))
    x1 = Tensor(RNG.normal(size=(2, 3, 7)), requires_grad=True)
    w1 = Tensor(RNG.normal(size=(4, 3, 3)), requires_grad=True)
    assert gradcheck(lambda x, w: F.conv1d(x, w, stride=2, padding=2, dilation=2), (x1, w1))


@pytest.mark.parametrize("layer", [nn.Conv2d(16, 320, (3, 5)), nn.Conv1d(8, 300, 7, groups=2)])
def test_conv_init_is_uniform_within_one_over_sqrt_fan_in(layer) -> None:
    bound = 1 / math.sqrt(math.prod(layer.weight.shape[1:]))  # in_channels/groups * kernel
    for values in (layer.weight.numpy(), layer.bias.numpy()):
        assert np.abs(values).max() <= bound and np.abs(values).max() > 0.9 * bound
    assert np.var(layer.weight.numpy()) == pytest.approx(bound**2 / 3, rel=0.05)


def test_conv_layers_layout_dtype_printout_and_seeded_init() -> None:
    layer = nn.Conv2d(2, 4, 3, stride=2, padding=1, bias=False, dtype=np.float32)
    assert layer.weight.shape == (4, 2, 3, 3) and layer.bias is None
    y = layer(Tensor(np.ones((1, 2, 7, 7), dtype=np.float32)))
    assert y.shape == (1, 4, 4, 4) and y.dtype == np.float32
    assert (
        repr(layer) == "Conv2d(2, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)"
    )
    assert repr(nn.Conv1d(3, 6, 2, groups=3, padding="same", padding_mode="circular")) == (
        "Conv1d(3, 6, kernel_size=(2,), stride=(1,), padding=same, groups=3, padding_mode=circular)"
    )
    a = nn.Conv2d(1, 2, 3, generator=np.random.default_rng(5))
    b = nn.Conv2d(1, 2, 3, generator=np.random.default_rng(5))
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())
    assert [name for name, _ in a.named_parameters()] == ["weight", "bias"]


# ---------------------------------------------------------------- pooling
def test_max_pool2d_by_hand_sends_the_gradient_to_the_first_maximum_only() -> None:
    x = Tensor([[[[1.0, 3.0, 2.0, 2.0], [3.0, 0.0, 2.0, 2.0]]]], requires_grad=True)
    y, indices = F.max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), [[[[3.0, 2.0]]]])
    np.testing.assert_array_equal(indices, [[[[1, 2]]]])  # flat index in the 2x4 plane
    y.sum().backward()  # the ties: one element each gets all of the gradient
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0, 1, 1, 0], [0, 0, 0, 0]]]])
    padded = F.max_pool2d(Tensor(-np.ones((1, 1, 2, 2))), 2, stride=1, padding=1)
    np.testing.assert_array_equal(padded.numpy(), -np.ones((1, 1, 3, 3)))  # never the padding


def test_avg_pool2d_by_hand_with_its_divisors() -> None:
    x = Tensor(np.arange(1.0, 10.0).reshape(1, 1, 3, 3))
    np.testing.assert_array_equal(F.avg_pool2d(x, 2, stride=1).numpy(), [[[[3, 4], [6, 7]]]])
    corner = F.avg_pool2d(x, 2, padding=1).numpy()[0, 0, 0, 0]
    assert corner == 1.0 / 4  # the zeros count: count_include_pad=True
    assert F.avg_pool2d(x, 2, padding=1, count_include_pad=False).numpy()[0, 0, 0, 0] == 1.0
    assert F.avg_pool2d(x, 3, divisor_override=2).item() == 45.0 / 2
    assert F.avg_pool2d(x, 2, ceil_mode=True).shape == (1, 1, 2, 2)  # a last partial window
    np.testing.assert_array_equal(F.avg_pool2d(x, 2, ceil_mode=True).numpy()[0, 0, 1], [7.5, 9])


@pytest.mark.parametrize(
    "pool, settings",
    [
        (F.max_pool2d, {"kernel_size": 2}),
        (F.max_pool2d, {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 1}),
        (F.max_pool2d, {"kernel_size": 2, "dilation": 2, "ceil_mode": True}),
        (F.avg_pool2d, {"kernel_size": 3, "stride": 2, "padding": 1}),
        (F.avg_pool2d, {"kernel_size": 2, "ceil_mode": True, "count_include_pad": False}),
    ],
)
def test_pooling_gradcheck(pool, settings) -> None:
    x = Tensor(RNG.permutation(2 * 3 * 7 * 6).reshape(2, 3, 7, 6) / 10.0, requires_grad=True)
    assert gradcheck(lambda x: pool(x, **settings), (x,))  # distinct values: no ties


def test_pooling_layers_printout_and_unbatched_input() -> None:
    assert repr(nn.MaxPool2d(2)) == (
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    )
    assert repr(nn.AvgPool2d(3, 1, 1)) == "AvgPool2d(kernel_size=3, stride=1, padding=1)"
    assert nn.MaxPool2d(2)(Tensor(np.ones((3, 4, 4)))).shape == (3, 2, 2)
    assert nn.AvgPool2d((2, 1))(Tensor(np.ones((3, 4, 4)))).shape == (3, 2, 4)


# ---------------------------------------------------------------- pad
def test_pad_by_hand_and_gradcheck() -> None:
    x = Tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    np.testing.assert_array_equal(F.pad(x, (2, 1), value=9.0).numpy(), [[9, 9, 1, 2, 3, 9]])
    np.testing.assert_array_equal(F.pad(x, (-1, 1)).numpy(), [[2, 3, 0]])
    np.testing.assert_array_equal(F.pad(x, (2, 2), mode="reflect").numpy(), [[3, 2, 1, 2, 3, 2, 1]])
    np.testing.assert_array_equal(F.pad(x, (2, 1), mode="replicate").numpy(), [[1, 1, 1, 2, 3, 3]])
    np.testing.assert_array_equal(F.pad(x, (1, 2), mode="circular").numpy(), [[3, 1, 2, 3, 1, 2]])
    x3 = Tensor(RNG.normal(size=(2, 3, 4)), requires_grad=True)
    for mode in ("constant", "reflect", "replicate", "circular"):
        assert gradcheck(lambda x, mode=mode: F.pad(x, (2, 1, 1, 0), mode=mode), (x3,))


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (
            lambda: nn.Conv2d(3, 4, 3)(Tensor(np.ones((2, 1, 8, 8)))),
            ShapeError,
            r"Conv2d: input has 1 channels \(input shape \(2, 1, 8, 8\)\) but in_channels "
            r"is 3 \(weight shape \(4, 3, 3, 3\)",
        ),
        (
            lambda: nn.Conv2d(1, 4, 5)(Tensor(np.ones((2, 1, 3, 8)))),
            ShapeError,
            r"Conv2d: kernel_size \(5, 5\) .* larger than the padded input \(3, 8\) "
            r"\(input shape \(2, 1, 3, 8\)",
        ),
        (
            lambda: nn.Conv2d(1, 4, 3, padding=1, dilation=3)(Tensor(np.ones((1, 1, 4, 4)))),
            ShapeError,
            r"spans \(7, 7\), larger than the padded input \(6, 6\)",
        ),
        (
            lambda: nn.Conv2d(1, 4, 3)(Tensor(np.ones((8, 8)))),
            ShapeError,
            r"Conv2d: expected a 3D \(unbatched\) or 4D \(batched\) input .* "
            r"got input of shape \(8, 8\)",
        ),
        (
            lambda: nn.Conv1d(2, 4, 3)(Tensor(np.ones((2, 2, 3, 3)))),
            ShapeError,
            r"Conv1d: expected a 2D",
        ),
        (
            lambda: nn.Conv2d(3, 4, 3, groups=2),
            ValueError,
            r"Conv2d: in_channels=3 must be divisible by groups=2",
        ),
        (
            lambda: nn.Conv2d(4, 3, 3, groups=2),
            ValueError,
            r"Conv2d: out_channels=3 must be divisible by groups=2",
        ),
        (
            lambda: F.conv2d(
                Tensor(np.ones((1, 4, 5, 5))), Tensor(np.ones((3, 2, 3, 3))), groups=2
            ),
            ValueError,
            r"conv2d: out_channels=3 \(weight shape \(3, 2, 3, 3\)\) is not divisible by groups=2",
        ),
        (
            lambda: nn.Conv2d(1, 4, 3, stride=2, padding="same"),
            ValueError,
            r"padding='same' is not supported for strided",
        ),
        (
            lambda: nn.Conv2d(1, 4, 2.5),
            TypeError,
            r"Conv2d: kernel_size must be an integer or a tuple of 2 integers",
        ),
        (
            lambda: nn.Conv2d(1, 4, 3, padding_mode="mirror"),
            ValueError,
            r"Conv2d: padding_mode must be one of",
        ),
        (
            lambda: nn.MaxPool2d(2)(Tensor(np.ones((4, 4)))),
            ShapeError,
            r"MaxPool2d: expected a 3D .* got input of shape \(4, 4\)",
        ),
        (
            lambda: nn.MaxPool2d(3, padding=2)(Tensor(np.ones((1, 1, 5, 5)))),
            ValueError,
            r"MaxPool2d: padding \(2, 2\) should be at most half",
        ),
        (
            lambda: nn.AvgPool2d(5)(Tensor(np.ones((1, 1, 3, 3)))),
            ShapeError,
            r"AvgPool2d: kernel_size \(5, 5\) .* larger than the padded input \(3, 3\)",
        ),
        (
            lambda: F.pad(Tensor(np.ones((2, 3))), (3, 0), mode="reflect"),
            ValueError,
            r"reflect padding \(3, 0\) of axis 1 must be at most 2",
        ),
        (
            lambda: F.pad(Tensor(np.ones((2, 3))), (1, 0), mode="reflect", value=1.0),
            ValueError,
            r"does not take a value",
        ),
    ],
)
def test_bad_input_is_a_clear_error(call, error, pattern) -> None:
    with pytest.raises(error, match=pattern):
        call()
