"""Model files: atomic saves, no unpickling, damaged or hostile files leave the model unchanged."""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

import nn
from nn import serialization


def _model(seed: int) -> nn.Module:
    nn.manual_seed(seed)
    return nn.MLP([3, 4, 2])


def _snapshot(model: nn.Module) -> dict[str, np.ndarray]:
    return {name: array.copy() for name, array in model.state_dict().items()}


def _assert_unchanged(model: nn.Module, snapshot: dict[str, np.ndarray]) -> None:
    current = model.state_dict()
    assert current.keys() == snapshot.keys()
    for name, array in snapshot.items():
        np.testing.assert_array_equal(current[name], array)


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "model.npz"
    nn.save(_model(1), path)
    return path


def test_a_crash_in_the_middle_of_a_save_leaves_the_old_file_intact(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_bytes = saved.read_bytes()

    def crash_half_way(stream: io.BufferedWriter, array: np.ndarray, **options: object) -> None:
        stream.write(b"\x93NUMPY half an array")
        raise OSError("disk full")

    monkeypatch.setattr(serialization.np.lib.format, "write_array", crash_half_way)
    with pytest.raises(OSError, match="disk full"):
        nn.save(_model(2), saved)
    assert saved.read_bytes() == old_bytes
    assert os.listdir(saved.parent) == ["model.npz"]  # the temporary file was removed


def test_an_interrupt_during_a_save_leaves_the_old_file_intact(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_bytes = saved.read_bytes()

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        nn.save(_model(2), saved)
    assert saved.read_bytes() == old_bytes
    assert os.listdir(saved.parent) == ["model.npz"]


def test_a_good_file_round_trips(saved: Path) -> None:
    model = _model(3)
    nn.load(model, saved)
    _assert_unchanged(model, _snapshot(_model(1)))


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_a_truncated_file_raises_and_changes_nothing(saved: Path, keep: float) -> None:
    data = saved.read_bytes()
    saved.write_bytes(data[: int(len(data) * keep)])
    model = _model(3)
    before = _snapshot(model)
    with pytest.raises(ValueError, match=r"load: .*model.npz"):
        nn.load(model, saved)
    _assert_unchanged(model, before)


def test_corrupted_bytes_raise_and_change_nothing(saved: Path) -> None:
    data = bytearray(saved.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(16)  # zero 16 bytes inside a stored array
    saved.write_bytes(bytes(data))
    model = _model(3)
    before = _snapshot(model)
    with pytest.raises(ValueError, match="load"):
        nn.load(model, saved)
    _assert_unchanged(model, before)


def test_a_file_that_is_not_an_archive(tmp_path: Path) -> None:
    path = tmp_path / "noise.npz"
    path.write_bytes(np.random.default_rng(0).bytes(500))
    model = _model(3)
    before = _snapshot(model)
    with pytest.raises(ValueError, match="is not a readable .npz archive"):
        nn.load(model, path)
    _assert_unchanged(model, before)


class _Trap:
    """Unpickling this object writes a marker file: it must never happen."""

    marker = ""

    def __reduce__(self):  # noqa: ANN204 - pickle protocol
        return (Path.write_text, (Path(self.marker), "unpickled!"))


def test_a_hostile_pickle_inside_the_archive_is_never_unpickled(
    saved: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned.txt"
    trap = _Trap()
    trap.marker = str(marker)
    entries = dict(np.load(saved))
    with zipfile.ZipFile(saved, "w") as archive:
        for name, array in entries.items():
            if name == "0.weight":
                continue
            buffer = io.BytesIO()
            np.save(buffer, array)
            archive.writestr(f"{name}.npy", buffer.getvalue())
        hostile = io.BytesIO()
        np.save(hostile, np.array([trap], dtype=object), allow_pickle=True)
        archive.writestr("0.weight.npy", hostile.getvalue())  # replaces a parameter
    assert pickle.dumps(trap)  # the trap is a working pickle payload
    model = _model(3)
    before = _snapshot(model)
    with pytest.raises(ValueError):
        nn.load(model, saved)
    assert not marker.exists()
    _assert_unchanged(model, before)


def test_a_wrong_shape_in_a_later_entry_changes_nothing(saved: Path) -> None:
    entries = dict(np.load(saved))
    last = sorted(entries)[-1]
    entries[last] = np.zeros((7, 7))
    np.savez(saved, **entries)
    model = _model(3)
    before = _snapshot(model)
    with pytest.raises(ValueError, match=last.replace(".", r"\.")):
        nn.load(model, saved)
    _assert_unchanged(model, before)


def test_a_missing_entry_changes_nothing(saved: Path) -> None:
    entries = dict(np.load(saved))
    del entries["0.weight"]
    np.savez(saved, **entries)
    model = _model(3)
    before = _snapshot(model)
    with pytest.raises(KeyError, match="0.weight"):
        nn.load(model, saved)
    _assert_unchanged(model, before)
