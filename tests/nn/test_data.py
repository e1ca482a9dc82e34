"""nn.data: batches, dtypes, shuffling reproducible with a generator, drop_last, datasets of
one's own."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd_lite import Tensor

X = np.arange(20, dtype=np.float64).reshape(10, 2)
Y = np.arange(10) % 3


def batches(loader):
    return [(inputs.numpy().copy(), targets.copy()) for inputs, targets in loader]


def test_batches_in_order_with_a_short_last_one():
    loader = nn.data.DataLoader(nn.data.TensorDataset(X, Y), batch_size=4)
    got = batches(loader)
    assert len(loader) == 3 and [len(t) for _, t in got] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([x for x, _ in got]), X)
    np.testing.assert_array_equal(np.concatenate([t for _, t in got]), Y)


def test_drop_last_leaves_out_the_short_batch():
    loader = nn.data.DataLoader(nn.data.TensorDataset(X, Y), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [len(t) for _, t in loader] == [4, 4]
    assert loader.samples_per_epoch() == 8


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_floats_become_tensors_of_their_dtype_and_integers_int64(dtype):
    labels = np.array([1, 0, 2], dtype=np.uint8)
    inputs, targets, flags = next(
        iter(
            nn.data.DataLoader(
                nn.data.TensorDataset(
                    np.ones((3, 2), dtype), labels, np.array([True, False, True])
                ),
                batch_size=3,
            )
        )  # fmt: skip
    )
    assert isinstance(inputs, Tensor) and inputs.dtype == dtype and not inputs.requires_grad
    assert isinstance(targets, np.ndarray) and targets.dtype == np.int64
    assert flags.dtype == np.bool_


def test_shuffling_is_reproducible_with_a_seeded_generator_and_new_each_epoch():
    def epochs(generator):
        loader = nn.data.DataLoader(nn.data.TensorDataset(X, Y), batch_size=10, shuffle=True,
                                    generator=generator)  # fmt: skip
        return [next(iter(loader))[0].numpy()[:, 0].copy() for _ in range(2)]

    first, second = epochs(np.random.default_rng(7)), epochs(np.random.default_rng(7))
    np.testing.assert_array_equal(first[0], second[0])
    assert not np.array_equal(first[0], first[1])
    expected = X[np.random.default_rng(7).permutation(10), 0]  # a plain permutation per epoch
    np.testing.assert_array_equal(first[0], expected)


def test_without_a_generator_the_global_one_of_manual_seed_is_used():
    loader = nn.data.DataLoader(nn.data.TensorDataset(X, Y), batch_size=10, shuffle=True)
    nn.manual_seed(3)
    first = next(iter(loader))[1].copy()
    nn.manual_seed(3)  # after the loader was made: it reads the generator every epoch
    np.testing.assert_array_equal(next(iter(loader))[1], first)


def test_a_dataset_of_ones_own_with_tuples_dicts_and_single_values():
    class Pairs(nn.data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, index):
            return {"x": np.full(3, float(index)), "label": index % 2}

    batch = next(iter(nn.data.DataLoader(Pairs(), batch_size=5)))
    assert set(batch) == {"x", "label"} and batch["x"].shape == (5, 3)
    np.testing.assert_array_equal(batch["label"], [0, 1, 0, 1, 0])

    class Single(nn.data.Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, index):
            return Tensor([float(index)])

    (values,) = [b.numpy() for b in nn.data.DataLoader(Single(), batch_size=3)]
    np.testing.assert_array_equal(values, [[0.0], [1.0], [2.0]])


def test_tensors_are_accepted_and_a_tensordataset_indexes_every_array():
    data = nn.data.TensorDataset(Tensor(X), Y)
    x, y = data[3]
    np.testing.assert_array_equal(x, X[3])
    assert y == Y[3] and len(data) == 10


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: nn.data.TensorDataset(), ValueError, "at least one"),
        (lambda: nn.data.TensorDataset(X, Y[:5]), ValueError, r"different lengths \[10, 5\]"),
        (lambda: nn.data.TensorDataset(np.float64(1.0)), ValueError, "no sample axis"),
        (lambda: nn.data.TensorDataset(np.array(["a", "b"])), TypeError, "must be numeric"),
        (lambda: nn.data.DataLoader([], batch_size=0), ValueError, "positive integer, got 0"),
        (lambda: nn.data.DataLoader([], batch_size=2.0), ValueError, "positive integer"),
        (
            lambda: nn.data.DataLoader([], generator=np.random.RandomState(0)),
            TypeError,
            "numpy.random.Generator",
        ),  # fmt: skip
    ],
)
def test_bad_arguments_are_explained(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_samples_of_different_shapes_are_explained():
    class Ragged(nn.data.Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, index):
            return np.zeros(index + 1), 0

    with pytest.raises(ValueError, match="field 0 differ in shape"):
        next(iter(nn.data.DataLoader(Ragged(), batch_size=2)))
