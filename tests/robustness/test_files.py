"""Model files against hostile input and hostile places: every malformed header is a clear
ValueError (or KeyError) naming the file and the entry, costs no memory and changes
nothing; saves follow links, keep permissions, refuse non-regular files, survive crashes
and clean up after a killed writer."""

from __future__ import annotations

import io
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import nn
from nn import atomic_write, file_format

ROOT = Path(__file__).resolve().parents[2]


def _model(seed: int, sizes=(3, 4, 2)) -> nn.Module:
    nn.manual_seed(seed)
    return nn.MLP(list(sizes))


def _assert_unchanged(model: nn.Module, snapshot: dict[str, np.ndarray]) -> None:
    current = model.state_dict()
    assert current.keys() == snapshot.keys()
    for name, array in snapshot.items():
        np.testing.assert_array_equal(current[name], array)


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "model.safetensors"
    nn.save(_model(1), path)
    return path


def _header_and_data(path: Path) -> tuple[dict, bytes]:
    raw = path.read_bytes()
    length = int.from_bytes(raw[:8], "little")
    return json.loads(raw[8 : 8 + length]), raw[8 + length :]


def _file(header: object, data: bytes = b"", length: int | None = None) -> bytes:
    text = header if isinstance(header, (bytes, str)) else json.dumps(header)
    raw = text.encode() if isinstance(text, str) else text
    return (len(raw) if length is None else length).to_bytes(8, "little") + raw + data


def _load_fails(
    path: Path, match: str | None = None, error: type = ValueError, sizes=(3, 4, 2)
) -> None:
    """The load raises ``error`` naming the file, within 1 MB of memory, changing nothing."""
    model = _model(3, sizes)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.1)
    before = model.state_dict()
    tracemalloc.start()
    try:
        with pytest.raises(error, match=match) as caught:
            nn.load(model, path, optimizer=optimizer)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(caught.value) or nn.serialization.optimizer_path(path) in str(
        caught.value
    )
    assert peak < 1_000_000, f"the refused load allocated {peak} bytes"
    _assert_unchanged(model, before)
    assert optimizer.state == {} and optimizer.lr == 0.1


# ------------------------------------------------------------------ hostile and damaged files


def test_a_good_file_round_trips(saved: Path) -> None:
    model = _model(3)
    nn.load(model, saved)
    _assert_unchanged(model, _model(1).state_dict())


@pytest.mark.parametrize("keep", [0.0, 0.01, 0.1, 0.5, 0.9, 0.999])
def test_a_truncated_file_raises_and_changes_nothing(saved: Path, keep: float) -> None:
    data = saved.read_bytes()
    saved.write_bytes(data[: int(len(data) * keep)])
    _load_fails(saved)


def test_bytes_added_at_the_end_are_refused(saved: Path) -> None:
    saved.write_bytes(saved.read_bytes() + b"\0" * 8)
    _load_fails(saved, "the tensors end at byte")


def test_noise_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "noise.safetensors"
    path.write_bytes(np.random.default_rng(0).bytes(500))
    _load_fails(path)


def test_huge_declared_tensors_cost_no_memory(tmp_path: Path) -> None:
    # the case: a 2 MB file whose header declares tensors of terabytes
    header = {
        f"big.{i}": {"dtype": "F64", "shape": [2**20, 2**20], "data_offsets": [0, 8 * 2**40]}
        for i in range(3)
    }
    path = tmp_path / "hostile.safetensors"
    path.write_bytes(_file(header, b"\0" * 2_000_000))
    _load_fails(path, r"unexpected keys \['big.0', 'big.1', 'big.2'\]", error=KeyError)


def test_a_huge_tensor_with_the_models_names_is_refused_by_its_shape(saved: Path) -> None:
    header, data = _header_and_data(saved)
    header["0.weight"] = {"dtype": "F64", "shape": [2**30, 3], "data_offsets": [0, 24 * 2**30]}
    saved.write_bytes(_file(header, data))
    _load_fails(saved, "'0.weight'")


