"""nn fast paths: attribute mirrors of registered parameters and
modules, cross_entropy's target checks, SGD's blocked in-place update."""

from __future__ import annotations

import copy
import pickle
import tracemalloc

import numpy as np
import pytest

import nn
from autograd_lite import Tensor
from nn.optim.sgd import _BLOCK_BYTES, _MAX_BLOCKS, _block_elements, _subtract_scaled


# ---------------------------------------------------------------- Module attribute mirrors
def test_registered_parameters_and_modules_read_back_through_the_instance_dict() -> None:
    layer = nn.Linear(3, 2)
    assert layer.__dict__["weight"] is layer._parameters["weight"] is layer.weight
    model = nn.Sequential()
    model.head = layer
    assert model.__dict__["head"] is model._modules["head"] is model.head


def test_reassigning_a_parameter_to_a_plain_value_drops_the_registration() -> None:
    layer = nn.Linear(3, 2)
    layer.bias = None
    assert layer.bias is None and "bias" not in layer._parameters
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    new_bias = nn.Parameter(np.zeros(2))
    layer.bias = new_bias
    assert layer.bias is new_bias and layer._parameters["bias"] is new_bias
    plain = Tensor(np.ones(2))  # not a Parameter: an ordinary attribute, not registered
    layer.bias = plain
    assert layer.bias is plain and "bias" not in layer._parameters


def test_deleting_a_registered_attribute_removes_it_everywhere() -> None:
    model = nn.Sequential()
    model.head = nn.Linear(2, 1)
    model.scale = nn.Parameter([2.0])
    del model.head, model.scale
    for name in ("head", "scale"):
        with pytest.raises(AttributeError, match=f"has no attribute '{name}'"):
            getattr(model, name)
    assert list(model.named_parameters()) == []
    with pytest.raises(AttributeError):
        del model.head


def test_register_module_replacing_an_assigned_module_updates_the_attribute() -> None:
    model = nn.Sequential()
    first, second = nn.Linear(2, 1), nn.Linear(2, 1)
    model.head = first
    model.register_module("head", second)
    assert model.head is second and model._modules["head"] is second
    model.register_module("tail", first)  # never assigned: found through __getattr__
    assert model.tail is first


def test_a_property_of_the_class_still_wins_over_a_registered_parameter() -> None:
    class Scaled(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.raw = nn.Parameter([3.0])

        @property
        def doubled(self) -> Tensor:
            return self.raw * 2.0

    module = Scaled()
    assert module.doubled.item() == 6.0
    assert module.raw is module._parameters["raw"]


def test_a_linear_layer_with_its_parameters_replaced_uses_the_new_ones() -> None:
    layer = nn.Linear(2, 1)
    layer.weight = nn.Parameter([[1.0, 2.0]])
    layer.bias = nn.Parameter([0.5])
    assert layer(Tensor([[1.0, 1.0]])).item() == 3.5


def test_copies_and_pickles_keep_the_mirrors_and_the_registries_the_same_objects() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    model.head = nn.Linear(3, 1)
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert clone.head is clone._modules["head"] is not model.head
        layer = clone[0]
        assert layer.weight is layer._parameters["weight"] is not model[0].weight
        clone.head.bias = nn.Parameter([5.0])  # a later assignment reaches both
        assert clone.head.bias is clone.head._parameters["bias"]


# ---------------------------------------------------------------- cross_entropy targets
@pytest.mark.parametrize("target", [[3], [-1], [0, 7]])
def test_cross_entropy_names_the_range_of_bad_class_indices(target: list[int]) -> None:
    logits = Tensor(np.zeros((len(target), 3)))
    message = rf"must be in \[0, 2\], got values from {min(target)} to {max(target)}"
    with pytest.raises(IndexError, match=message):
        nn.CrossEntropyLoss()(logits, target)


@pytest.mark.parametrize("target_dtype", [np.int64, np.int32, np.uint8])  # floats are refused
def test_cross_entropy_accepts_every_integer_target_kind(target_dtype: type) -> None:
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5, 4))
    target = np.array([0, 3, 1, 2, 3]).astype(target_dtype)
    loss = nn.functional.cross_entropy(Tensor(logits), target)
    shifted = logits - logits.max(axis=1, keepdims=True)
    expected = np.mean(np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(5), [0, 3, 1, 2, 3]])
    assert loss.item() == expected


