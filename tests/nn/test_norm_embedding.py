"""BatchNorm, LayerNorm and Embedding without torch: values by hand at small sizes, the
running statistics step by step, train/eval, saving and loading a BatchNorm model keeps
its outputs exactly, gradcheck at float64, and errors naming the layer and the shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autograd_lite import ShapeError, Tensor, gradcheck

F = nn.functional
RNG = np.random.default_rng(18)
EPS = 1e-5


# ---------------------------------------------------------------- BatchNorm
def test_batch_norm_by_hand_in_training_then_eval() -> None:
    bn = nn.BatchNorm1d(2)
    x = Tensor([[1.0, 2.0], [3.0, 6.0]])  # channel means 2 and 4, biased variances 1 and 4
    expected = np.array([[-1 / math.sqrt(1 + EPS), -2 / math.sqrt(4 + EPS)]])
    np.testing.assert_allclose(bn(x).numpy(), np.vstack([expected, -expected]), rtol=1e-15)
    # running = 0.9 * running + 0.1 * batch value; the variance unbiased: 2 * [1, 4]
    np.testing.assert_allclose(bn.running_mean.numpy(), [0.2, 0.4], rtol=1e-15)
    np.testing.assert_allclose(bn.running_var.numpy(), [0.9 + 0.2, 0.9 + 0.8], rtol=1e-15)
    assert bn.num_batches_tracked.dtype == np.int64 and int(bn.num_batches_tracked) == 1
    bn.eval()
    y = bn(x).numpy()
    np.testing.assert_allclose(
        y[0], (np.array([1.0, 2.0]) - [0.2, 0.4]) / np.sqrt([1.1 + EPS, 1.7 + EPS])
    )
    assert int(bn.num_batches_tracked) == 1  # eval leaves the statistics alone
    np.testing.assert_allclose(bn.running_mean.numpy(), [0.2, 0.4], rtol=1e-15)


def test_batch_norm_2d_statistics_are_over_batch_height_and_width() -> None:
    bn = nn.BatchNorm2d(3, momentum=0.5)
    bn.weight.data[...] = [1.0, 2.0, 3.0]
    bn.bias.data[...] = [0.0, 1.0, -1.0]
    x = RNG.normal(1.0, 2.0, size=(4, 3, 2, 5))
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    shape = (1, 3, 1, 1)
    expected = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + EPS)
    expected = expected * bn.weight.numpy().reshape(shape) + bn.bias.numpy().reshape(shape)
    np.testing.assert_allclose(bn(Tensor(x)).numpy(), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.5 * mean, rtol=1e-14)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.5 + 0.5 * var * 40 / 39, rtol=1e-14)


def test_momentum_none_is_a_cumulative_average() -> None:
    bn = nn.BatchNorm1d(2, momentum=None)
    batches = [RNG.normal(size=(5, 2)) for _ in range(3)]
    for batch in batches:
        bn(Tensor(batch))
    np.testing.assert_allclose(
        bn.running_mean.numpy(), np.mean([b.mean(axis=0) for b in batches], axis=0), rtol=1e-13
    )
    assert "momentum=None" in repr(bn)


def test_buffers_state_dict_dtype_and_no_running_stats() -> None:
    bn = nn.BatchNorm2d(4, dtype=np.float32)
    assert [name for name, _ in bn.named_parameters()] == ["weight", "bias"]
    assert list(bn.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert bn.running_var.dtype == np.float32
    assert bn(Tensor(np.ones((2, 4, 3, 3), dtype=np.float32))).dtype == np.float32
    bn.double()
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64
    free = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert list(free.state_dict()) == [] and free.running_mean is None
    x = RNG.normal(size=(6, 3))
    np.testing.assert_array_equal(free.eval()(Tensor(x)).numpy(), free.train()(Tensor(x)).numpy())
    assert repr(free) == (
        "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, "
        "track_running_stats=False)"
    )


def _bn_model() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(64, 6),
        nn.BatchNorm1d(6),
    )


def test_saving_and_loading_a_batch_norm_model_keeps_its_outputs_exactly(tmp_path) -> None:
    nn.manual_seed(3)
    model = _bn_model()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(5):
        optimizer.zero_grad()
        model(Tensor(RNG.normal(size=(8, 1, 4, 4)))).sum().backward()
        optimizer.step()
    model.eval()
    x = Tensor(RNG.normal(size=(3, 1, 4, 4)))
    expected = model(x).numpy()
    fresh = _bn_model().eval()
    assert not np.array_equal(fresh(x).numpy(), expected)  # the running statistics matter
    fresh.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(fresh(x).numpy(), expected)
    assert int(fresh[1].num_batches_tracked) == 5
    nn.save(model, tmp_path / "bn.safetensors")
    loaded = _bn_model().eval()
    nn.load(loaded, tmp_path / "bn.safetensors")
    np.testing.assert_array_equal(loaded(x).numpy(), expected)
    np.testing.assert_array_equal(loaded[5].running_var.numpy(), model[5].running_var.numpy())


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(training) -> None:
    x = Tensor(RNG.normal(size=(4, 3, 2)), requires_grad=True)
    w = Tensor(RNG.normal(size=3), requires_grad=True)
    b = Tensor(RNG.normal(size=3), requires_grad=True)
    stats = (None, None) if training else (RNG.normal(size=3), RNG.uniform(0.5, 2, size=3))
    assert gradcheck(lambda x, w, b: F.batch_norm(x, *stats, w, b, training=training), (x, w, b))


# ---------------------------------------------------------------- LayerNorm
def test_layer_norm_by_hand_and_gradcheck() -> None:
    ln = nn.LayerNorm(2)
    np.testing.assert_allclose(
        ln(Tensor([[1.0, 3.0], [0.0, -4.0]])).numpy(),
        [
            [-1 / math.sqrt(1 + EPS), 1 / math.sqrt(1 + EPS)],
            [2 / math.sqrt(4 + EPS), -2 / math.sqrt(4 + EPS)],
        ],
        rtol=1e-15,
    )
    assert repr(ln) == "LayerNorm((2,), eps=1e-05, elementwise_affine=True, bias=True)"
    x = Tensor(RNG.normal(size=(2, 3, 4)), requires_grad=True)
    w = Tensor(RNG.normal(size=(3, 4)), requires_grad=True)
    b = Tensor(RNG.normal(size=(3, 4)), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (3, 4), w, b), (x, w, b))
    assert nn.LayerNorm(4, bias=False).bias is None
    assert list(nn.LayerNorm(4, elementwise_affine=False).state_dict()) == []


# ---------------------------------------------------------------- Embedding
def test_embedding_by_hand_with_padding_and_repeats() -> None:
    table = nn.Embedding(4, 2, padding_idx=0)
    assert not table.weight.numpy()[0].any()  # the padding row starts at zero
    table.weight.data[...] = [[9.0, 9.0], [1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    out = table(np.array([[1, 0, 1], [3, 2, 1]]))
    assert out.shape == (2, 3, 2)
    np.testing.assert_array_equal(out.numpy()[0], [[1, 2], [9, 9], [1, 2]])  # the row itself
    out.sum().backward()
    np.testing.assert_array_equal(table.weight.grad.numpy(), [[0, 0], [3, 3], [1, 1], [1, 1]])
    assert repr(table) == "Embedding(4, 2, padding_idx=0)"


def test_embedding_max_norm_and_from_pretrained_and_gradcheck() -> None:
    table = nn.Embedding.from_pretrained(np.array([[3.0, 4.0], [0.3, 0.4]]), max_norm=1.0)
    np.testing.assert_allclose(table(np.array([0, 1])).numpy(), [[0.6, 0.8], [0.3, 0.4]], rtol=1e-7)
    np.testing.assert_allclose(table.weight.numpy()[0], np.array([3.0, 4.0]) / (5 + 1e-7))
    assert not table.weight.requires_grad
    w = Tensor(RNG.normal(size=(5, 3)), requires_grad=True)
    assert gradcheck(lambda w: F.embedding(np.array([[0, 4, 4], [2, 0, 1]]), w), (w,))


@pytest.mark.parametrize(
    "indices, error, pattern",
    [
        (np.array([1.0, 2.0]), TypeError, r"Embedding: input must hold integer indices .* float64"),
        (Tensor([1.0]), TypeError, r"Embedding: input must hold integer indices \(.*Tensor"),
        (np.array([True]), TypeError, r"dtype bool"),
        (
            np.array([[1, 10]]),
            IndexError,
            r"Embedding: index 10 is out of range for "
            r"num_embeddings=10 \(indices must be in \[0, 9\]; input shape \(1, 2\)\)",
        ),
        (np.array([-1, 2]), IndexError, r"index -1 is out of range"),
    ],
)
def test_embedding_refuses_bad_indices(indices, error, pattern) -> None:
    with pytest.raises(error, match=pattern):
        nn.Embedding(10, 3)(indices)


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (lambda: nn.Embedding(5, 2, padding_idx=5), ValueError, r"padding_idx must be within"),
        (lambda: nn.Embedding(5, 2, sparse=True), NotImplementedError, r"sparse=True"),
        (
            lambda: nn.BatchNorm2d(3)(Tensor(np.ones((2, 3, 4)))),
            ShapeError,
            r"BatchNorm2d: expected 4D input \(N, C, H, W\), got 3D input of shape \(2, 3, 4\)",
        ),
        (
            lambda: nn.BatchNorm1d(3)(Tensor(np.ones((2, 4)))),
            ShapeError,
            r"BatchNorm1d: input has 4 channels \(input shape \(2, 4\)\) but num_features=3",
        ),
        (
            lambda: nn.BatchNorm1d(3)(Tensor(np.ones((1, 3)))),
            ValueError,
            r"expected more than 1 value per channel when training, got input of shape \(1, 3\)",
        ),
        (
            lambda: nn.LayerNorm((3, 4))(Tensor(np.ones((2, 4, 3)))),
            ShapeError,
            r"LayerNorm: input shape \(2, 4, 3\) does not end in normalized_shape \(3, 4\)",
        ),
        (  # a string is not a shape (its digits would read "45" as (4, 5))
            lambda: nn.functional.layer_norm(Tensor(np.ones((2, 4, 5))), "45"),
            TypeError,
            r"layer_norm: normalized_shape must be an int or a tuple of ints, got str '45'",
        ),
        (
            lambda: nn.functional.layer_norm(Tensor(np.ones((2, 3))), 3, weight=np.ones(2)),
            ShapeError,
            r"layer_norm: weight has shape \(2,\), expected normalized_shape \(3,\)",
        ),
    ],
)
def test_bad_arguments_and_shapes_are_clear_errors(call, error, pattern) -> None:
    with pytest.raises(error, match=pattern):
        call()
