"""sliding_window_view, the convolution primitive: NumPy's values, a gradient equal to a hand
loop's, first and second derivatives by finite differences, and a conv2d built on it
(padding, stride, dilation, groups) against a direct loop."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view as np_windows

from autograd_lite import ShapeError, Tensor, gradcheck, gradgradcheck, sliding_window_view

RNG = np.random.default_rng(7)


def test_values_are_numpys_and_nothing_is_copied() -> None:
    x = Tensor(np.arange(12.0).reshape(3, 4))
    windows = sliding_window_view(x, (2, 3))
    assert windows.shape == (2, 2, 2, 3)
    np.testing.assert_array_equal(windows.numpy(), np_windows(x.numpy(), (2, 3)))
    assert np.shares_memory(windows.numpy(), x.numpy())
    np.testing.assert_array_equal(
        sliding_window_view(x, 2, axis=1).numpy(), np_windows(x.numpy(), 2, axis=1)
    )
    np.testing.assert_array_equal(
        sliding_window_view(x, (2, 2), dim=(1, 1)).numpy(), np_windows(x.numpy(), (2, 2), (1, 1))
    )


def _loop_gradient(shape, window, upstream):
    """The gradient by hand: every window element sends its upstream to x[p + k]."""
    grad = np.zeros(shape)
    for p in np.ndindex(*upstream.shape[:2]):
        for k in np.ndindex(*window):
            grad[p[0] + k[0], p[1] + k[1]] += upstream[p + k]
    return grad


def test_gradient_equals_a_hand_loop() -> None:
    x = Tensor(RNG.standard_normal((4, 5)), requires_grad=True)
    upstream = RNG.standard_normal((3, 3, 2, 3))
    sliding_window_view(x, (2, 3)).backward(upstream)
    np.testing.assert_allclose(x.grad.numpy(), _loop_gradient((4, 5), (2, 3), upstream))


@pytest.mark.parametrize(
    "shape, window, axis",
    [((5,), 3, None), ((3, 4), (2, 2), None), ((2, 3, 4), 2, 2), ((2, 5), (2, 2), (1, 1))],
)
def test_first_and_second_derivatives(shape, window, axis) -> None:
    x = Tensor(RNG.standard_normal(shape), requires_grad=True)

    def f(t: Tensor) -> Tensor:
        return sliding_window_view(t, window, axis) ** 2

    assert gradcheck(f, x) and gradgradcheck(f, x)


def test_backward_loops_over_window_offsets_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # a 3x3 window on a 2 x 3 x 32 x 32 batch: 9 slice-adds, whatever the size of the images
    calls = []
    original = np.ndindex

    def counting(*shape):
        calls.append(shape)
        return original(*shape)

    monkeypatch.setattr(np, "ndindex", counting)
    x = Tensor(np.ones((2, 3, 32, 32)), requires_grad=True)
    sliding_window_view(x, (3, 3), axis=(2, 3)).sum().backward()
    assert calls == [(3, 3)]
    assert x.grad.numpy()[0, 0, 5, 5] == 9.0 and x.grad.numpy()[0, 0, 0, 0] == 1.0


def _conv2d(x, weight, stride=1, padding=0, dilation=1, groups=1):
    """conv2d (N, C, H, W) * (O, C / groups, kh, kw) built on sliding_window_view, as the
    design page describes: pad, window, stride by slicing, dilation by a window step."""
    n, c, _, _ = x.shape
    out_channels, per_group, kh, kw = weight.shape
    x = x.pad(((0, 0), (0, 0), (padding, padding), (padding, padding)))
    span_h, span_w = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
    windows = sliding_window_view(x, (span_h, span_w), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride, ::dilation, ::dilation]  # (N, C, H', W', kh, kw)
    h_out, w_out = windows.shape[2:4]
    # groups: (N, G, C/G, H', W', kh, kw) -> (N, G, H', W', C/G * kh * kw)
    cols = windows.reshape(n, groups, per_group, h_out, w_out, kh, kw)
    cols = cols.transpose(0, 1, 3, 4, 2, 5, 6).reshape(n, groups, h_out, w_out, -1)
    kernels = weight.reshape(groups, out_channels // groups, -1)  # (G, O/G, C/G * kh * kw)
    out = cols @ kernels.expand_dims(1).swapaxes(-1, -2)  # (N, G, H', W', O/G)
    return out.transpose(0, 1, 4, 2, 3).reshape(n, out_channels, h_out, w_out)


def _loop_conv2d(x, weight, stride=1, padding=0, dilation=1, groups=1):
    n, c, h, w = x.shape
    out_channels, per_group, kh, kw = weight.shape
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    h_out = (h + 2 * padding - dilation * (kh - 1) - 1) // stride + 1
    w_out = (w + 2 * padding - dilation * (kw - 1) - 1) // stride + 1
    out = np.zeros((n, out_channels, h_out, w_out))
    for b, o, i, j in np.ndindex(n, out_channels, h_out, w_out):
        g = o // (out_channels // groups)
        for ci, a, d in np.ndindex(per_group, kh, kw):
            pixel = x[b, g * per_group + ci, i * stride + a * dilation, j * stride + d * dilation]
            out[b, o, i, j] += pixel * weight[o, ci, a, d]
    return out


@pytest.mark.parametrize(
    "stride, padding, dilation, groups", [(1, 0, 1, 1), (2, 1, 1, 1), (1, 1, 2, 1), (1, 0, 1, 2)]
)
def test_conv2d_on_windows_matches_a_loop_and_gradchecks(stride, padding, dilation, groups):
    x = Tensor(RNG.standard_normal((2, 4, 5, 5)), requires_grad=True)
    weight = Tensor(RNG.standard_normal((4, 4 // groups, 2, 2)), requires_grad=True)
    out = _conv2d(x, weight, stride, padding, dilation, groups)
    expected = _loop_conv2d(x.numpy(), weight.numpy(), stride, padding, dilation, groups)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    small_x = Tensor(RNG.standard_normal((1, 2, 4, 4)), requires_grad=True)
    small_w = Tensor(RNG.standard_normal((2, 2 // groups, 2, 2)), requires_grad=True)
    assert gradcheck(
        lambda a, b: _conv2d(a, b, stride, padding, dilation, groups), (small_x, small_w)
    )


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda x: sliding_window_view(x, 5, axis=1),
            r"a window of 5 does not fit axis 1 of length 4",
        ),
        (lambda x: sliding_window_view(x, 2), r"window_shape \(2,\) needs one length per axis"),
        (
            lambda x: sliding_window_view(x, (2, 2), axis=0),
            r"2 window length\(s\) \(2, 2\) for 1 axes",
        ),
        (lambda x: sliding_window_view(x, 2, axis=2), r"axis 2 is out of range"),
        (lambda x: sliding_window_view(x, -1, axis=0), r"a window of -1 does not fit axis 0"),
        (
            lambda x: sliding_window_view(x, (3, 3), (1, 1)),
            r"a window of 3 does not fit axis 1 of length 2",
        ),
    ],
)
def test_bad_windows_name_the_function_and_the_shapes(call, message) -> None:
    with pytest.raises(ShapeError, match=f"sliding_window_view: {message}"):
        call(Tensor(np.zeros((3, 4))))
    with pytest.raises(TypeError, match=r"sliding_window_view: window_shape must be integers"):
        sliding_window_view(Tensor(np.zeros(3)), 1.5)


def test_a_window_view_is_read_only_for_in_place_updates() -> None:
    windows = sliding_window_view(Tensor(np.zeros(4)), 2)
    with pytest.raises(ValueError, match=r"\+=: this tensor's array is read-only"):
        windows += 1.0
