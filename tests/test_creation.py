"""Creation functions (zeros ... randn) and the engine's one global generator (manual_seed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_lite as al
import nn
from autograd_lite import Tensor


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda: al.zeros(2, 3), np.zeros((2, 3))),
        (lambda: al.zeros((2, 3)), np.zeros((2, 3))),
        (lambda: al.zeros([2]), np.zeros(2)),
        (lambda: al.zeros(), np.zeros(())),
        (lambda: al.ones(3), np.ones(3)),
        (lambda: al.ones(np.int64(2), 0), np.ones((2, 0))),
        (lambda: al.full((2, 2), 0.5), np.full((2, 2), 0.5)),
        (lambda: al.full(3, -1), np.full(3, -1.0)),
        (lambda: al.zeros_like(Tensor([[1.0, 2.0]])), np.zeros((1, 2))),
        (lambda: al.ones_like(np.arange(3)), np.ones(3)),
        (lambda: al.arange(4), np.arange(4.0)),
        (lambda: al.arange(1, 2, 0.25), np.arange(1, 2, 0.25)),
        (lambda: al.arange(3, 0, -1), np.array([3.0, 2.0, 1.0])),
        (lambda: al.linspace(0, 1, 5), np.linspace(0, 1, 5)),
        (lambda: al.linspace(2, 3, 0), np.zeros(0)),
        (lambda: al.eye(2), np.eye(2)),
        (lambda: al.eye(2, 3), np.eye(2, 3)),
    ],
)
def test_values_shapes_and_float64_default(make, expected) -> None:
    t = make()
    assert isinstance(t, Tensor) and t.is_leaf and not t.requires_grad
    assert t.dtype == np.float64
    np.testing.assert_array_equal(t.data, expected)
    assert t.shape == expected.shape


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: al.zeros(2, **kw),
        lambda **kw: al.ones((2,), **kw),
        lambda **kw: al.full(2, 3.0, **kw),
        lambda **kw: al.zeros_like(np.zeros(2), **kw),
        lambda **kw: al.ones_like(Tensor([1.0, 2.0]), **kw),
        lambda **kw: al.arange(2, **kw),
        lambda **kw: al.linspace(0, 1, 2, **kw),
        lambda **kw: al.eye(2, **kw),
        lambda **kw: al.rand(2, **kw),
        lambda **kw: al.randn(2, **kw),
    ],
)
def test_dtype_and_requires_grad(make) -> None:
    t = make(dtype=np.float32, requires_grad=True)
    assert t.dtype == np.float32 and t.requires_grad and t.is_leaf
    (t * 2.0).sum().backward()
    np.testing.assert_array_equal(t.grad.data, np.full(t.shape, 2.0))
    with pytest.raises(TypeError, match="float32 or float64"):
        make(dtype=np.int64)


def test_like_functions_keep_float32_and_promote_other_dtypes() -> None:
    assert al.zeros_like(Tensor(np.ones(2, np.float32))).dtype == np.float32
    assert al.ones_like(Tensor([1.0]) > 0).dtype == np.float64  # a bool mask's shape
    assert al.zeros_like(Tensor(np.ones(2, np.float32)), dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: al.zeros(2.5), TypeError, "zeros: sizes must be integers"),
        (lambda: al.ones(True), TypeError, "ones: sizes must be integers"),
        (lambda: al.zeros(-1, 2), ValueError, "zeros: sizes must not be negative"),
        (lambda: al.full((2,), "a"), TypeError, "full: value must be a real number"),
        (lambda: al.full((2.0,), 1.0), TypeError, "full: sizes"),
        (lambda: al.arange(0, 1, 0), ValueError, "arange: step must not be 0"),
        (lambda: al.arange(float("inf")), ValueError, "arange: stop must be finite"),
        (lambda: al.arange("3"), TypeError, "arange: stop must be a real number"),
        (lambda: al.linspace(0, 1, -2), ValueError, "linspace: sizes must not be negative"),
        (lambda: al.linspace(0, 1, 2.0), TypeError, "linspace: sizes must be integers"),
        (lambda: al.eye(2, -1), ValueError, "eye: sizes must not be negative"),
        (lambda: al.rand(2, generator=np.random.RandomState(0)), TypeError, "rand: generator"),
        (lambda: al.randn((2, "x")), TypeError, "randn: sizes must be integers"),
    ],
)
def test_bad_arguments_name_the_function(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call()


def test_rand_and_randn_draw_from_the_seeded_global_generator() -> None:
    al.manual_seed(5)
    first = (al.rand(3).data, al.randn(2, 2).data)
    al.manual_seed(5)
    second = (al.rand(3).data, al.randn((2, 2)).data)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    # the numbers are default_rng(5)'s: random() then standard_normal()
    rng = np.random.default_rng(5)
    np.testing.assert_array_equal(first[0], rng.random(3))
    np.testing.assert_array_equal(first[1], rng.standard_normal((2, 2)))
    assert np.all((first[0] >= 0) & (first[0] < 1))


def test_an_explicit_generator_leaves_the_global_one_alone() -> None:
    al.manual_seed(1)
    expected = np.random.default_rng(1).random(2)
    drawn = al.rand(4, generator=np.random.default_rng(9)).data
    np.testing.assert_array_equal(drawn, np.random.default_rng(9).random(4))
    np.testing.assert_array_equal(al.rand(2).data, expected)  # global stream untouched


def test_float32_draws_are_the_float64_draws_rounded() -> None:
    wide = al.randn(5, generator=np.random.default_rng(2)).data
    narrow = al.randn(5, dtype=np.float32, generator=np.random.default_rng(2)).data
    np.testing.assert_array_equal(narrow, wide.astype(np.float32))


def test_nn_manual_seed_is_the_engine_function_and_seeds_both() -> None:
    assert nn.manual_seed is al.manual_seed
    generator = nn.manual_seed(0)
    assert generator is al.default_generator()
    layer_weights = nn.Linear(3, 2).weight.numpy().copy()
    after_layer = al.randn(2).data
    al.manual_seed(0)
    np.testing.assert_array_equal(nn.Linear(3, 2).weight.numpy(), layer_weights)
    np.testing.assert_array_equal(al.randn(2).data, after_layer)


def test_manual_seed_draws_the_same_numbers_as_before_it_moved() -> None:
    # nn.manual_seed(seed) was np.random.default_rng(seed) in nn.init; it still is, so
    # seeded models keep their weights: Linear(3, 2) draws U(-bound, bound), the bound of
    # kaiming_uniform_ with a = sqrt(5) (1/sqrt(3), computed the way nn.init does)
    nn.manual_seed(7)
    bound = math.sqrt(3.0) * math.sqrt(2.0 / (1.0 + 5.0)) / math.sqrt(3)
    expected = np.random.default_rng(7).uniform(-bound, bound, size=(2, 3))
    np.testing.assert_array_equal(nn.Linear(3, 2).weight.numpy(), expected)


@pytest.mark.parametrize("seed, error", [(-1, ValueError), (1.5, TypeError), (True, TypeError)])
def test_manual_seed_refuses_bad_seeds(seed, error) -> None:
    with pytest.raises(error, match="manual_seed"):
        al.manual_seed(seed)
