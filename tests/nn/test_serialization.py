"""nn.save / nn.load: safetensors round trips, the optimizer file, old .npz files, and
mismatching files rejected cleanly (hostile files: tests/robustness/test_files.py)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import nn
from autograd_lite import Tensor
from nn import file_format

from .optim_reference import CASES, case_id


def make_model(seed: int, dtype=np.float64) -> nn.Sequential:
    nn.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4, dtype=dtype), nn.Tanh(), nn.Linear(4, 2, dtype=dtype))


def train_steps(model: nn.Module, optimizer: nn.optim.Optimizer, steps: int) -> None:
    x = np.linspace(-1, 1, 15).reshape(5, 3)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.MSELoss()(model(Tensor(x)), np.zeros((5, 2))).backward()
        optimizer.step()


def assert_unchanged(model: nn.Module, before: dict[str, np.ndarray]) -> None:
    after = model.state_dict()
    assert after.keys() == before.keys()
    for name in before:
        np.testing.assert_array_equal(after[name], before[name], err_msg=name)


def write_safetensors(path, tensors: dict, metadata: dict | None = None) -> None:
    with open(path, "wb") as stream:
        file_format.write(stream, tensors, metadata or {}, checksum=False)


def test_module_round_trip(tmp_path):
    path = tmp_path / "model.safetensors"
    source, target = make_model(0), make_model(1)
    nn.save(source, path)
    nn.load(target, path)
    assert_unchanged(target, source.state_dict())
    assert os.listdir(tmp_path) == ["model.safetensors"]  # no temporary file left behind


def test_the_file_is_safetensors_with_pytorchs_names(tmp_path):
    numpy_reader = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "weights"  # written exactly at the given path, no suffix added
    model = make_model(0)
    nn.save(model, path)
    arrays = numpy_reader.load_file(str(path))
    assert set(arrays) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    np.testing.assert_array_equal(arrays["2.weight"], model[2].weight.numpy())
    with open(path, "rb") as stream:
        _, metadata = file_format.read_header(stream, str(path), 10**6)
    assert metadata["format"] == "pt" and metadata["writer"] == "autograd_lite.nn/2"


def test_a_file_from_the_safetensors_package_loads(tmp_path):
    numpy_writer = pytest.importorskip("safetensors.numpy")
    source = make_model(4)
    path = tmp_path / "other.safetensors"
    numpy_writer.save_file(source.state_dict(), str(path), metadata={"format": "np"})
    target = make_model(5)
    nn.load(target, path)
    assert_unchanged(target, source.state_dict())


def test_optimizer_state_goes_to_the_second_file_and_continues_identically(tmp_path):
    path = tmp_path / "checkpoint.safetensors"
    model = make_model(0)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    train_steps(model, optimizer, 3)
    nn.save(model, path, optimizer=optimizer)
    assert sorted(os.listdir(tmp_path)) == [
        "checkpoint.optimizer.safetensors",
        "checkpoint.safetensors",
    ]
    assert nn.serialization.optimizer_path(path) == str(
        tmp_path / "checkpoint.optimizer.safetensors"
    )
    train_steps(model, optimizer, 2)

    resumed = make_model(5)
    resumed_optimizer = nn.optim.Adam(resumed.parameters(), lr=0.5)
    nn.load(resumed, path, optimizer=resumed_optimizer)
    assert resumed_optimizer.state[0]["step"] == 3 and resumed_optimizer.lr == 0.01
    train_steps(resumed, resumed_optimizer, 2)
    assert_unchanged(resumed, model.state_dict())


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_optimizer_continues_identically_through_its_file(tmp_path, case):
    name, settings = case
    path = tmp_path / "model.safetensors"
    model = make_model(0)
    optimizer = getattr(nn.optim, name)(
        [{"params": list(model.parameters())[:2]}, {"params": list(model.parameters())[2:],
                                                     "lr": 0.003}], **settings)  # fmt: skip
    train_steps(model, optimizer, 3)
    nn.save(model, path, optimizer=optimizer)
    train_steps(model, optimizer, 3)
    resumed = make_model(9)
    resumed_optimizer = getattr(nn.optim, name)(
        [{"params": list(resumed.parameters())[:2]}, {"params": list(resumed.parameters())[2:]}]
    )
    nn.load(resumed, path, optimizer=resumed_optimizer)
    assert resumed_optimizer.param_groups[1]["lr"] == 0.003
    train_steps(resumed, resumed_optimizer, 3)
    assert_unchanged(resumed, model.state_dict())


def test_scheduler_keys_in_the_groups_round_trip(tmp_path):
    path = tmp_path / "model.safetensors"
    model = make_model(0)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = nn.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.5, total_steps=10)
    train_steps(model, optimizer, 1)
    scheduler.step()
    nn.save(model, path, optimizer=optimizer)
    other = nn.optim.SGD(make_model(0).parameters(), lr=0.1)
    nn.load(make_model(0), path, optimizer=other)
    assert other.param_groups[0]["max_lr"] == 0.5
    assert other.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"]


def test_a_model_without_the_optimizer_file_loads_and_asking_for_it_is_explained(tmp_path):
    path = tmp_path / "model.safetensors"
    nn.save(make_model(0), path)
    model = make_model(1)
    before = model.state_dict()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(FileNotFoundError, match="model.optimizer.safetensors"):
        nn.load(model, path, optimizer=optimizer)
    assert_unchanged(model, before)
    nn.load(model, path)  # the model alone loads


def test_an_optimizer_file_from_another_save_is_refused(tmp_path):
    path = tmp_path / "model.safetensors"
    model = make_model(0)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    train_steps(model, optimizer, 1)
    nn.save(model, path, optimizer=optimizer)
    nn.save(make_model(3), path)  # a later save of the model alone
    target = make_model(1)
    before = target.state_dict()
    target_optimizer = nn.optim.SGD(target.parameters(), lr=0.3)
    with pytest.raises(ValueError, match="not saved with the model file beside it"):
        nn.load(target, path, optimizer=target_optimizer)
    assert_unchanged(target, before)
    assert target_optimizer.state == {} and target_optimizer.lr == 0.3


def test_the_optimizer_file_of_another_optimizer_class_is_refused(tmp_path):
    path = tmp_path / "model.safetensors"
    model = make_model(0)
    nn.save(model, path, optimizer=nn.optim.SGD(model.parameters()))
    with pytest.raises(ValueError, match="holds the state of 'SGD', not Adam"):
        nn.load(model, path, optimizer=nn.optim.Adam(model.parameters()))


@pytest.mark.parametrize(
    "change, error, message",
    [
        (dict(_2__bias=None), KeyError, r"missing keys \['2.bias'\]"),
        (dict(_extra=np.zeros(2)), KeyError, r"unexpected keys \['extra'\]"),
        (dict(_0__weight=np.zeros((3, 4))), ValueError, r"'0.weight' has shape \(3, 4\)"),
        (dict(_0__bias=np.zeros(4, np.float32)), ValueError, "'0.bias' has dtype float32, the"),
        (dict(_0__bias=np.zeros(4, dtype=np.int64)), ValueError, "'0.bias' has dtype int64"),
    ],
)
@pytest.mark.parametrize("kind", ["safetensors", "npz"])
def test_mismatching_file_is_rejected_and_model_unchanged(tmp_path, change, error, message,
                                                          kind):  # fmt: skip
    model = make_model(1)
    arrays = make_model(0).state_dict()
    for key, value in change.items():
        name = key[1:].replace("__", ".")
        if value is None:
            del arrays[name]
        else:
            arrays[name] = value
    path = tmp_path / f"model.{kind}"
    if kind == "npz":
        np.savez(path, **{"format:version": np.asarray("autograd_lite.nn/1")}, **arrays)
    else:
        write_safetensors(path, arrays)
    before = model.state_dict()
    with pytest.raises(error, match=message) as caught:
        nn.load(model, path)
    assert str(path) in str(caught.value)
    assert_unchanged(model, before)


def test_a_bad_optimizer_file_leaves_model_and_optimizer_unchanged(tmp_path):
    path = tmp_path / "checkpoint.safetensors"
    source = make_model(0)
    source_optimizer = nn.optim.Adam(source.parameters(), lr=0.1)
    train_steps(source, source_optimizer, 1)
    nn.save(source, path, optimizer=source_optimizer)
    optimizer_file = nn.serialization.optimizer_path(path)
    with open(optimizer_file, "rb") as stream:
        entries, metadata = file_format.read_header(stream, optimizer_file, 10**6)
        arrays = file_format.read_entries(stream, optimizer_file, entries, None)
    groups = json.loads(metadata["param_groups"])
    groups[0]["betas"] = [1.0, 0.999]  # loads today and then divides by zero
    metadata["param_groups"] = json.dumps(groups)
    del metadata["sha256"]
    write_safetensors(optimizer_file, arrays, metadata)

    model = make_model(1)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.3)
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"optimizer.safetensors: .*betas must be two numbers"):
        nn.load(model, path, optimizer=optimizer)
    assert_unchanged(model, before)
    assert optimizer.lr == 0.3 and optimizer.state == {}


def test_damaged_data_is_found_by_the_checksum(tmp_path):
    path = tmp_path / "model.safetensors"
    nn.save(make_model(0), path)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x40  # one bit of the last tensor
    path.write_bytes(bytes(data))
    model = make_model(1)
    before = model.state_dict()
    with pytest.raises(ValueError, match="does not match its checksum"):
        nn.load(model, path)
    assert_unchanged(model, before)


# --------------------------------------------------------------------------- old .npz files


def old_npz(path, model, optimizer=None) -> None:
    """What the writer of format autograd_lite.nn/1 wrote (its layout, re-created here)."""
    arrays = {"format:version": np.asarray("autograd_lite.nn/1"), **model.state_dict()}
    if optimizer is not None:
        for index, entry in optimizer.state.items():
            old = {"step": np.asarray(1), **entry} if "step" not in entry else entry
            for key, value in old.items():
                arrays[f"optimizer:state.{index}.{key}"] = np.asarray(value)
        for key in ("lr", "momentum", "dampening", "weight_decay", "nesterov"):
            arrays[f"optimizer:hyper.{key}"] = np.asarray(optimizer.param_groups[0][key])
    with open(path, "wb") as stream:
        np.savez(stream, **arrays)


def test_an_old_npz_file_still_loads_with_its_optimizer_state(tmp_path):
    path = tmp_path / "old.npz"
    model = make_model(0)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    train_steps(model, optimizer, 2)
    old_npz(path, model, optimizer)
    train_steps(model, optimizer, 2)
    resumed = make_model(3)
    resumed_optimizer = nn.optim.SGD(resumed.parameters(), lr=0.5)
    nn.load(resumed, path, optimizer=resumed_optimizer)
    assert resumed_optimizer.param_groups[0]["nesterov"] is True
    assert resumed_optimizer.param_groups[0]["maximize"] is False  # new setting: default
    train_steps(resumed, resumed_optimizer, 2)
    assert_unchanged(resumed, model.state_dict())


def test_asking_an_old_file_for_optimizer_state_that_is_not_there(tmp_path):
    path = tmp_path / "model.npz"
    old_npz(path, make_model(0))
    model = make_model(1)
    before = model.state_dict()
    with pytest.raises(KeyError, match="no optimizer state"):
        nn.load(model, path, optimizer=nn.optim.SGD(model.parameters(), lr=0.1))
    assert_unchanged(model, before)


@pytest.mark.parametrize("tag", [None, "other/9"])
def test_an_npz_without_the_format_tag_is_refused(tmp_path, tag):
    arrays = make_model(0).state_dict()
    if tag is not None:
        arrays["format:version"] = np.asarray(tag)
    path = tmp_path / "model.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="not an autograd_lite.nn archive"):
        nn.load(make_model(1), path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(make_model(0), tmp_path / "absent.safetensors")


def test_saving_into_a_missing_directory_names_the_target_not_the_temporary_file(tmp_path):
    target = tmp_path / "missing_dir" / "x.safetensors"
    with pytest.raises(FileNotFoundError) as caught:
        nn.save(make_model(0), target)
    message = str(caught.value)
    assert str(target) in message and "does not exist" in message
    assert ".tmp" not in message


def test_a_single_array_npy_file_is_rejected_with_a_value_error(tmp_path):
    path = tmp_path / "weights.npy"
    np.save(path, np.ones(3))
    model = make_model(0)
    before = model.state_dict()
    with pytest.raises(ValueError, match="weights.npy"):
        nn.load(model, path)
    assert_unchanged(model, before)


class NamedLikeSavezArguments(nn.Module):
    """Parameters whose names are np.savez's own keyword arguments."""

    def __init__(self, offset: float) -> None:
        super().__init__()
        self.file = nn.Parameter([1.0 + offset, 2.0])
        self.allow_pickle = nn.Parameter([[3.0 + offset]])

    def forward(self, x: Tensor) -> Tensor:
        return x * self.file


def test_parameters_with_any_names_round_trip(tmp_path):
    path = tmp_path / "model.safetensors"
    nn.save(NamedLikeSavezArguments(0.0), path)
    loaded = NamedLikeSavezArguments(10.0)
    nn.load(loaded, path)
    np.testing.assert_array_equal(loaded.file.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(loaded.allow_pickle.numpy(), [[3.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_and_float64_models_round_trip_bit_for_bit(tmp_path, dtype):
    path = tmp_path / "model.safetensors"
    source, target = make_model(0, dtype), make_model(1, dtype)
    nn.save(source, path)
    nn.load(target, path)
    assert target[0].weight.dtype == dtype
    assert_unchanged(target, source.state_dict())