@pytest.mark.parametrize(
    "length, message",
    [(2**63, "declares a header of"), (10**7, "more than the"), (400, "in a")],
)
def test_a_bad_header_length_is_refused_before_reading(tmp_path, length, message) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(_file({}, b"", length=length))
    _load_fails(path, message)


def _mutations():
    def entry(field, value):
        def change(header):
            header["0.weight"][field] = value

        return change

    def put(key, value):
        def change(header):
            header[key] = value

        return change

    return [
        ("dtype-unknown", entry("dtype", "Q7"), "unknown dtype"),
        ("dtype-bf16", entry("dtype", "BF16"), "data_offsets"),
        ("shape-negative", entry("shape", [-4, 3]), "bad shape"),
        ("shape-bool", entry("shape", [True, 3]), "bad shape"),
        ("shape-float", entry("shape", [4.0, 3]), "bad shape"),
        ("shape-text", entry("shape", "4x3"), "bad shape"),
        ("shape-deep", entry("shape", [1] * 100), "bad shape"),
        ("offsets-short", entry("data_offsets", [0]), "bad data_offsets"),
        ("offsets-negative", entry("data_offsets", [-8, 88]), "bad data_offsets"),
        ("offsets-size", entry("data_offsets", [0, 8]), "need"),
        ("extra-field", entry("note", 1), "exactly"),
        ("not-a-dict", put("0.weight", [1, 2]), "exactly"),
        ("metadata-number", put("__metadata__", {"a": 1}), "__metadata__"),
        ("name-control", put("\x1b[31mred", {"dtype": "F64", "shape": [0],
                                              "data_offsets": [0, 0]}), "unprintable"),
        ("name-empty", put("", {"dtype": "F64", "shape": [0], "data_offsets": [0, 0]}), "empty"),
    ]  # fmt: skip


@pytest.mark.parametrize("change, message", [m[1:] for m in _mutations()],
                         ids=[m[0] for m in _mutations()])  # fmt: skip
def test_every_malformed_header_field_is_a_value_error(saved, change, message) -> None:
    header, data = _header_and_data(saved)
    change(header)
    saved.write_bytes(_file(header, data))
    _load_fails(saved, message)


def test_overlapping_tensors_are_refused(saved: Path) -> None:
    header, data = _header_and_data(saved)
    header["0.bias"]["data_offsets"] = list(header["0.weight"]["data_offsets"])
    header["0.bias"]["data_offsets"][1] = header["0.bias"]["data_offsets"][0] + 4 * 8
    saved.write_bytes(_file(header, data))
    _load_fails(saved, "overlaps|gap")


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"[" * 30_000 + b"]" * 30_000, "not a JSON object"),
        (b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "not valid JSON"),
        (b"{" + b" " * 100_000 + b"}", "more than the"),
        (b'{"x": NaN}', "does not allow"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b'{"a": {"dtype": "F64", "shape": [0], "data_offsets": [0, 0]}, "a": 1}', "twice"),
        (b'{"__metadata__": "x"}', "__metadata__"),
        (b"[1, 2]", "not a JSON object"),
    ],
)
def test_hostile_json_is_a_value_error(tmp_path, raw, message) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(_file(raw))
    _load_fails(path, message)


def test_a_bfloat16_file_from_pytorch_is_explained(tmp_path: Path) -> None:
    header = {"0.weight": {"dtype": "BF16", "shape": [4, 3], "data_offsets": [0, 24]}}
    path = tmp_path / "model.safetensors"
    path.write_bytes(_file(header, b"\0" * 24))
    model = _model(3)
    with pytest.raises(ValueError, match=r"'0.weight' has dtype BF16, the model float64"):
        _strict_names(model, path)


def _strict_names(model, path):
    # a file whose only entry has the wrong dtype: the names check lists the missing ones
    # first, so give it all of the model's names with this one in BF16
    arrays = model.state_dict()
    del arrays["0.weight"]
    with open(path, "wb") as stream:
        file_format.write(stream, arrays, {}, checksum=False)
    header, data = _header_and_data(path)
    header["0.weight"] = {
        "dtype": "BF16",
        "shape": [4, 3],
        "data_offsets": [len(data), len(data) + 24],
    }
    path.write_bytes(_file(header, data + b"\0" * 24))
    nn.load(model, path)


