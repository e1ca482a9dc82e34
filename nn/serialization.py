"""Save and load a module (and its optimizer) as safetensors files shared with PyTorch.

The model file holds the module's `state_dict` (parameters and buffers) under PyTorch's
names (``"0.weight"``, ``"bn.running_mean"``), so the same architecture built with
``torch.nn`` loads it with ``model.load_state_dict(safetensors.torch.load_file(path),
strict=True)``, and a file PyTorch saved with ``safetensors.torch.save_file`` loads here.
With ``optimizer=``, the optimizer's state goes to a second file beside it,
`optimizer_path` (``model.safetensors`` -> ``model.optimizer.safetensors``): tensors
``state.INDEX.KEY`` and the parameter groups as JSON in the metadata. Both files carry the
same random checkpoint id, so a model and an optimizer file from different saves are not
loaded together. Old ``.npz`` files (``autograd_lite.nn/1``) still load.

Writes are atomic and safe (see `atomic_write`). Loads check the header of every file
against the model and the optimizer (names, shapes, dtypes, offsets, sizes) before reading
tensor data, then check the optimizer's state, and only then change anything.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import stat
from typing import Any

import numpy as np

from . import file_format, legacy_npz
from .atomic_write import replace_files
from .module import Module
from .optim import Optimizer

MODEL_WRITER = "autograd_lite.nn/2"
OPTIMIZER_WRITER = "autograd_lite.optim/2"
SUFFIX = ".safetensors"
OPTIMIZER_SUFFIX = ".optimizer.safetensors"
#: header bytes allowed: a base for metadata, plus this much per expected tensor
_HEADER_BASE, _HEADER_PER_ENTRY = 65536, 1024

PathLike = str | os.PathLike[str]


def optimizer_path(path: PathLike) -> str:
    """The optimizer file saved beside the model file ``path``.

    Example:
        >>> nn.serialization.optimizer_path("runs/model.safetensors")
        'runs/model.optimizer.safetensors'
        >>> nn.serialization.optimizer_path("weights")
        'weights.optimizer.safetensors'
    """
    path = os.fspath(path)
    stem = path[: -len(SUFFIX)] if path.endswith(SUFFIX) else path
    return stem + OPTIMIZER_SUFFIX


def _optimizer_tensors(optimizer: Optimizer) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    state_dict = optimizer.state_dict()
    tensors: dict[str, np.ndarray] = {}
    for index, entry in state_dict["state"].items():
        for key, value in entry.items():
            dtype = np.int64 if key == "step" else None
            tensors[f"state.{index}.{key}"] = np.asarray(value, dtype=dtype)
    groups = [
        {key: (list(value) if isinstance(value, tuple) else value) for key, value in g.items()}
        for g in state_dict["param_groups"]
    ]
    metadata = {
        "writer": OPTIMIZER_WRITER,
        "optimizer": type(optimizer).__name__,
        "param_groups": json.dumps(groups, allow_nan=False),
    }
    return tensors, metadata


def _checked_arrays(module: Module) -> dict[str, np.ndarray]:
    arrays = {name: np.asarray(value) for name, value in module.state_dict().items()}
    for name, array in arrays.items():
        try:
            file_format.code_of(array.dtype)
        except ValueError as exc:
            raise ValueError(f"save: entry {name!r}: {exc}") from None
    return arrays


def save(module: Module, path: PathLike, optimizer: Optimizer | None = None) -> None:
    """Write the module's state (and the optimizer's, to a second file) atomically.

    The model file is written exactly at ``path`` (no suffix added; ``.safetensors`` is the
    usual one). Through a symbolic link the link's target is written; an existing file keeps
    its permission bits; a path that is a directory, device or other non-regular file is
    refused. A save that fails or is killed leaves the old files as they were.

    Args:
        module: the model to save.
        path: destination file; its directory must exist.
        optimizer: also save this optimizer's state, to `optimizer_path` (path).

    Raises:
        FileNotFoundError: when the directory does not exist (the message names ``path``).
        ValueError: when ``path`` is not a regular file, or an array's dtype has no
            safetensors code.
        OSError: when writing fails (the old files stay intact).

    Example:
        >>> import os, tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "model.safetensors")
        ...     save(Linear(2, 1), path, optimizer=optim.SGD(Linear(2, 1).parameters()))
        ...     sorted(os.listdir(folder))
        ['model.optimizer.safetensors', 'model.safetensors']
    """
    path = os.fspath(path)
    checkpoint = secrets.token_hex(8)
    tensors = _checked_arrays(module)
    metadata = {"format": "pt", "writer": MODEL_WRITER, "checkpoint": checkpoint}
    files = [(path, lambda stream: file_format.write(stream, tensors, metadata))]
    if optimizer is not None:
        optimizer_tensors, optimizer_metadata = _optimizer_tensors(optimizer)
        optimizer_metadata["checkpoint"] = checkpoint
        files.append(
            (
                optimizer_path(path),
                lambda stream: file_format.write(stream, optimizer_tensors, optimizer_metadata),
            )
        )
    replace_files(files)


# ---------------------------------------------------------------------------- loading


def _open(path: str) -> io.BufferedReader:
    """Open a regular file for reading (ValueError for a directory, device or FIFO).

    Opened without blocking (a FIFO would wait for a writer) and checked on the open file
    itself, so it cannot be swapped for something else between the check and the read.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise FileNotFoundError(f"load: {path} does not exist") from None
    except IsADirectoryError:
        raise ValueError(f"load: {path} is not a regular file (a directory)") from None
    except OSError as exc:
        raise ValueError(f"load: cannot read {path} ({exc.strerror})") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise ValueError(f"load: {path} is not a regular file")
    return os.fdopen(descriptor, "rb")


