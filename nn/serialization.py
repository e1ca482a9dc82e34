"""Save and load a module (and optionally its optimizer) as a NumPy ``.npz`` archive.

Layout of the archive: one array per parameter under its dotted name (``"0.weight"``), so
``np.load(path)["0.weight"]`` works; optimizer entries under ``"optimizer:..."`` (a colon
cannot occur in a module's attribute names); the format tag under ``"format:version"``.

Writing goes to a temporary file in the destination directory, which is then renamed over
the destination (`os.replace`, atomic on POSIX and Windows): a crash or an error during the
write leaves the previous file as it was. Loading never unpickles (``allow_pickle=False``)
and checks every name, shape and dtype before the first parameter is changed.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from typing import Any

import numpy as np

from .module import Module
from .optim import Optimizer

FORMAT_KEY = "format:version"
FORMAT_VERSION = "autograd_lite.nn/1"
_OPTIMIZER_PREFIX = "optimizer:"
_STATE_PREFIX = _OPTIMIZER_PREFIX + "state."
_HYPER_PREFIX = _OPTIMIZER_PREFIX + "hyper."

PathLike = str | os.PathLike


def _flatten_optimizer(optimizer: Optimizer) -> dict[str, np.ndarray]:
    state_dict = optimizer.state_dict()
    arrays: dict[str, np.ndarray] = {}
    for index, entry in state_dict["state"].items():
        for key, value in entry.items():
            arrays[f"{_STATE_PREFIX}{index}.{key}"] = np.asarray(value)
    for key, value in state_dict["hyperparameters"].items():
        arrays[f"{_HYPER_PREFIX}{key}"] = np.asarray(value)
    return arrays


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_npz(stream: Any, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` as an uncompressed .npz (one ``NAME.npy`` member each), as np.savez.

    Written by hand rather than with ``np.savez(stream, **arrays)``, whose own keyword
    arguments (``file``, ``allow_pickle``) would clash with parameters of those names.
    """
    with zipfile.ZipFile(stream, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def save(module: Module, path: PathLike, optimizer: Optimizer | None = None) -> None:
    """Write the module's parameters (and the optimizer's state) to ``path`` atomically.

    The file is written exactly at ``path`` (no ``.npz`` suffix is added).

    Args:
        module: the model to save.
        path: destination file; its directory must exist.
        optimizer: also save this optimizer's step counts, buffers and hyperparameters.

    Raises:
        FileNotFoundError: when the directory does not exist (the message names ``path``).
        OSError: when the directory is not writable (the old file stays intact).

    Example:
        >>> import os, tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "model.npz")
        ...     save(Linear(2, 1), path)
        ...     load(Linear(2, 1), path)
    """
    arrays: dict[str, np.ndarray] = {FORMAT_KEY: np.asarray(FORMAT_VERSION)}
    arrays.update(module.state_dict())
    if optimizer is not None:
        arrays.update(_flatten_optimizer(optimizer))
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.exists(directory):
        raise FileNotFoundError(
            f"save: cannot write {path}: the directory {directory} does not exist"
        )
    handle, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory
    )
    try:
        os.chmod(temporary, 0o666 & ~_current_umask())  # mkstemp makes 0600; match open()
        with os.fdopen(handle, "wb") as stream:
            _write_npz(stream, arrays)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _read_archive(path: str) -> dict[str, np.ndarray]:
    """Every array of the archive, read fully (so a damaged member fails here)."""
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):  # a .npy file gives an ndarray
            raise ValueError("it holds a single array, not an .npz archive")
        with archive:
            return {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise ValueError(f"load: {path} is not a readable .npz archive ({exc})") from exc


def _unflatten_optimizer(path: str, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    hyperparameters: dict[str, Any] = {}
    for key, value in arrays.items():
        if key.startswith(_HYPER_PREFIX):
            hyperparameters[key[len(_HYPER_PREFIX) :]] = value
        elif key.startswith(_STATE_PREFIX):
            index, _, buffer = key[len(_STATE_PREFIX) :].partition(".")
            if not index.isdigit() or not buffer:
                raise ValueError(f"load: {path} has a malformed optimizer entry {key!r}")
            state.setdefault(int(index), {})[buffer] = value
        else:
            raise ValueError(f"load: {path} has an unknown optimizer entry {key!r}")
    return {"state": state, "hyperparameters": hyperparameters}


def load(module: Module, path: PathLike, optimizer: Optimizer | None = None) -> None:
    """Load parameters (and optimizer state) from ``path``, all-or-nothing.

    The whole file is read and checked first: the format tag, every parameter name (no
    missing, no unexpected), every shape and dtype, and, with ``optimizer``, its state. Only
    then are the module and the optimizer changed; on any error both stay as they were.

    Args:
        module: the model to fill; its parameters must match the file's.
        path: an archive written by `save`.
        optimizer: restore this optimizer's state too (the file must contain one).

    Raises:
        FileNotFoundError: when ``path`` does not exist.
        ValueError: for a corrupted/truncated file, a wrong format tag, or a shape, dtype or
            value mismatch (the message names the entry).
        KeyError: for missing or unexpected parameter names or optimizer entries.

    Example:
        >>> import os, tempfile
        >>> model = Linear(2, 1)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "model.npz")
        ...     save(model, path)
        ...     load(model, path)
    """
    path = os.fspath(path)
    arrays = _read_archive(path)
    version = arrays.pop(FORMAT_KEY, None)
    if version is None or version.shape != () or str(version) != FORMAT_VERSION:
        raise ValueError(
            f"load: {path} is not an autograd_lite.nn archive (format tag {FORMAT_KEY!r} "
            f"is {None if version is None else str(version)!r}, expected {FORMAT_VERSION!r})"
        )
    optimizer_arrays = {k: v for k, v in arrays.items() if k.startswith(_OPTIMIZER_PREFIX)}
    module_arrays = {k: v for k, v in arrays.items() if not k.startswith(_OPTIMIZER_PREFIX)}
    try:
        updates = module.check_state_dict(module_arrays, strict=True)
    except (KeyError, ValueError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        raise type(exc)(f"load: {path}: {message}") from None
    optimizer_state = None
    if optimizer is not None:
        if not optimizer_arrays:
            raise KeyError(f"load: {path} holds no optimizer state")
        flat = _unflatten_optimizer(path, optimizer_arrays)
        try:
            optimizer_state = optimizer.check_state_dict(flat)
        except (KeyError, ValueError) as exc:
            message = exc.args[0] if exc.args else str(exc)
            raise type(exc)(f"load: {path}: {message}") from None
    # everything checked: now change the module and the optimizer
    for param, array in updates:
        param.data = array.copy()
    if optimizer is not None and optimizer_state is not None:
        optimizer.state, optimizer.hyperparameters = optimizer_state
