"""Layers: Linear (layout, init, formula), Sequential, MLP, activations, Dropout, Flatten."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autograd_lite import ShapeError, Tensor, gradcheck


def test_linear_weight_layout_and_formula():
    layer = nn.Linear(3, 2)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)
    x = np.arange(12.0).reshape(4, 3)
    expected = x @ layer.weight.numpy().T + layer.bias.numpy()
    np.testing.assert_allclose(layer(Tensor(x)).numpy(), expected, rtol=1e-15)


def test_linear_without_bias():
    layer = nn.Linear(3, 2, bias=False)
    assert layer.bias is None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert "bias=False" in repr(layer)


def test_linear_default_init_is_uniform_within_one_over_sqrt_fan_in():
    nn.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1.0 / math.sqrt(400)
    for values in (layer.weight.numpy(), layer.bias.numpy()):
        assert np.all(np.abs(values) <= bound)
        # a U(-b, b) sample of this size reaches close to both ends and has variance b^2 / 3
        assert values.max() > 0.95 * bound and values.min() < -0.95 * bound
    assert np.var(layer.weight.numpy()) == pytest.approx(bound**2 / 3, rel=0.02)


def test_manual_seed_makes_initialisation_reproducible():
    nn.manual_seed(7)
    first = nn.MLP([3, 5, 2]).state_dict()
    nn.manual_seed(7)
    second = nn.MLP([3, 5, 2]).state_dict()
    third = nn.MLP([3, 5, 2]).state_dict()
    for name in first:
        np.testing.assert_array_equal(first[name], second[name])
    assert not np.array_equal(first["0.weight"], third["0.weight"])


def test_linear_rejects_a_wrong_input_width():
    with pytest.raises(ShapeError, match=r"Linear: input shape \(4, 2\).*in_features=3"):
        nn.Linear(3, 2)(Tensor(np.ones((4, 2))))
    with pytest.raises(ValueError, match="positive"):
        nn.Linear(0, 2)


def test_linear_gradients_pass_gradcheck():
    nn.manual_seed(1)
    layer = nn.Linear(3, 2)
    x = Tensor(np.random.default_rng(0).normal(size=(4, 3)), requires_grad=True)
    assert gradcheck(lambda x, w, b: x @ w.T + b, (x, layer.weight, layer.bias))
    # and the layer itself produces the same graph gradients
    layer(x).sum().backward()
    np.testing.assert_allclose(layer.bias.grad.numpy(), [4.0, 4.0])
    np.testing.assert_allclose(layer.weight.grad.numpy(), np.tile(x.numpy().sum(0), (2, 1)))


def test_float32_linear_stays_float32():
    layer = nn.Linear(2, 2, dtype=np.float32)
    y = layer(Tensor(np.ones((1, 2), dtype=np.float32)))
    assert layer.weight.dtype == np.float32 and y.dtype == np.float32


def test_sequential_applies_in_order_and_indexes():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    x = Tensor(np.array([[1.0, -2.0]]))
    expected = model[2](model[0](x).relu()).numpy()
    np.testing.assert_array_equal(model(x).numpy(), expected)
    assert len(model) == 3 and isinstance(model[-1], nn.Linear)


def test_mlp_puts_the_activation_between_layers_only():
    model = nn.MLP([2, 4, 3, 1], activation=nn.ReLU)
    kinds = [type(module).__name__ for module in model]
    assert kinds == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert [type(m).__name__ for m in nn.MLP([2, 1])] == ["Linear"]
    assert type(nn.MLP([2, 2, 1])[1]) is nn.Tanh  # the default activation
    with pytest.raises(ValueError, match="sizes"):
        nn.MLP([3])


@pytest.mark.parametrize(
    "module, formula",
    [
        (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
        (nn.Tanh(), np.tanh),
        (nn.ReLU(), lambda x: np.maximum(x, 0)),
        (nn.LeakyReLU(0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
        (nn.Softmax(dim=-1), lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
        (nn.Softmax(dim=0), lambda x: np.exp(x) / np.exp(x).sum(0, keepdims=True)),
    ],
)
def test_activations_match_their_formulas(module, formula):
    x = np.array([[-2.0, -0.5, 0.5], [1.5, 3.0, -1.0]])
    np.testing.assert_allclose(module(Tensor(x)).numpy(), formula(x), rtol=1e-14)


def test_leaky_relu_gradient_is_the_slope_left_of_zero():
    x = Tensor([-2.0, 3.0], requires_grad=True)
    nn.LeakyReLU(0.2)(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.2, 1.0])


def test_dropout_is_seeded_scaled_and_off_in_eval():
    x = Tensor(np.ones((200, 50)))
    drop = nn.Dropout(0.25, generator=np.random.default_rng(3))
    out = drop(x).numpy()
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1 / 0.75)  # inverted dropout scaling
    assert kept.mean() == pytest.approx(0.75, abs=0.02)
    again = nn.Dropout(0.25, generator=np.random.default_rng(3))(x).numpy()
    np.testing.assert_array_equal(out, again)  # same seed, same mask
    drop.eval()
    np.testing.assert_array_equal(drop(x).numpy(), x.numpy())


def test_dropout_with_global_seed_is_reproducible():
    x = Tensor(np.ones(100))
    nn.manual_seed(11)
    first = nn.Dropout(0.5)(x).numpy()
    nn.manual_seed(11)
    np.testing.assert_array_equal(nn.Dropout(0.5)(x).numpy(), first)


def test_dropout_gradient_follows_the_mask():
    x = Tensor(np.ones(30), requires_grad=True)
    out = nn.Dropout(0.5, generator=np.random.default_rng(0))(x)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out.numpy())  # mask * 2 in both


def test_dropout_edge_probabilities_and_bad_p():
    x = Tensor(np.ones(5))
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).numpy(), np.ones(5))
    np.testing.assert_array_equal(nn.Dropout(1.0)(x).numpy(), np.zeros(5))
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\], got 1.5"):
        nn.Dropout(1.5)


def test_flatten_merges_all_but_the_batch_axis():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    with pytest.raises(ShapeError, match="Flatten"):
        nn.Flatten()(Tensor(np.ones(3)))


def test_init_functions_follow_their_formulas():
    rng = np.random.default_rng(0)
    weight = Tensor(np.zeros((200, 300)))  # fan_in 300, fan_out 200
    bound = math.sqrt(6.0 / 500)
    nn.init.xavier_uniform_(weight, generator=rng)
    assert np.abs(weight.numpy()).max() <= bound and np.abs(weight.numpy()).max() > 0.99 * bound
    nn.init.xavier_normal_(weight, gain=2.0, generator=rng)
    assert weight.numpy().std() == pytest.approx(2.0 * math.sqrt(2.0 / 500), rel=0.02)
    nn.init.kaiming_normal_(weight, nonlinearity="relu", generator=rng)
    assert weight.numpy().std() == pytest.approx(math.sqrt(2.0) / math.sqrt(300), rel=0.02)
    nn.init.kaiming_uniform_(weight, mode="fan_out", nonlinearity="relu", generator=rng)
    assert np.abs(weight.numpy()).max() <= math.sqrt(3.0) * math.sqrt(2.0 / 200)
    nn.init.normal_(weight, 1.0, 0.5, generator=rng)
    assert weight.numpy().mean() == pytest.approx(1.0, abs=0.01)
    nn.init.zeros_(weight)
    assert not weight.numpy().any()
    nn.init.constant_(weight, 0.35)
    assert np.all(weight.numpy() == 0.35)


def test_init_gains_and_errors():
    assert nn.init.calculate_gain("tanh") == 5.0 / 3.0
    assert nn.init.calculate_gain("leaky_relu", math.sqrt(5.0)) == pytest.approx(math.sqrt(1 / 3))
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'"):
        nn.init.calculate_gain("swish")
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got shape \(3,\)"):
        nn.init.xavier_uniform_(Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match="non-negative"):
        nn.manual_seed(-1)
    with pytest.raises(TypeError, match="integer"):
        nn.manual_seed(1.5)


def test_mlp_accepts_an_activation_class_or_a_factory():
    by_class = nn.MLP([2, 4, 3, 1], activation=nn.ReLU)
    by_factory = nn.MLP([2, 4, 3, 1], activation=lambda: nn.LeakyReLU(0.2))
    assert [type(m).__name__ for m in by_class] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert by_class[1] is not by_class[3]  # one module per hidden layer
    assert isinstance(by_factory[1], nn.LeakyReLU) and by_factory[1].negative_slope == 0.2


def test_mlp_with_an_activation_instance_says_to_pass_the_class():
    message = r"MLP: activation .*the instance ReLU\(\).*activation=nn\.ReLU"
    with pytest.raises(TypeError, match=message):
        nn.MLP([2, 4, 1], activation=nn.ReLU())


@pytest.mark.parametrize("activation", ["relu", 3, lambda: "not a module"])
def test_mlp_with_a_bad_activation_is_a_type_error(activation):
    with pytest.raises(TypeError, match=r"MLP: activation"):
        nn.MLP([2, 4, 1], activation=activation)


def test_mlp_dtype_reaches_every_linear_layer():
    model = nn.MLP([2, 4, 1], dtype=np.float32)
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float32)}
    assert model(Tensor(np.ones((3, 2)), dtype=np.float32)).dtype == np.float32
    assert {p.dtype for p in nn.MLP([2, 1]).parameters()} == {np.dtype(np.float64)}


@pytest.mark.parametrize(
    "args, argument",
    [
        ((2.5, 2), "in_features"),
        (("3", 2), "in_features"),
        ((2, None), "out_features"),
        ((True, 2), "in_features"),
    ],
)
def test_linear_sizes_must_be_integers(args, argument):
    with pytest.raises(TypeError, match=rf"Linear: {argument} must be an integer"):
        nn.Linear(*args)


def test_linear_accepts_numpy_integers():
    layer = nn.Linear(np.int64(3), np.int32(2))
    assert layer.weight.shape == (2, 3) and type(layer.in_features) is int