def test_a_directory_or_fifo_is_refused_as_a_file_to_load(tmp_path: Path) -> None:
    _load_fails(tmp_path, "not a regular file")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    _load_fails(fifo, "not a regular file")  # refused before open(): no blocking read


def test_a_hostile_optimizer_file_is_refused_and_nothing_changes(saved: Path) -> None:
    model = _model(1)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.1)
    nn.save(model, saved, optimizer=optimizer)  # no state yet: a file of metadata only
    optimizer_file = Path(nn.serialization.optimizer_path(saved))
    header, data = _header_and_data(optimizer_file)
    header["state.0.exp_avg"] = {"dtype": "F64", "shape": [2**20, 2**20],
                                 "data_offsets": [0, 8 * 2**40]}  # fmt: skip
    optimizer_file.write_bytes(_file(header, data))
    _load_fails(saved, "optimizer entry 'state.0.exp_avg'|end at byte")


# ------------------------------------------------------------------ old .npz files, hostile


class _Trap:
    """Unpickling this object writes a marker file: it must never happen."""

    marker = ""

    def __reduce__(self):  # noqa: ANN204 - pickle protocol
        return (Path.write_text, (Path(self.marker), "unpickled!"))


def _old_archive(path: Path, replace: dict[str, bytes] | None = None) -> None:
    import zipfile

    arrays = {"format:version": np.asarray("autograd_lite.nn/1"), **_model(1).state_dict()}
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.save(buffer, array)
            archive.writestr(f"{name}.npy", (replace or {}).get(name, buffer.getvalue()))


def test_a_hostile_pickle_inside_an_old_archive_is_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "pwned.txt"
    trap = _Trap()
    trap.marker = str(marker)
    hostile = io.BytesIO()
    np.save(hostile, np.array([trap], dtype=object), allow_pickle=True)
    path = tmp_path / "model.npz"
    _old_archive(path, {"0.weight": hostile.getvalue()})
    _load_fails(path, "0.weight")
    assert not marker.exists()


def test_an_old_archive_member_declaring_a_huge_array_costs_no_memory(tmp_path: Path) -> None:
    header = np.lib.format  # a hand-made .npy header: shape of a terabyte, 16 bytes of data
    buffer = io.BytesIO()
    header.write_array_header_1_0(
        buffer, {"descr": "<f8", "fortran_order": False, "shape": (2**20, 2**17)}
    )
    path = tmp_path / "model.npz"
    _old_archive(path, {"0.weight": buffer.getvalue() + b"\0" * 16})
    _load_fails(path, "'0.weight' has shape")


@pytest.mark.parametrize("keep", [0.2, 0.6, 0.95])
def test_a_truncated_old_archive_is_refused(tmp_path: Path, keep: float) -> None:
    path = tmp_path / "model.npz"
    _old_archive(path)
    path.write_bytes(path.read_bytes()[: int(path.stat().st_size * keep)])
    _load_fails(path)


# ------------------------------------------------------------------ where a save writes


def test_saving_through_a_symlink_writes_its_target(tmp_path: Path) -> None:
    target = tmp_path / "real.safetensors"
    nn.save(_model(0), target)
    link = tmp_path / "link.safetensors"
    link.symlink_to(target)
    nn.save(_model(5), link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    model = _model(1)
    nn.load(model, target)
    _assert_unchanged(model, _model(5).state_dict())


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o604])
def test_an_existing_file_keeps_its_permission_bits(saved: Path, mode: int) -> None:
    os.chmod(saved, mode)
    nn.save(_model(2), saved)
    assert stat.S_IMODE(saved.stat().st_mode) == mode


