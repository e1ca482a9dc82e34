"""New activation layers (GELU, SiLU, Softplus, ELU, LogSoftmax), Softmax(dim) and
Flatten(start_dim, end_dim) with PyTorch's argument names, Identity: hand computations at
small sizes and gradcheck at float64."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import nn
from autograd_lite import ShapeError, Tensor, gradcheck

F = nn.functional
needs_erf = pytest.mark.skipif(
    not hasattr(Tensor, "erf"), reason="exact GELU needs the Tensor.erf op (not yet merged)"
)
POINTS = np.array([-2.5, -1.0, -0.3, 0.4, 1.0, 3.0])


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _normal_cdf(x):
    return np.array([0.5 * (1.0 + math.erf(v / math.sqrt(2.0))) for v in np.ravel(x)])


# ---------------------------------------------------------------- values by hand
def test_gelu_tanh_at_hand_computed_points() -> None:
    # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) at x = 1: 0.841191990607...
    assert F.gelu(Tensor([1.0]), approximate="tanh").item() == pytest.approx(
        0.5 * (1 + math.tanh(math.sqrt(2 / math.pi) * 1.044715)), rel=1e-15
    )
    layer = nn.GELU(approximate="tanh")
    inner = math.sqrt(2 / math.pi) * (POINTS + 0.044715 * POINTS**3)
    np.testing.assert_allclose(
        layer(Tensor(POINTS)).numpy(), 0.5 * POINTS * (1 + np.tanh(inner)), rtol=1e-15
    )
    assert (
        repr(layer) == "GELU(approximate='tanh')" and repr(nn.GELU()) == "GELU(approximate='none')"
    )


@needs_erf
def test_gelu_exact_is_x_times_the_normal_cdf() -> None:
    np.testing.assert_allclose(
        nn.GELU()(Tensor(POINTS)).numpy(), POINTS * _normal_cdf(POINTS), rtol=1e-14
    )
    assert gradcheck(lambda x: F.gelu(x), (Tensor(POINTS, requires_grad=True),))


def test_gelu_refuses_an_unknown_approximation() -> None:
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh', got 'erf'"):
        nn.GELU("erf")
    with pytest.raises(ValueError, match="gelu: approximate must be"):
        F.gelu(Tensor([1.0]), approximate="fast")


def test_silu_is_x_times_sigmoid() -> None:
    np.testing.assert_allclose(
        nn.SiLU()(Tensor(POINTS)).numpy(), POINTS * _sigmoid(POINTS), rtol=1e-15
    )
    # d/dx x s(x) = s(x) (1 + x (1 - s(x))); at 0 it is 1/2
    x = Tensor([0.0, 2.0], requires_grad=True)
    nn.SiLU()(x).sum().backward()
    s = _sigmoid(2.0)
    np.testing.assert_allclose(x.grad.numpy(), [0.5, s * (1 + 2 * (1 - s))], rtol=1e-15)


def test_softplus_with_beta_and_threshold() -> None:
    layer = nn.Softplus(beta=2.0, threshold=1.0)
    x = Tensor([-3.0, 0.0, 0.25, 0.75], requires_grad=True)  # beta x = 1.5 > 1: linear
    out = layer(x)
    expected = [math.log1p(math.exp(-6.0)) / 2, math.log(2) / 2, math.log1p(math.exp(0.5)) / 2]
    np.testing.assert_allclose(out.numpy(), [*expected, 0.75], rtol=1e-15)
    out.sum().backward()  # sigmoid(beta x) on the curve, 1 on the line
    np.testing.assert_allclose(x.grad.numpy(), [_sigmoid(-6.0), 0.5, _sigmoid(0.5), 1.0])
    assert repr(layer) == "Softplus(beta=2.0, threshold=1.0)"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    big = F.softplus(Tensor([1e4, -1e4]))  # no overflow either way
    np.testing.assert_array_equal(big.numpy(), [1e4, 0.0])


def test_elu_values_slopes_and_no_overflow() -> None:
    layer = nn.ELU(alpha=0.5)
    x = Tensor([-1.0, 0.0, 2.0, 1000.0, -1000.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # exp(1000) must never be computed
        out = layer(x)
        out.sum().backward()
    np.testing.assert_allclose(out.numpy(), [0.5 * (math.exp(-1) - 1), 0, 2, 1000, -0.5])
    np.testing.assert_allclose(x.grad.numpy(), [0.5 * math.exp(-1), 0.5, 1, 1, 0], atol=1e-300)
    assert repr(layer) == "ELU(alpha=0.5)"


def test_elu_has_expm1_accuracy_near_zero() -> None:
    x = np.array([-1e-12, -3e-9, -1e-5, -0.1])
    np.testing.assert_allclose(F.elu(Tensor(x)).numpy(), np.expm1(x), rtol=2e-16)


def test_softmax_and_log_softmax_take_dim() -> None:
    x = np.array([[0.0, np.log(3.0)], [np.log(2.0), np.log(2.0)]])
    np.testing.assert_allclose(nn.Softmax(dim=1)(Tensor(x)).numpy(), [[0.25, 0.75], [0.5, 0.5]])
    np.testing.assert_allclose(
        nn.LogSoftmax(dim=1)(Tensor(x)).numpy(), np.log([[0.25, 0.75], [0.5, 0.5]]), rtol=1e-15
    )
    column = nn.Softmax(dim=0)(Tensor(x)).numpy()
    np.testing.assert_allclose(column.sum(axis=0), [1.0, 1.0])
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)" and repr(nn.Softmax()) == "Softmax(dim=None)"
    assert repr(nn.LogSoftmax(dim=-1)) == "LogSoftmax(dim=-1)"


@pytest.mark.parametrize("shape, axis", [((4,), 0), ((2, 4), 1), ((2, 3, 4), 0), ((2, 3, 4, 5), 1)])
def test_softmax_without_dim_warns_and_chooses_as_pytorch(shape, axis) -> None:
    x = np.random.default_rng(0).normal(size=shape)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        out = nn.Softmax()(Tensor(x)).numpy()
    np.testing.assert_allclose(out.sum(axis=axis), np.ones(out.sum(axis=axis).shape))


def test_flatten_with_pytorchs_argument_names() -> None:
    x = Tensor(np.zeros((2, 3, 4, 5)))
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(start_dim=0, end_dim=1)(x).shape == (6, 4, 5)
    assert nn.Flatten(start_dim=-2)(x).shape == (2, 3, 20)
    assert repr(nn.Flatten(0, 2)) == "Flatten(start_dim=0, end_dim=2)"
    with pytest.raises(ShapeError, match=r"Flatten: .*start_dim=2 to end_dim=1 .*\(2, 3, 4, 5\)"):
        nn.Flatten(2, 1)(x)
    with pytest.raises(ShapeError, match=r"start_dim=1 .*shape \(3,\)"):
        nn.Flatten()(Tensor(np.ones(3)))


def test_identity_returns_its_input_and_ignores_arguments() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    layer = nn.Identity(3, bias=True)
    assert layer(x) is x and repr(layer) == "Identity()" and list(layer.parameters()) == []


def test_bad_settings_name_the_layer_and_argument() -> None:
    with pytest.raises(TypeError, match="Softplus: beta must be a number"):
        nn.Softplus(beta="2")
    with pytest.raises(TypeError, match="ELU: alpha must be a number"):
        nn.ELU(alpha=None)
    with pytest.raises(TypeError, match="LeakyReLU: negative_slope must be a number"):
        nn.LeakyReLU([0.1])


def test_float32_stays_float32() -> None:
    x = Tensor(POINTS, dtype=np.float32)
    for layer in (nn.GELU("tanh"), nn.SiLU(), nn.Softplus(), nn.ELU(), nn.LogSoftmax(dim=0)):
        assert layer(x).dtype == np.float32, layer


# ---------------------------------------------------------------- gradients
@pytest.mark.parametrize(
    "function",
    [
        lambda x: F.gelu(x, approximate="tanh"),
        F.silu,
        lambda x: F.softplus(x, beta=1.5, threshold=2.0),  # no point at beta x = 2 exactly
        lambda x: F.elu(x, alpha=0.7),
        lambda x: F.log_softmax(x, dim=0),
        lambda x: F.softmax(x, dim=-1),
        lambda x: nn.Flatten(0)(x.reshape(2, 3)),
    ],
    ids=["gelu_tanh", "silu", "softplus", "elu", "log_softmax", "softmax", "flatten"],
)
def test_gradcheck_at_float64(function) -> None:
    assert gradcheck(function, (Tensor(POINTS, requires_grad=True),))