def test_dropout_without_a_generator_uses_the_seeded_global_one() -> None:
    nn.manual_seed(3)
    first = nn.functional.dropout(Tensor(np.ones(50)), 0.5).numpy()
    nn.manual_seed(3)
    second = nn.functional.dropout(Tensor(np.ones(50)), 0.5).numpy()
    np.testing.assert_array_equal(first, second)


# ---------------------------------------------------------------- SGD's blocked update
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", [(300, 200), (1, 70000), (40, 30, 50)])
def test_flat_and_row_blocks_give_the_plain_formula(dtype: type, order: str, shape) -> None:
    # C-contiguous arrays go through flat views, others through row blocks
    rng = np.random.default_rng(1)
    data = np.asarray(rng.standard_normal(shape), dtype=dtype, order=order)
    direction = np.asarray(rng.standard_normal(shape), dtype=dtype, order=order)
    expected = data - 0.3 * direction
    kept = direction.copy()
    assert _subtract_scaled(data, 0.3, direction) is data
    np.testing.assert_array_equal(data, expected)
    np.testing.assert_array_equal(direction, kept)  # the gradient is never written


@pytest.mark.parametrize("shape", [(1, 100000), (100000,), (400, 250), (1024, 1024)])
def test_the_temporary_of_a_blocked_update_stays_within_the_block(shape) -> None:
    # without a scratch dict: one block-sized array for the whole call
    data, direction = np.ones(shape), np.full(shape, 2.0)
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        _subtract_scaled(data, 0.5, direction)
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    block = _block_elements(data) * data.itemsize
    assert block <= max(_BLOCK_BYTES, -(-data.nbytes // _MAX_BLOCKS))
    assert -(-data.nbytes // block) <= _MAX_BLOCKS
    assert peak <= block + 4096  # one block (plus small views)
    np.testing.assert_array_equal(data, np.zeros(shape))


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", [(400, 250), (1024, 1024), (300, 7)])
def test_a_kept_scratch_block_means_no_allocation_on_later_calls(order: str, shape) -> None:
    data = np.ones(shape, order=order)
    direction = np.full(shape, 2.0, order=order)
    scratch: dict = {}
    _subtract_scaled(data, 0.5, direction, scratch)  # the first call makes the scratch block
    (buffer,) = scratch.values()
    assert buffer.dtype == data.dtype
    assert buffer.nbytes <= max(_BLOCK_BYTES, -(-data.nbytes // _MAX_BLOCKS))
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        _subtract_scaled(data, 0.5, direction, scratch)
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    assert peak < 4096  # views only: the products went into the kept block
    assert scratch[data.dtype] is buffer
    np.testing.assert_array_equal(data, np.full(shape, -1.0))
    np.testing.assert_array_equal(direction, np.full(shape, 2.0))  # the gradient is intact


def test_the_scratch_block_grows_for_a_larger_parameter_and_is_kept_per_dtype() -> None:
    scratch: dict = {}
    small, large = np.ones((100, 100)), np.ones((300, 300))
    _subtract_scaled(small, 1.0, np.ones_like(small), scratch)
    first = scratch[np.dtype(np.float64)]
    assert first.size == small.size
    _subtract_scaled(large, 1.0, np.ones_like(large), scratch)
    assert scratch[np.dtype(np.float64)].size == _block_elements(large) > first.size
    single = np.ones((100, 100), np.float32)
    _subtract_scaled(single, 1.0, np.ones_like(single), scratch)
    assert set(scratch) == {np.dtype(np.float64), np.dtype(np.float32)}
    np.testing.assert_array_equal(large, np.zeros_like(large))


@pytest.mark.parametrize("samples", [1, 64, 65, 300])  # a list check up to 64, NumPy's above
@pytest.mark.parametrize("bad", [-2, 3, None])
def test_cross_entropy_range_check_on_small_and_large_targets(samples: int, bad: int | None):
    target = (np.arange(samples) % 3).astype(np.uint8 if bad != -2 else np.int16)
    if bad is not None:
        target[0] = bad
    logits = Tensor(np.zeros((samples, 3)))
    if bad is None:
        assert nn.functional.cross_entropy(logits, target).item() == pytest.approx(np.log(3.0))
        return
    message = rf"must be in \[0, 2\], got values from {target.min()} to {target.max()}"
    with pytest.raises(IndexError, match=message):
        nn.functional.cross_entropy(logits, target)
