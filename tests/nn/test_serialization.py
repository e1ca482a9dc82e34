"""nn.save / nn.load: round trips, atomic writes, and every kind of bad file rejected cleanly."""

from __future__ import annotations

import os

import numpy as np
import pytest

import nn
from autograd_lite import Tensor


def make_model(seed: int) -> nn.Sequential:
    nn.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))


def train_steps(model: nn.Module, optimizer: nn.optim.Optimizer, steps: int) -> None:
    x = np.linspace(-1, 1, 15).reshape(5, 3)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.MSELoss()(model(Tensor(x)), np.zeros((5, 2))).backward()
        optimizer.step()


def snapshot(model: nn.Module) -> dict[str, np.ndarray]:
    return model.state_dict()


def assert_unchanged(model: nn.Module, before: dict[str, np.ndarray]) -> None:
    after = model.state_dict()
    assert after.keys() == before.keys()
    for name in before:
        np.testing.assert_array_equal(after[name], before[name], err_msg=name)


def test_module_round_trip(tmp_path):
    path = tmp_path / "model.npz"
    source, target = make_model(0), make_model(1)
    nn.save(source, path)
    nn.load(target, path)
    assert_unchanged(target, source.state_dict())
    assert os.listdir(tmp_path) == ["model.npz"]  # no temporary file left behind


def test_file_is_a_plain_npz_readable_without_pickle(tmp_path):
    path = tmp_path / "weights"  # written exactly at the given path, no suffix added
    model = make_model(0)
    nn.save(model, path)
    with np.load(path, allow_pickle=False) as archive:
        assert set(archive.files) == {"format:version", "0.weight", "0.bias", "2.weight", "2.bias"}
        np.testing.assert_array_equal(archive["2.weight"], model[2].weight.numpy())


def test_round_trip_with_optimizer_continues_identically(tmp_path):
    path = tmp_path / "checkpoint.npz"
    model = make_model(0)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    train_steps(model, optimizer, 3)
    nn.save(model, path, optimizer=optimizer)
    train_steps(model, optimizer, 2)

    resumed = make_model(5)
    resumed_optimizer = nn.optim.Adam(resumed.parameters(), lr=0.5)
    nn.load(resumed, path, optimizer=resumed_optimizer)
    assert resumed_optimizer.state[0]["step"] == 3 and resumed_optimizer.lr == 0.01
    train_steps(resumed, resumed_optimizer, 2)
    assert_unchanged(resumed, model.state_dict())


def test_sgd_momentum_state_round_trip(tmp_path):
    path = tmp_path / "sgd.npz"
    model = make_model(0)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    train_steps(model, optimizer, 2)
    nn.save(model, path, optimizer=optimizer)
    other = nn.optim.SGD(make_model(0).parameters(), lr=0.1, momentum=0.9)
    nn.load(make_model(0), path, optimizer=other)
    assert other.hyperparameters["nesterov"] is True
    np.testing.assert_array_equal(
        other.state[1]["momentum_buffer"], optimizer.state[1]["momentum_buffer"]
    )


# --------------------------------------------------------------------------- bad files


def write_npz(path, arrays: dict) -> None:
    with open(path, "wb") as stream:
        np.savez(stream, **arrays)


def good_arrays(model: nn.Module) -> dict:
    return {"format:version": np.asarray("autograd_lite.nn/1"), **model.state_dict()}


def corrupt_bytes(path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(16)  # zero a run inside an array's payload
    path.write_bytes(bytes(data))


def truncate(path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])


def garbage(path) -> None:
    path.write_bytes(b"this is not a zip archive at all")


@pytest.mark.parametrize("damage", [corrupt_bytes, truncate, garbage])
def test_damaged_file_is_rejected_and_model_unchanged(tmp_path, damage):
    path = tmp_path / "model.npz"
    nn.save(make_model(0), path)
    damage(path)
    model = make_model(1)
    before = snapshot(model)
    with pytest.raises(ValueError, match="not a readable .npz archive"):
        nn.load(model, path)
    assert_unchanged(model, before)


@pytest.mark.parametrize(
    "change, error, message",
    [
        (dict(_2__bias=None), KeyError, r"missing keys \['2.bias'\]"),
        (dict(_extra=np.zeros(2)), KeyError, r"unexpected keys \['extra'\]"),
        (dict(_0__weight=np.zeros((3, 4))), ValueError, r"'0.weight' has shape \(3, 4\)"),
        (
            dict(_0__bias=np.zeros(4, dtype=np.float32)),
            ValueError,
            "'0.bias' has dtype float32, the model float64",
        ),
        (dict(_0__bias=np.zeros(4, dtype=np.int64)), ValueError, "'0.bias' has dtype int64"),
        (dict(format_version=None), ValueError, "not an autograd_lite.nn archive"),
        (dict(format_version=np.asarray("other/9")), ValueError, "not an autograd_lite.nn"),
    ],
)
def test_mismatching_file_is_rejected_and_model_unchanged(tmp_path, change, error, message):
    model = make_model(1)
    arrays = good_arrays(make_model(0))
    for key, value in change.items():
        name = "format:version" if key == "format_version" else key[1:].replace("__", ".")
        if value is None:
            del arrays[name]
        else:
            arrays[name] = value
    path = tmp_path / "model.npz"
    write_npz(path, arrays)
    before = snapshot(model)
    with pytest.raises(error, match=message):
        nn.load(model, path)
    assert_unchanged(model, before)


