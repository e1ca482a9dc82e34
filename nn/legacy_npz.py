"""Reading the ``.npz`` files of earlier versions (format tag ``autograd_lite.nn/1``).

Layout: one ``NAME.npy`` member per parameter under its dotted name, optimizer entries under
``optimizer:state.INDEX.KEY`` and ``optimizer:hyper.KEY``, the tag under ``format:version``.
Every member's ``.npy`` header (shape and dtype) is read and checked first, against the model
and optimizer given, and only then are arrays read, each exactly as large as its checked
header says: a member that declares a huge array is refused before any allocation. Nothing
is ever unpickled.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Mapping
from typing import Any, BinaryIO

import numpy as np

FORMAT_KEY = "format:version"
FORMAT_VERSION = "autograd_lite.nn/1"
OPTIMIZER_PREFIX = "optimizer:"
STATE_PREFIX = OPTIMIZER_PREFIX + "state."
HYPER_PREFIX = OPTIMIZER_PREFIX + "hyper."
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_MAX_MEMBERS = 100_000

Shapes = Mapping[str, tuple[tuple[int, ...], np.dtype]]


def _header(archive: zipfile.ZipFile, member: str) -> tuple[tuple[int, ...], np.dtype]:
    with archive.open(member) as stream:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    if dtype.hasobject:
        raise ValueError(f"entry {member[:-4]!r} holds Python objects (a pickle), never loaded")
    return tuple(shape), dtype


def _optimizer_shape(key: str, params: list[Any]) -> tuple[tuple[int, ...], int] | None:
    """The largest shape and item count allowed for an optimizer entry, None if malformed."""
    if key.startswith(HYPER_PREFIX):
        return (2,), 2  # a number, or a pair (betas)
    if key.startswith(STATE_PREFIX):
        index, _, name = key[len(STATE_PREFIX) :].partition(".")
        if index.isdecimal() and int(index) < len(params) and name:
            shape = tuple(params[int(index)].shape)
            return shape, math.prod(shape)
    return None


def read(stream: BinaryIO, path: str, expected: Shapes, params: list[Any]) -> dict[str, Any]:
    """The arrays of an old archive, checked against the model (and optimizer) first.

    Args:
        stream: the file, open for binary reading.
        path: its name, for messages.
        expected: the module's state: name -> (shape, dtype).
        params: the optimizer's parameters (their shapes bound its entries), or [].

    Returns:
        ``{"model": {name: array}, "optimizer": {key: array}}`` (optimizer keys without the
        ``optimizer:`` prefix).

    Raises:
        ValueError: for a damaged archive, a wrong tag, shape or dtype (naming the entry).
        KeyError: for missing or unexpected parameter names.
    """
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ValueError(f"load: {path} is not a readable .npz archive ({exc})") from None
    with archive:
        members = archive.namelist()
        if len(members) > _MAX_MEMBERS or not all(name.endswith(".npy") for name in members):
            raise ValueError(f"load: {path} is not a readable .npz archive of .npy members")
        names = [member[:-4] for member in members]
        headers: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
        try:
            for member, name in zip(members, names):
                headers[name] = _header(archive, member)
        except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
            raise ValueError(f"load: {path} is not a readable .npz archive ({exc})") from None
        tag = headers.get(FORMAT_KEY)
        if tag is None or tag[0] != () or tag[1].kind != "U" or tag[1].itemsize > 400:
            raise ValueError(
                f"load: {path} is not an autograd_lite.nn archive (no format tag "
                f"{FORMAT_KEY!r} {FORMAT_VERSION!r})"
            )
        model = [
            name for name in names if name != FORMAT_KEY and not name.startswith(OPTIMIZER_PREFIX)
        ]
        missing = [name for name in expected if name not in headers]
        unexpected = [name for name in model if name not in expected]
        problems = [f"missing keys {missing}"] * bool(missing)
        problems += [f"unexpected keys {unexpected}"] * bool(unexpected)
        if problems:
            raise KeyError(f"load: {path}: load_state_dict: {'; '.join(problems)}")
        for name in model:
            shape, dtype = headers[name]
            want_shape, want_dtype = expected[name]
            if shape != tuple(want_shape):
                raise ValueError(
                    f"load: {path}: load_state_dict: {name!r} has shape {shape}, the model "
                    f"{tuple(want_shape)}"
                )
            if dtype != want_dtype:
                raise ValueError(
                    f"load: {path}: load_state_dict: {name!r} has dtype {dtype}, the model "
                    f"{want_dtype}"
                )
        for name in names:
            if name.startswith(OPTIMIZER_PREFIX):
                bound = _optimizer_shape(name, params) if params else None
                if bound is None and params:
                    raise ValueError(f"load: {path} has a malformed optimizer entry {name!r}")
                if bound is not None and math.prod(headers[name][0]) > bound[1]:
                    raise ValueError(
                        f"load: {path}: optimizer entry {name!r} has shape {headers[name][0]}, "
                        f"larger than its parameter's {bound[0]}"
                    )
        wanted = [m for m, n in zip(members, names) if params or not n.startswith(OPTIMIZER_PREFIX)]
        arrays: dict[str, Any] = {}
        try:
            for member in wanted:
                with archive.open(member) as entry:
                    arrays[member[:-4]] = np.lib.format.read_array(entry, allow_pickle=False)
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"load: {path} is not a readable .npz archive ({exc})") from None
    if str(arrays.pop(FORMAT_KEY)) != FORMAT_VERSION:
        raise ValueError(
            f"load: {path} is not an autograd_lite.nn archive (format tag {FORMAT_KEY!r} is "
            f"not {FORMAT_VERSION!r})"
        )
    optimizer = {
        key[len(OPTIMIZER_PREFIX) :]: value
        for key, value in arrays.items()
        if key.startswith(OPTIMIZER_PREFIX)
    }
    model_arrays = {k: v for k, v in arrays.items() if not k.startswith(OPTIMIZER_PREFIX)}
    return {"model": model_arrays, "optimizer": optimizer}


def optimizer_state(path: str, entries: Mapping[str, Any], optimizer: Any) -> dict[str, Any]:
    """The state dict (one group) of an old archive's optimizer entries, in today's layout.

    Settings that did not exist then (``maximize``, ``amsgrad``) take the optimizer's
    defaults; a ``step`` count kept for an optimizer that no longer keeps one is dropped.
    """
    if not entries:
        raise KeyError(f"load: {path} holds no optimizer state")
    state: dict[int, dict[str, Any]] = {}
    hyper: dict[str, Any] = {}
    for key, value in entries.items():
        if key.startswith("hyper."):
            array = np.asarray(value)
            hyper[key[6:]] = tuple(array.tolist()) if array.ndim else array.item()
            continue
        index, _, name = key[len("state.") :].partition(".")
        if name in optimizer._state_names:
            state.setdefault(int(index), {})[name] = value
    count = len(optimizer.params)
    group = {**optimizer.defaults, **hyper, "params": list(range(count))}
    return {"state": state, "param_groups": [group]}
