"""block_max, max pooling's primitive: values and gradients by hand, PyTorch's choice of
element among ties and NaN, twice differentiable, and its errors."""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import ShapeError, Tensor, block_max, gradcheck, gradgradcheck


def test_values_and_gradient_by_hand_go_to_the_first_maximum() -> None:
    x = Tensor(
        [[1.0, 7.0, 2.0, 2.0, 9.0], [7.0, 0.0, 2.0, 2.0, 9.0], [5.0, 5.0, 5.0, 5.0, 5.0]],
        requires_grad=True,
    )
    y = block_max(x, (2, 2))  # the last row and column are in no whole block
    np.testing.assert_array_equal(y.numpy(), [[7.0, 2.0]])
    (y * Tensor([[10.0, -3.0]])).sum().backward()
    expected = [[0.0, 10.0, -3.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0], [0.0] * 5]
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_a_block_holding_nan_gives_nan_and_its_gradient_to_the_last_nan() -> None:
    x = Tensor([np.nan, 3.0, np.nan, -np.inf, -np.inf, -np.inf], requires_grad=True)
    y = block_max(x, 3)
    np.testing.assert_array_equal(y.numpy(), [np.nan, -np.inf])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0, 1.0, 0.0, 0.0])


def test_blocks_over_three_axes_an_empty_block_and_float32() -> None:
    data = np.random.default_rng(0).permutation(48).reshape(2, 4, 6).astype(np.float32)
    y = block_max(Tensor(data), (1, 2, 3))
    expected = data.reshape(2, 1, 2, 2, 2, 3).max(axis=(1, 3, 5))
    np.testing.assert_array_equal(y.numpy(), expected)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(block_max(Tensor(data), ()).numpy(), data)


def test_block_max_is_twice_differentiable() -> None:
    data = np.random.default_rng(1).permutation(30).reshape(5, 6) / 3.0
    x = Tensor(data, requires_grad=True)
    assert gradcheck(lambda t: block_max(t, (2, 3)), [x])
    assert gradgradcheck(lambda t: block_max(t, (2, 3)) ** 2, [x])


@pytest.mark.parametrize(
    "block, error, words",
    [
        ((2, 2, 2), ShapeError, "3 block lengths"),
        ((5, 1), ShapeError, "longer than the trailing axes (4, 4)"),
        ((0, 2), ValueError, "must be >= 1"),
        ((2.0, 2), TypeError, "block must be integers"),
    ],
)
def test_bad_blocks_are_refused_with_the_shapes(block: tuple, error: type, words: str) -> None:
    with pytest.raises(error, match="block_max") as info:
        block_max(Tensor(np.zeros((4, 4))), block)
    assert words in str(info.value)


def test_pytorchs_max_pooling_takes_the_same_elements() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    data = np.maximum(rng.integers(-2, 3, size=(2, 3, 6, 8)), 0).astype(np.float64)
    data[0, 0, 0, :2] = np.nan
    data[1, 1, :2, 2:4] = -np.inf
    upstream = rng.standard_normal((2, 3, 3, 4))
    x = Tensor(data, requires_grad=True)
    (block_max(x, (2, 2)) * Tensor(upstream)).sum().backward()
    theirs = torch.tensor(data, requires_grad=True)
    out = torch.nn.functional.max_pool2d(theirs, 2)
    (out * torch.tensor(upstream)).sum().backward()
    np.testing.assert_array_equal(block_max(Tensor(data), (2, 2)).numpy(), out.detach().numpy())
    np.testing.assert_array_equal(x.grad.numpy(), theirs.grad.numpy())