def test_file_needing_pickle_is_rejected(tmp_path):
    arrays = good_arrays(make_model(0))
    arrays["0.bias"] = np.array([None, 1, "x", 2.0], dtype=object)
    path = tmp_path / "model.npz"
    np.savez(path, **arrays)  # np.savez pickles object arrays
    model = make_model(1)
    before = snapshot(model)
    with pytest.raises(ValueError, match="not a readable .npz archive"):
        nn.load(model, path)
    assert_unchanged(model, before)


def test_bad_optimizer_state_leaves_model_and_optimizer_unchanged(tmp_path):
    path = tmp_path / "checkpoint.npz"
    source = make_model(0)
    source_optimizer = nn.optim.SGD(source.parameters(), lr=0.1, momentum=0.9)
    train_steps(source, source_optimizer, 1)
    nn.save(source, path, optimizer=source_optimizer)
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["optimizer:state.0.momentum_buffer"] = np.zeros((2, 2))
    write_npz(path, arrays)

    model = make_model(1)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"parameter 0 momentum_buffer has shape \(2, 2\)"):
        nn.load(model, path, optimizer=optimizer)
    assert_unchanged(model, before)
    assert optimizer.lr == 0.3 and optimizer.state == {}


def test_asking_for_optimizer_state_that_is_not_there(tmp_path):
    path = tmp_path / "model.npz"
    nn.save(make_model(0), path)
    model = make_model(1)
    before = snapshot(model)
    with pytest.raises(KeyError, match="no optimizer state"):
        nn.load(model, path, optimizer=nn.optim.SGD(model.parameters(), lr=0.1))
    assert_unchanged(model, before)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(make_model(0), tmp_path / "absent.npz")


# --------------------------------------------------------------------------- atomic write


def test_failing_rename_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    old = make_model(0)
    nn.save(old, path)
    original_bytes = path.read_bytes()

    def refuse(*args):
        raise OSError("simulated failure while renaming")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="simulated"):
        nn.save(make_model(1), path)
    monkeypatch.undo()
    assert path.read_bytes() == original_bytes
    assert os.listdir(tmp_path) == ["model.npz"]


def test_failure_in_the_middle_of_writing_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    old = make_model(0)
    nn.save(old, path)

    def half_write(stream, array, *args, **kwargs):
        stream.write(b"\x93NUMPY partial")
        raise OSError("simulated disk full")

    monkeypatch.setattr(np.lib.format, "write_array", half_write)
    with pytest.raises(OSError, match="disk full"):
        nn.save(make_model(1), path)
    monkeypatch.undo()
    loaded = make_model(2)
    nn.load(loaded, path)
    assert_unchanged(loaded, old.state_dict())
    assert os.listdir(tmp_path) == ["model.npz"]


def test_saving_into_a_missing_directory_fails_clearly(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.save(make_model(0), tmp_path / "no" / "such" / "dir.npz")


def test_saving_into_a_missing_directory_names_the_target_not_the_temporary_file(tmp_path):
    target = tmp_path / "missing_dir" / "x.npz"
    with pytest.raises(FileNotFoundError) as caught:
        nn.save(make_model(0), target)
    message = str(caught.value)
    assert str(target) in message and "does not exist" in message
    assert ".tmp" not in message


def test_a_single_array_npy_file_is_rejected_with_a_value_error(tmp_path):
    path = tmp_path / "weights.npy"
    np.save(path, np.ones(3))
    model = make_model(0)
    before = snapshot(model)
    with pytest.raises(ValueError, match="single array, not an .npz archive"):
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


def test_parameters_named_like_savez_arguments_round_trip(tmp_path):
    path = tmp_path / "model.npz"
    nn.save(NamedLikeSavezArguments(0.0), path)
    loaded = NamedLikeSavezArguments(10.0)
    nn.load(loaded, path)
    np.testing.assert_array_equal(loaded.file.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(loaded.allow_pickle.numpy(), [[3.0]])
    with np.load(path, allow_pickle=False) as archive:  # still a plain .npz
        assert sorted(archive.files) == ["allow_pickle", "file", "format:version"]
