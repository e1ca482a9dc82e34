"""The fast paths of the network layers give what the plain formulation gives.

- batch-innermost columns (`nn.functional.conv`): the im2col product on the (C, H, W, N)
  view against the convolution written as one einsum over the windows (with stride,
  padding, dilation and groups; see also `test_cnn_paths.py`);
- Adam in place (`nn.optim.adam`): the in-place update against the plain formula.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd_lite import Tensor, concatenate, einsum, sliding_window_view


def _tensor(rng: np.random.Generator, *shape: int, dtype: type = np.float64) -> Tensor:
    return Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)


def _grads(*tensors: Tensor) -> list[np.ndarray]:
    grads = [t.grad.numpy().copy() for t in tensors]
    for t in tensors:
        t.grad = None
    return grads


@pytest.mark.parametrize(
    "settings",
    [{}, {"stride": 2, "padding": 1}, {"dilation": 2, "padding": 2}, {"groups": 2}],
)
def test_conv_columns_give_the_einsum_over_windows(settings: dict) -> None:
    rng = np.random.default_rng(0)
    groups = settings.get("groups", 1)
    x, w, b = _tensor(rng, 2, 4, 7, 6), _tensor(rng, 6, 4 // groups, 3, 3), _tensor(rng, 6)
    out = F.conv2d(x, w, b, **settings)
    (out * out).sum().backward()
    fast = [out.numpy(), *_grads(x, w, b)]

    stride, dilation = settings.get("stride", 1), settings.get("dilation", 1)
    pad = settings.get("padding", 0)
    padded = x.pad([(0, 0), (0, 0), (pad, pad), (pad, pad)], 0.0) if pad else x
    span = dilation * 2 + 1
    windows = sliding_window_view(padded, (span, span), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride, ::dilation, ::dilation]
    per_group = [
        einsum(
            "nchwuv,ocuv->nohw",
            windows[:, g * 4 // groups : (g + 1) * 4 // groups],
            w[g * 6 // groups : (g + 1) * 6 // groups],
        )
        for g in range(groups)
    ]
    joined = per_group[0] if groups == 1 else concatenate(per_group, axis=1)
    plain = joined + b.reshape(6, 1, 1)
    (plain * plain).sum().backward()
    for mine, expected in zip(fast, [plain.numpy(), *_grads(x, w, b)]):
        np.testing.assert_allclose(mine, expected, rtol=1e-11, atol=1e-12)


def test_conv_columns_keep_float32_and_the_unbatched_and_1d_shapes() -> None:
    rng = np.random.default_rng(1)
    x, w = _tensor(rng, 3, 5, 5, dtype=np.float32), _tensor(rng, 2, 3, 3, 3, dtype=np.float32)
    out = F.conv2d(x, w, padding=1)
    assert out.shape == (2, 5, 5) and out.dtype == np.float32
    batched = F.conv2d(x.reshape(1, 3, 5, 5), w, padding=1)
    np.testing.assert_array_equal(out.numpy(), batched.numpy()[0])
    line = F.conv1d(_tensor(rng, 2, 3, 9), _tensor(rng, 4, 3, 3), stride=2)
    assert line.shape == (2, 4, 4)


def _plain_adam(
    data: np.ndarray, grads: list[np.ndarray], lr: float, decay: float
) -> list[np.ndarray]:
    """AdamW written out with the optimizer's grouping, a new array every step."""
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    m, v, values = np.zeros_like(data), np.zeros_like(data), []
    for step, grad in enumerate(grads, start=1):
        data = data * (1 - lr * decay)
        m = m + (1 - beta1) * (grad - m)
        v = v * beta2 + (1 - beta2) * grad * grad
        denominator = np.sqrt(v) / math.sqrt(1 - beta2**step) + eps
        data = data - (lr / (1 - beta1**step)) * (m / denominator)
        values.append(data)
    return values


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_in_place_gives_the_plain_formula_and_keeps_the_users_array(dtype: type) -> None:
    rng = np.random.default_rng(4)
    start = rng.standard_normal((3, 4)).astype(dtype)
    users = start.copy()
    param = nn.Parameter(users)
    optimizer = nn.optim.AdamW([param], lr=0.1, weight_decay=0.05)
    grads = [rng.standard_normal((3, 4)).astype(dtype) for _ in range(4)]
    arrays: list[np.ndarray] = []
    for grad in grads:
        param.grad = Tensor(grad)
        optimizer.step()
        arrays.append(param.data)
        np.testing.assert_array_equal(param.grad.numpy(), grad)  # .grad never written
    expected = _plain_adam(start, grads, 0.1, 0.05)
    assert param.data.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(param.data, expected[-1])
    assert arrays[1] is arrays[2] is arrays[3]  # steps after the first are in place
    np.testing.assert_array_equal(users, start)  # the array handed to Parameter is kept


def _windows_add_by_loop(windows, shape, window_shape, axis):  # type: ignore[no-untyped-def]
    """WindowsAdd's plain form: a slice-add per window offset on the original layout."""
    out = np.zeros(shape, windows.dtype)
    positions = windows.shape[: len(shape)]
    for offset in np.ndindex(*window_shape):
        start = [0] * len(shape)
        for ax, step in zip(axis, offset):
            start[ax] += step
        place = tuple(slice(s, s + n) for s, n in zip(start, positions))
        out[place] += windows[(Ellipsis, *offset)]
    return out


@pytest.mark.parametrize(
    ("shape", "window_shape", "axis"),
    [
        ((8, 16, 6, 6), (3, 3), (2, 3)),
        ((8, 16, 6, 6), (3, 3), (3, 2)),
        ((40, 6, 5), (3, 2), (1, 2)),
        ((3, 40, 5), (2, 2), (0, 2)),
        ((2, 1, 9, 9), (3, 3), (2, 3)),  # lead shorter than a row: the plain loop
    ],
)
def test_windows_add_with_lead_innermost_is_the_plain_loop(shape, window_shape, axis) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(5)
    x = Tensor(rng.standard_normal(shape), requires_grad=True)
    windows = sliding_window_view(x, window_shape, axis=axis)
    grad = rng.standard_normal(windows.shape)
    (windows * Tensor(grad)).sum().backward()  # the gradient is WindowsAdd of ``grad``
    expected = _windows_add_by_loop(grad, shape, window_shape, axis)
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    assert x.grad.numpy().flags.c_contiguous
