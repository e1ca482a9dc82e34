"""The CNN fast paths give what the plain code gives.

- pooling blocks (`nn.functional.max_pool2d`): max pooling over windows that tile the
  input goes through `block_max`; the general path (taken with ``return_indices=True``)
  finds every window's element and gathers it, its gradient scattered by np.add.at;
- batch-innermost columns (`nn.functional.conv`): the convolution on the (C, H, W, N) view
  against the convolution written as one einsum over the windows, for inputs laid out
  either way in memory;
- windows add (`ops.windows.WindowsAdd`): the plain loop, now also taken when the last
  axis is not windowed, against NumPy's own sum over every window;
- long product transposed (`ops.linalg.MatMul`): a convolution-like weight gradient
  computed as (B G^T)^T against G @ B^T, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

import nn.functional as F
from autograd_lite import Tensor, einsum, sliding_window_view


def _pool_both_ways(data: np.ndarray, upstream_seed: int, **settings: object) -> list:
    """Output and input gradient of the fast path and of the general path."""
    results = []
    for general in (False, True):
        x = Tensor(data, requires_grad=True)
        out = F.max_pool2d(x, return_indices=general, **settings)
        out = out[0] if general else out
        upstream = np.random.default_rng(upstream_seed).standard_normal(out.shape)
        (out * Tensor(upstream.astype(data.dtype))).sum().backward()
        results.append((out.numpy(), x.grad.numpy()))
    return results


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "settings",
    [
        {"kernel_size": 2},
        {"kernel_size": (2, 3)},
        {"kernel_size": 3},
        {"kernel_size": (1, 3), "ceil_mode": True},
    ],
)
def test_pooling_blocks_give_the_general_path_with_ties(dtype: type, settings: dict) -> None:
    rng = np.random.default_rng(1)
    # few distinct values: many windows hold tied maxima (as after a ReLU, all zeros)
    data = np.maximum(rng.integers(-2, 3, size=(3, 4, 7, 9)), 0).astype(dtype)
    (fast_out, fast_grad), (plain_out, plain_grad) = _pool_both_ways(data, 2, **settings)
    np.testing.assert_array_equal(fast_out, plain_out)
    np.testing.assert_array_equal(fast_grad, plain_grad)
    assert fast_grad.dtype == plain_grad.dtype == dtype


def test_pooling_blocks_give_the_general_path_with_nan_and_infinities() -> None:
    rng = np.random.default_rng(3)
    data = rng.standard_normal((2, 3, 6, 6))
    data[0, 0, :2, :2] = [[np.nan, 1.0], [np.nan, 5.0]]  # the last NaN takes the gradient
    data[0, 1, :2, :2] = -np.inf  # all -inf: the first one
    data[1, 2, 2:4, 2:4] = [[np.inf, 0.0], [np.inf, np.nan]]
    (fast_out, fast_grad), (plain_out, plain_grad) = _pool_both_ways(data, 4, kernel_size=2)
    np.testing.assert_array_equal(fast_out, plain_out)
    np.testing.assert_array_equal(fast_grad, plain_grad)


def test_pooling_blocks_give_the_general_path_for_a_non_finite_gradient() -> None:
    data = np.arange(32.0).reshape(1, 2, 4, 4)
    results = []
    for general in (False, True):
        x = Tensor(data, requires_grad=True)
        out = F.max_pool2d(x, 2, return_indices=general)
        out = out[0] if general else out
        upstream = np.array([np.inf, -np.inf, np.nan, 1.0] * 2).reshape(out.shape)
        with np.errstate(invalid="ignore"):  # the loss itself is NaN
            (out * Tensor(upstream)).sum().backward()
        results.append(x.grad.numpy())
    np.testing.assert_array_equal(results[0], results[1])
    assert np.count_nonzero(np.isnan(results[0])) == 2  # only where a NaN was placed


def test_pooling_blocks_keep_the_unbatched_shape_and_a_batch_innermost_layout() -> None:
    rng = np.random.default_rng(5)
    lanes = rng.standard_normal((4, 6, 6, 3))  # (C, H, W, N) in memory
    data = lanes.transpose(3, 0, 1, 2)
    (fast_out, fast_grad), (plain_out, plain_grad) = _pool_both_ways(data, 6, kernel_size=2)
    np.testing.assert_array_equal(fast_out, plain_out)
    np.testing.assert_array_equal(fast_grad, plain_grad)
    unbatched = F.max_pool2d(Tensor(data[0]), 2)
    np.testing.assert_array_equal(unbatched.numpy(), fast_out[0])


def _conv_einsum(x: Tensor, w: Tensor, b: Tensor, padding: int) -> Tensor:
    padded = x.pad([(0, 0), (0, 0), (padding, padding), (padding, padding)], 0.0)
    windows = sliding_window_view(padded, w.shape[2:], axis=(2, 3))
    return einsum("nchwuv,ocuv->nohw", windows, w) + b.reshape(-1, 1, 1)


@pytest.mark.parametrize("batch_innermost", [False, True])
def test_batch_innermost_columns_give_the_einsum_for_either_input_layout(
    batch_innermost: bool,
) -> None:
    rng = np.random.default_rng(7)
    data = rng.standard_normal((3, 4, 5, 6))
    if batch_innermost:  # as a previous convolution hands it on
        data = np.ascontiguousarray(data.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    weight, bias = rng.standard_normal((2, 4, 3, 3)), rng.standard_normal(2)
    results = []
    for conv in (F.conv2d, _conv_einsum):
        x, w, b = (Tensor(a, requires_grad=True) for a in (data, weight, bias))
        out = conv(x, w, b, padding=1)
        (out * out).sum().backward()
        results.append([out.numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()])
    for fast, plain in zip(*results):
        np.testing.assert_allclose(fast, plain, rtol=1e-12, atol=1e-12)
    assert results[0][0].strides[0] == results[0][0].itemsize  # the batch innermost


@pytest.mark.parametrize("axes", [(0, 1), (1, 2), (2,), (0, 2)])
def test_windows_add_gives_the_sum_over_windows_whether_or_not_the_last_axis_is_windowed(
    axes: tuple[int, ...],
) -> None:
    rng = np.random.default_rng(8)
    data = rng.standard_normal((5, 6, 40))
    window = (2,) * len(axes)
    x = Tensor(data, requires_grad=True)
    view = sliding_window_view(x, window, axis=axes)
    upstream = rng.standard_normal(view.shape)
    (view * Tensor(upstream)).sum().backward()
    expected = np.zeros_like(data)
    positions = view.shape[:3]
    for offset in np.ndindex(*window):
        start = [0, 0, 0]
        for axis, step in zip(axes, offset):
            start[axis] = step
        place = tuple(slice(s, s + n) for s, n in zip(start, positions))
        expected[place] += upstream[(Ellipsis, *offset)]
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", [((1, 32, 144), (1, 144, 4096)), ((3, 5), (5, 200))])
def test_long_product_transposed_gives_the_plain_weight_gradient(dtype: type, shapes) -> None:
    # the gradient of A in A @ B is G @ B^T; with a long B it is computed as (B G^T)^T
    rng = np.random.default_rng(9)
    a = Tensor(rng.standard_normal(shapes[0]).astype(dtype), requires_grad=True)
    b = Tensor(rng.standard_normal(shapes[1]).astype(dtype))
    upstream = rng.standard_normal(shapes[0][:-1] + shapes[1][-1:]).astype(dtype)
    (a @ b * Tensor(upstream)).sum().backward()
    plain = upstream @ np.swapaxes(b.numpy(), -1, -2)
    assert a.grad.dtype == dtype
    np.testing.assert_array_equal(a.grad.numpy(), plain)