def _read_checked(
    stream: io.BufferedIOBase, path: str, expected: dict[str, tuple[tuple[int, ...], np.dtype]]
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Check the header against ``expected`` (names, shapes, dtypes), then read the data."""

    def fits(entries: dict[str, file_format.Entry]) -> None:
        missing = [name for name in expected if name not in entries]
        unexpected = [name for name in entries if name not in expected]
        if missing or unexpected:
            parts = [f"missing keys {missing}"] * bool(missing)
            parts += [f"unexpected keys {unexpected}"] * bool(unexpected)
            raise KeyError(f"load: {path}: load_state_dict: {'; '.join(parts)}")
        for name, entry in entries.items():
            shape, dtype = expected[name]
            if entry.shape != tuple(shape):
                raise ValueError(
                    f"load: {path}: load_state_dict: {name!r} has shape {entry.shape}, the "
                    f"model {tuple(shape)}"
                )
            if entry.dtype is None or entry.dtype != dtype:  # (np.dtype(...) == None: float64)
                shown = entry.code if entry.dtype is None else entry.dtype
                raise ValueError(
                    f"load: {path}: load_state_dict: {name!r} has dtype {shown}, the model {dtype}"
                )

    limit = _HEADER_BASE + _HEADER_PER_ENTRY * len(expected)
    entries, metadata = file_format.read_header(stream, path, limit, fits)
    arrays = file_format.read_entries(stream, path, entries, metadata.get("sha256"))
    return arrays, metadata


def _optimizer_expected(optimizer: Optimizer) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    expected: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
    for index, param in enumerate(optimizer.params):
        for key in optimizer._state_names:
            if key == "step":
                expected[f"state.{index}.step"] = ((), np.dtype(np.int64))
            else:
                expected[f"state.{index}.{key}"] = (tuple(param.shape), param.dtype)
    return expected


def _read_optimizer(path: str, optimizer: Optimizer, checkpoint: str | None) -> dict[str, Any]:
    """The optimizer's state dict from its file, checked against the optimizer's shapes."""
    expected = _optimizer_expected(optimizer)
    with _open(path) as stream:
        limit = _HEADER_BASE + _HEADER_PER_ENTRY * len(expected) + 64 * len(optimizer.params)

        def fits(entries: dict[str, file_format.Entry]) -> None:
            for name, entry in entries.items():
                if name not in expected:
                    raise KeyError(f"load: {path}: unexpected optimizer entry {name!r}")
                shape, dtype = expected[name]
                if entry.shape != shape or entry.dtype is None or entry.dtype != dtype:
                    raise ValueError(
                        f"load: {path}: optimizer entry {name!r} has shape {entry.shape} and "
                        f"dtype {entry.dtype or entry.code}, expected {shape} and {dtype}"
                    )

        entries, metadata = file_format.read_header(stream, path, limit, fits)
        if metadata.get("writer") != OPTIMIZER_WRITER:
            raise ValueError(f"load: {path} is not an optimizer file of autograd_lite.nn")
        if metadata.get("optimizer") != type(optimizer).__name__:
            raise ValueError(
                f"load: {path} holds the state of {metadata.get('optimizer')!r}, not "
                f"{type(optimizer).__name__}"
            )
        if checkpoint is not None and metadata.get("checkpoint") != checkpoint:
            raise ValueError(
                f"load: {path} was not saved with the model file beside it (another save's "
                f"optimizer state)"
            )
        try:
            groups = json.loads(metadata.get("param_groups", ""))
        except (ValueError, RecursionError):
            raise ValueError(f"load: {path}: the param_groups metadata is not JSON") from None
        arrays = file_format.read_entries(stream, path, entries, metadata.get("sha256"))
    state: dict[int, dict[str, Any]] = {}
    for name, array in arrays.items():
        _, index, key = name.split(".", 2)
        state.setdefault(int(index), {})[key] = array
    return {"state": state, "param_groups": groups}


def _checked_optimizer(path: str, optimizer: Optimizer, state_dict: dict[str, Any]) -> Any:
    try:
        return optimizer.check_state_dict(state_dict)
    except (KeyError, ValueError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        raise type(exc)(f"load: {path}: {message}") from None


def load(module: Module, path: PathLike, optimizer: Optimizer | None = None) -> None:
    """Load a module's state (and its optimizer's), all-or-nothing.

    ``path`` is a safetensors file (written here or by PyTorch) or an old ``.npz``. Every
    header is checked first: each name (no missing, no unexpected), shape and dtype against
    the module, each offset against the file's size, so a hostile or mistaken file costs no
    memory. Then the data is read, the optimizer's state checked (hyperparameters as its
    constructor checks them), and only then are the module and the optimizer changed; on
    any error both stay as they were.

    Args:
        module: the model to fill; its state must match the file's.
        path: a file written by `save` (or by ``safetensors.torch.save_file``).
        optimizer: restore this optimizer's state too, from `optimizer_path` (path) (from
            the archive itself for an old ``.npz``).

    Raises:
        FileNotFoundError: when ``path`` (or, with ``optimizer``, its optimizer file) does
            not exist.
        KeyError: for missing or unexpected names (all listed), or an ``.npz`` without
            optimizer state.
        ValueError: for anything else: a malformed or truncated file, a shape, dtype or
            value that does not fit (the message names the file and the entry).

    Example:
        >>> import os, tempfile
        >>> model = Linear(2, 1)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "model.safetensors")
        ...     save(model, path)
        ...     load(model, path)
    """
    path = os.fspath(path)
    own = module.state_dict()
    expected = {name: (np.shape(value), np.asarray(value).dtype) for name, value in own.items()}
    with _open(path) as stream:
        magic = stream.read(4)
        stream.seek(0)
        try:
            if magic in legacy_npz.ZIP_MAGIC:
                params = optimizer.params if optimizer is not None else []
                old = legacy_npz.read(stream, path, expected, params)
                metadata: dict[str, str] = {}
                arrays, state_dict = old["model"], None
                if optimizer is not None:
                    state_dict = legacy_npz.optimizer_state(path, old["optimizer"], optimizer)
            else:
                arrays, metadata = _read_checked(stream, path, expected)
                state_dict = None
        except OSError as exc:
            raise ValueError(f"load: cannot read {path} ({exc})") from None
    checked = None
    if optimizer is not None:
        if state_dict is None:
            opt_path = optimizer_path(path)
            try:
                state_dict = _read_optimizer(opt_path, optimizer, metadata.get("checkpoint"))
            except OSError as exc:
                if isinstance(exc, FileNotFoundError):
                    raise
                raise ValueError(f"load: cannot read {opt_path} ({exc})") from None
            checked = _checked_optimizer(opt_path, optimizer, state_dict)
        else:
            checked = _checked_optimizer(path, optimizer, state_dict)
    try:
        module.load_state_dict(arrays, strict=True)
    except (KeyError, ValueError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        raise type(exc)(f"load: {path}: {message}") from None
    if optimizer is not None and checked is not None:
        optimizer.state, optimizer.param_groups = checked