def test_a_new_file_gets_the_umask_permissions(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        nn.save(_model(2), tmp_path / "new.safetensors")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.safetensors").stat().st_mode) == 0o640


def test_a_directory_or_fifo_is_never_replaced(tmp_path: Path) -> None:
    directory = tmp_path / "folder"
    directory.mkdir()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for target, kind in ((directory, "a directory"), (fifo, "a FIFO")):
        with pytest.raises(ValueError, match=f"is {kind}, not a regular file"):
            nn.save(_model(0), target)
    assert directory.is_dir() and stat.S_ISFIFO(fifo.lstat().st_mode)
    assert sorted(os.listdir(tmp_path)) == ["folder", "pipe"]


def test_a_device_is_never_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    # as root, the old writer replaced /dev/null with a regular file; a rename here would
    # be that damage, so any rename fails the test before it can happen
    def no_rename(*args: object) -> None:
        raise AssertionError(f"os.replace{args} was called")

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(ValueError, match="/dev/null is a character device"):
        nn.save(_model(0), "/dev/null")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_the_directory_is_fsynced_after_the_rename(saved, monkeypatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor: int) -> None:
        kind = "directory" if stat.S_ISDIR(os.fstat(descriptor).st_mode) else "file"
        events.append(f"fsync {kind}")
        real_fsync(descriptor)

    def replace(source, target) -> None:
        events.append("rename")
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    nn.save(_model(2), saved, optimizer=nn.optim.SGD(_model(2).parameters()))
    assert events == ["fsync file", "fsync file", "rename", "rename", "fsync directory"]


def test_a_crash_in_the_middle_of_a_save_leaves_the_old_file_intact(saved, monkeypatch) -> None:
    old_bytes = saved.read_bytes()

    def crash_half_way(stream, tensors, metadata, checksum=True) -> None:
        stream.write(b"\0" * 1000)
        raise OSError("disk full")

    monkeypatch.setattr(file_format, "write", crash_half_way)
    with pytest.raises(OSError, match="disk full"):
        nn.save(_model(2), saved)
    assert saved.read_bytes() == old_bytes
    assert os.listdir(saved.parent) == ["model.safetensors"]  # the temporary file was removed


def test_an_interrupt_during_a_save_leaves_the_old_file_intact(saved, monkeypatch) -> None:
    old_bytes = saved.read_bytes()

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        nn.save(_model(2), saved)
    assert saved.read_bytes() == old_bytes
    assert os.listdir(saved.parent) == ["model.safetensors"]


def test_a_save_killed_midway_is_cleaned_by_the_next_save(tmp_path: Path) -> None:
    # a child process starts writing a 40 MB model and is killed with SIGKILL mid-write
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        import nn
        from nn import file_format
        real = file_format.write
        def slow(stream, tensors, metadata, checksum=True):
            stream.write(b"\\0" * 20_000_000)
            stream.flush()
            print("writing", flush=True)
            time.sleep(60)
        file_format.write = slow
        nn.save(nn.Linear(1000, 1000), {str(tmp_path / "model.safetensors")!r})
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    try:
        assert child.stdout.readline() == b"writing\n"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    leftovers = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    assert len(leftovers) == 1 and (tmp_path / leftovers[0]).stat().st_size >= 20_000_000
    nn.save(_model(0), tmp_path / "other.safetensors")  # any save to that directory
    assert sorted(os.listdir(tmp_path)) == ["other.safetensors"]


def test_a_running_writers_temporary_is_left_alone(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        name = f".model.safetensors.nn-save-{sleeper.pid}-0123abcd.tmp"
        (tmp_path / name).write_bytes(b"partial")
        other = ".notes.txt.tmp"  # not this writer's pattern
        (tmp_path / other).write_bytes(b"keep")
        nn.save(_model(0), tmp_path / "model.safetensors")
        assert name in os.listdir(tmp_path) and other in os.listdir(tmp_path)
        old = time.time() - 2 * atomic_write.STALE_SECONDS
        os.utime(tmp_path / name, (old, old))  # idle for two hours: stale after all
        nn.save(_model(0), tmp_path / "model.safetensors")
        assert name not in os.listdir(tmp_path) and other in os.listdir(tmp_path)
    finally:
        sleeper.kill()
        sleeper.wait()
