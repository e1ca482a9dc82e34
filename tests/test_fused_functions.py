"""gelu, attention and layer_norm (autograd_lite's fused layer ops): values and gradients
worked out by hand at one point, and the errors they raise. Their agreement with the
composed forms is in tests/fast_paths/test_fused_layers.py, the registry suite checks them
with gradcheck and gradgradcheck on drawn shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd_lite import ShapeError, Tensor, attention, gelu, gradgradcheck, layer_norm

PHI_1 = 0.5 * (1.0 + math.erf(1.0 / math.sqrt(2.0)))  # the normal CDF at 1
PDF_1 = math.exp(-0.5) / math.sqrt(2.0 * math.pi)  # the normal density at 1


def test_gelu_at_plus_and_minus_one() -> None:
    x = Tensor([1.0, -1.0], requires_grad=True)
    y = gelu(x)
    y.sum().backward()
    # y = x Phi(x); dy/dx = Phi(x) + x phi(x), with Phi(-1) = 1 - Phi(1), phi even
    np.testing.assert_allclose(y.data, [PHI_1, -(1.0 - PHI_1)], rtol=1e-15)
    np.testing.assert_allclose(x.grad.data, [PHI_1 + PDF_1, 1.0 - PHI_1 - PDF_1], rtol=1e-14)


def test_gelu_tanh_at_one() -> None:
    x = Tensor([1.0], requires_grad=True)
    y = gelu(x, approximate="tanh")
    y.backward(np.ones(1))
    k, c = math.sqrt(2.0 / math.pi), 0.044715
    t = math.tanh(k * (1.0 + c))
    assert y.item() == pytest.approx(0.5 * (1.0 + t), rel=1e-15)
    slope = 0.5 * (1.0 + t) + 0.5 * (1.0 - t * t) * k * (1.0 + 3.0 * c)
    assert x.grad.item() == pytest.approx(slope, rel=1e-14)


def test_gelu_refuses_another_approximation() -> None:
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh', got 'erf'"):
        gelu(Tensor([1.0]), approximate="erf")


def test_attention_of_one_query_over_two_keys() -> None:
    q = Tensor([[1.0]], requires_grad=True)
    k = Tensor([[0.0], [1.0]])
    v = Tensor([[1.0], [3.0]], requires_grad=True)
    out = attention(q, k, v, scale=1.0)
    out.sum().backward()
    e = math.e
    w0, w1 = 1.0 / (1.0 + e), e / (1.0 + e)  # softmax of the scores (0, 1)
    assert out.item() == pytest.approx(w0 + 3.0 * w1, rel=1e-15)
    # d out / d q = (3 - 1) w0 w1 * k1 (k1 = 1); d out / d v = the weights
    assert q.grad.item() == pytest.approx(2.0 * w0 * w1, rel=1e-14)
    np.testing.assert_allclose(v.grad.data, [[w0], [w1]], rtol=1e-15)


def test_attention_masks_bool_float_and_every_key_masked() -> None:
    q = k = Tensor(np.eye(2))
    v = Tensor([[1.0, 2.0], [3.0, 4.0]])
    only_first = np.array([[True, False], [True, False]])
    np.testing.assert_array_equal(attention(q, k, v, only_first).data, [[1.0, 2.0], [1.0, 2.0]])
    shifted = np.array([[0.0, -np.inf], [0.0, -np.inf]])
    np.testing.assert_array_equal(attention(q, k, v, shifted).data, [[1.0, 2.0], [1.0, 2.0]])
    nothing = np.array([[False, False], [True, True]])  # the first query attends to no key
    out = attention(q, k, v, nothing)
    np.testing.assert_array_equal(out.data[0], [0.0, 0.0])
    assert np.isfinite(out.data).all()


def test_attention_errors_name_the_function_and_the_shapes() -> None:
    q = Tensor(np.ones((2, 3)))
    with pytest.raises(ShapeError, match=r"attention: .* at least 2 axes"):
        attention(Tensor(np.ones(3)), q, q)
    with pytest.raises(ShapeError, match=r"attention: .*must share E"):
        attention(q, Tensor(np.ones((2, 4))), q)
    with pytest.raises(ShapeError, match=r"attention: the leading axes do not broadcast"):
        attention(Tensor(np.ones((2, 2, 3))), Tensor(np.ones((3, 2, 3))), q)
    with pytest.raises(ShapeError, match=r"attention: mask of shape \(3, 3\) does not broadcast"):
        attention(q, q, q, np.ones((3, 3), dtype=bool))
    with pytest.raises(TypeError, match="attention: mask must be bool or floating"):
        attention(q, q, q, np.ones((2, 2), dtype=np.int64))
    with pytest.raises(TypeError, match="attention: mask gets no gradient"):
        attention(q, q, q, Tensor(np.zeros((2, 2)), requires_grad=True))
    empty = Tensor(np.ones((2, 0)))
    with pytest.raises(ShapeError, match=r"attention: the default scale 1 / sqrt\(E\) needs E"):
        attention(empty, empty, q)


def test_layer_norm_of_two_values() -> None:
    x = Tensor([[1.0, 3.0]], requires_grad=True)
    weight = Tensor([2.0, 2.0], requires_grad=True)
    bias = Tensor([0.5, -0.5], requires_grad=True)
    y = layer_norm(x, 2, weight, bias, eps=1e-5)
    (y * Tensor([[1.0, 0.0]])).sum().backward()
    a = 1.0 / math.sqrt(1.0 + 1e-5)  # mean 2, variance 1: x-hat = (-a, a)
    np.testing.assert_allclose(y.data, [[-2.0 * a + 0.5, 2.0 * a - 0.5]], rtol=1e-15)
    # G = (1, 0), Gw = (2, 0): dx = (Gw - mean(Gw) - xhat mean(Gw xhat)) * a
    gw = np.array([2.0, 0.0])
    xhat = np.array([-a, a])
    expected = (gw - gw.mean() - xhat * (gw * xhat).mean()) * a
    np.testing.assert_allclose(x.grad.data, [expected], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(weight.grad.data, [-a, 0.0], rtol=1e-15)
    np.testing.assert_array_equal(bias.grad.data, [1.0, 0.0])


def test_layer_norm_errors_name_the_function_and_the_shapes() -> None:
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ShapeError, match=r"layer_norm: input shape \(2, 3\) does not end in"):
        layer_norm(x, 4)
    with pytest.raises(ShapeError, match=r"layer_norm: weight has shape \(2,\), expected"):
        layer_norm(x, 3, weight=np.ones(2))
    with pytest.raises(ShapeError, match=r"layer_norm: bias has shape \(3, 1\), expected"):
        layer_norm(x, 3, bias=np.ones((3, 1)))
    with pytest.raises(ShapeError, match="layer_norm: cannot normalise over an empty shape"):
        layer_norm(Tensor(np.ones((2, 0))), 0)


def test_arguments_of_the_wrong_type_are_named() -> None:
    x = Tensor(np.ones((2, 4, 5)))
    with pytest.raises(TypeError, match=r"layer_norm: normalized_shape must be an int or a "):
        layer_norm(x, 5.0)
    with pytest.raises(TypeError, match=r"layer_norm: normalized_shape .* got str '45'"):
        layer_norm(x, "45")  # not (4, 5)
    with pytest.raises(TypeError, match=r"attention: scale must be a real number or None, got"):
        attention(x, x, x, scale="0.5")


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_a_mask_with_more_leading_axes_than_query_and_key(kind: str) -> None:
    # the mask (and value) carry a batch axis that query and key lack: the scores are
    # broadcast to it, as in the composed form (PyTorch's SDPA refuses such a mask)
    rng = np.random.default_rng(0)
    q = Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    v = Tensor(rng.normal(size=(2, 3, 4)), requires_grad=True)
    keep = rng.random((2, 3, 3)) > 0.3
    mask = keep if kind == "bool" else np.where(keep, 0.0, -np.inf)
    out = attention(q, q, v, mask)
    out.sum().backward()
    scores = (q @ q.T) * 0.5 + np.where(keep, 0.0, -np.inf)
    expected = scores.softmax(-1) @ v
    np.testing.assert_allclose(out.data, expected.data, rtol=1e-12)
    grad_q, grad_v = q.grad.data.copy(), v.grad.data.copy()
    q.grad = v.grad = None
    expected.sum().backward()
    np.testing.assert_allclose(grad_q, q.grad.data, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grad_v, v.grad.data, rtol=1e-12)
    k = Tensor(q.data, requires_grad=True)  # second order: the rule recomputed on the graph
    assert gradgradcheck(lambda q, k, v: attention(q, k, v, mask), [q, k, v])
