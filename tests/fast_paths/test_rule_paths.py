"""Backward rules that compute on plain arrays when no graph is recorded.

Each rule marked `Op.array_backward` has two paths: on Tensors (``create_graph=True``,
differentiable again) and on NumPy arrays (the usual backward). Both must give the same
gradients, of the inputs' shapes and dtypes, for every shape the op accepts.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import Tensor, grad, linear, softmax_cross_entropy

SHAPES = [(5,), (1, 5), (3, 5), (1, 1, 5), (2, 3, 5), (0, 5)]


def _both_paths(fn, inputs: list[Tensor]) -> tuple[tuple[Tensor, ...], tuple[Tensor, ...]]:
    """Gradients of sum(fn(*inputs) * weights) without and with create_graph."""
    out = fn(*inputs)
    weights = np.random.default_rng(7).standard_normal(out.shape)
    wanted = [t for t in inputs if t.requires_grad]
    plain = grad((out * Tensor(weights, dtype=out.dtype)).sum(), wanted)
    recorded = grad(
        (fn(*inputs) * Tensor(weights, dtype=out.dtype)).sum(), wanted, create_graph=True
    )
    return plain, recorded


@pytest.mark.parametrize("x_shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("x_needs_grad", [True, False])
def test_linear_backward_on_arrays_matches_the_recorded_rule(
    x_shape: tuple[int, ...], dtype: type, with_bias: bool, x_needs_grad: bool
) -> None:
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal(x_shape), dtype=dtype, requires_grad=x_needs_grad)
    weight = Tensor(rng.standard_normal((4, 5)), dtype=dtype, requires_grad=True)
    bias = Tensor(rng.standard_normal(4), dtype=dtype, requires_grad=True)
    inputs = [x, weight, bias] if with_bias else [x, weight]
    plain, recorded = _both_paths(linear, inputs)
    assert len(plain) == len(recorded) == len(inputs) - (not x_needs_grad)
    for mine, theirs, tensor in zip(plain, recorded, [t for t in inputs if t.requires_grad]):
        assert isinstance(mine, Tensor) and not mine.requires_grad
        assert mine.shape == tensor.shape and mine.dtype == tensor.dtype
        np.testing.assert_allclose(
            mine.data, theirs.data, rtol=1e-5 if dtype is np.float32 else 1e-12
        )


@pytest.mark.parametrize("x_shape", [(5,), (1, 5), (1, 1, 5)])
@pytest.mark.parametrize("dtypes", [(np.float32,) * 2, (np.float64,) * 2, (np.float32, np.float64)])
@pytest.mark.parametrize("create_graph", [False, True])
def test_linear_weight_gradient_of_one_sample_is_exactly_the_matmul(
    x_shape: tuple[int, ...], dtypes: tuple[type, type], create_graph: bool
) -> None:
    # for one sample the rule takes np.dot on arrays and a broadcast multiply on Tensors
    # (create_graph): each must equal G^T @ X bit for bit
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal(x_shape), dtype=dtypes[0])
    weight = Tensor(rng.standard_normal((4, 5)), dtype=dtypes[1], requires_grad=True)
    seed = rng.standard_normal(x_shape[:-1] + (4,))
    (found,) = grad(linear(x, weight), weight, Tensor(seed), create_graph=create_graph)
    g = np.asarray(seed, dtype=np.result_type(*dtypes)).reshape(1, 4)
    expected = (g.T @ x.data.reshape(1, 5)).astype(dtypes[1])
    assert found.dtype == dtypes[1]
    np.testing.assert_array_equal(found.data, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(7,), (3, 4), (0, 2)])
def test_relu_backward_on_arrays_matches_the_recorded_rule(dtype: type, shape) -> None:
    values = np.linspace(-1.5, 1.5, int(np.prod(shape))).reshape(shape)  # includes 0.0
    x = Tensor(values, dtype=dtype, requires_grad=True)
    (plain,), (recorded,) = _both_paths(lambda t: t.relu(), [x])
    assert plain.dtype == dtype and plain.shape == shape
    np.testing.assert_array_equal(plain.data, recorded.data)
    np.testing.assert_array_equal(plain.data != 0, values > 0)  # 0 at x = 0, as PyTorch


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("samples", [1, 5])
def test_softmax_cross_entropy_backward_on_arrays_matches_the_recorded_rule(
    dtype: type, reduction: str, samples: int
) -> None:
    rng = np.random.default_rng(4)
    logits = Tensor(rng.standard_normal((samples, 3)), dtype=dtype, requires_grad=True)
    target = rng.integers(0, 3, size=samples)
    upstream = Tensor(rng.standard_normal(() if reduction != "none" else (samples,)), dtype=dtype)
    loss = softmax_cross_entropy(logits, target, reduction)
    (first,) = grad(loss, logits, upstream, retain_graph=True)
    (again,) = grad(loss, logits, upstream)  # the saved softmax was not overwritten
    (recorded,) = grad(
        softmax_cross_entropy(logits, target, reduction), logits, upstream, create_graph=True
    )
    assert first.dtype == dtype and first.shape == (samples, 3)
    np.testing.assert_array_equal(first.data, recorded.data)
    np.testing.assert_array_equal(again.data, first.data)
