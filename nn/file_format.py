"""The safetensors format, read and written directly, with every header field checked.

A file is: 8 bytes (little-endian unsigned length N), N bytes of UTF-8 JSON (the header),
then the tensors' bytes, little-endian and C-ordered. The header maps each tensor name to
``{"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}`` (offsets into the byte
buffer after the header) and may hold ``"__metadata__"``, a map of strings to strings. This
is the `safetensors` package's format, so PyTorch's ``safetensors.torch.load_file`` reads
what `write` writes, and `read_header` reads what it writes. `write` also records a SHA-256
of the tensor bytes in the metadata, which `read_entries` checks when it is there (a file
from PyTorch has none), so damaged data is found, not loaded.

`read_header` reads only the header, bounded by the caller's limit, and checks every field,
offset and size against the file before a single tensor byte is read: a file that declares
huge tensors is refused at no cost in memory.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

#: safetensors dtype codes that NumPy can hold, and their little-endian NumPy dtypes
NUMPY_DTYPES: dict[str, np.dtype[Any]] = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U64": np.dtype("<u8"),
    "U32": np.dtype("<u4"),
    "U16": np.dtype("<u2"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
#: codes of the format without a NumPy dtype (PyTorch's bfloat16 and float8 kinds): a header
#: naming them is readable, the tensor is not
OTHER_SIZES = {"BF16": 2, "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1, "F4": 1, "F6_E2M3": 1,
               "F6_E3M2": 1, "C64": 8}  # fmt: skip
CODES: dict[np.dtype[Any], str] = {
    dtype.newbyteorder("="): code for code, dtype in NUMPY_DTYPES.items()
}
#: the package's own limit on a header (the caller's is usually far lower)
MAX_HEADER_BYTES = 100_000_000
_MAX_NAME = 1024
_MAX_DIMENSIONS = 32


class FormatError(ValueError):
    """A file that is not a well-formed safetensors file (the message names file and entry)."""


@dataclass(frozen=True)
class Entry:
    """One tensor of a header: its name, format dtype code, shape and absolute byte range."""

    name: str
    code: str
    shape: tuple[int, ...]
    start: int
    stop: int

    @property
    def dtype(self) -> np.dtype | None:
        """The NumPy dtype (native byte order), or None for a code NumPy has no type for."""
        dtype = NUMPY_DTYPES.get(self.code)
        return None if dtype is None else dtype.newbyteorder("=")


def code_of(dtype: np.dtype) -> str:
    """The format's dtype code for a NumPy dtype (ValueError for one the format lacks)."""
    code = CODES.get(np.dtype(dtype).newbyteorder("="))
    if code is None:
        raise ValueError(f"dtype {dtype} cannot be stored in a safetensors file")
    return code


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise FormatError(f"the header names {key!r} twice")
        result[key] = value
    return result


def _refuse_constant(text: str) -> Any:
    raise FormatError(f"the header holds {text}, which JSON does not allow")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _entry(path: str, name: Any, fields: Any, base: int) -> Entry:
    if not isinstance(name, str) or not name or len(name) > _MAX_NAME or not name.isprintable():
        shown = name[:60] if isinstance(name, str) else name
        raise FormatError(f"{path}: a tensor name is empty, too long or unprintable: {shown!r}")
    where = f"{path}: entry {name!r}"
    if not isinstance(fields, dict) or set(fields) != {"dtype", "shape", "data_offsets"}:
        raise FormatError(f"{where} must have exactly 'dtype', 'shape' and 'data_offsets'")
    code, shape, offsets = fields["dtype"], fields["shape"], fields["data_offsets"]
    if code in NUMPY_DTYPES:
        itemsize = NUMPY_DTYPES[code].itemsize
    elif code in OTHER_SIZES:
        itemsize = OTHER_SIZES[code]
    else:
        raise FormatError(f"{where} has an unknown dtype {str(code)[:20]!r}")
    if not isinstance(shape, list) or len(shape) > _MAX_DIMENSIONS or not all(map(_whole, shape)):
        raise FormatError(f"{where} has a bad shape {str(shape)[:60]} (non-negative integers)")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(map(_whole, offsets)):
        raise FormatError(f"{where} has bad data_offsets {str(offsets)[:60]}")
    begin, end = offsets
    expected = math.prod(shape) * itemsize
    if end - begin != expected:
        raise FormatError(
            f"{where}: data_offsets {offsets} span {end - begin} bytes, but shape {shape} of "
            f"{code} needs {expected}"
        )
    return Entry(name, code, tuple(shape), base + begin, base + end)


def read_header(
    stream: io.BufferedIOBase,
    path: str,
    limit: int,
    expect: Callable[[dict[str, Entry]], None] | None = None,
) -> tuple[dict[str, Entry], dict[str, str]]:
    """Read and check the header of an open safetensors file; no tensor data is read.

    Args:
        stream: the file, opened for binary reading at its start.
        path: the file's name, for the messages.
        limit: the largest header (in bytes) accepted.
        expect: called with the entries once each is well-formed, before their offsets are
            checked against each other and the file (it raises for names, shapes or dtypes
            that do not fit what the caller loads: the clearer message comes first).

    Returns:
        (entries by name, metadata).

    Raises:
        FormatError: for anything malformed: the length, the JSON, a field, an offset that
            leaves a gap, overlaps or passes the end of the file.
    """
    size = os.fstat(stream.fileno()).st_size
    prefix = stream.read(8)
    if len(prefix) < 8:
        raise FormatError(f"{path}: {size} bytes is too short for a safetensors file")
    length = int.from_bytes(prefix, "little")
    if length > min(limit, MAX_HEADER_BYTES):
        raise FormatError(
            f"{path}: declares a header of {length} bytes, more than the {limit} this load "
            f"accepts (not a safetensors file, or not one for this model)"
        )
    if 8 + length > size:
        raise FormatError(f"{path}: declares a header of {length} bytes in a {size}-byte file")
    raw = stream.read(length)
    try:
        text = raw.decode("utf-8")
        if not text.startswith("{"):
            raise FormatError(f"{path}: the header is not a JSON object")
        header = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)
    except FormatError as exc:
        raise FormatError(str(exc) if str(exc).startswith(path) else f"{path}: {exc}") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FormatError(f"{path}: the header is not valid JSON ({str(exc)[:80]})") from None
    if not isinstance(header, dict):
        raise FormatError(f"{path}: the header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in metadata.items()
    ):
        raise FormatError(f"{path}: __metadata__ must map strings to strings")
    entries = {name: _entry(path, name, fields, 8 + length) for name, fields in header.items()}
    if expect is not None:
        expect(entries)
    position = 8 + length
    for entry in sorted(entries.values(), key=lambda e: (e.start, e.stop)):
        if entry.start != position:
            problem = "overlaps the one before" if entry.start < position else "leaves a gap"
            raise FormatError(f"{path}: entry {entry.name!r} {problem} (byte {entry.start})")
        position = entry.stop
    if position != size:
        raise FormatError(
            f"{path}: the tensors end at byte {position}, the file at {size} (truncated, or "
            f"bytes added)"
        )
    return entries, metadata


def read_entry(stream: io.BufferedIOBase, path: str, entry: Entry) -> np.ndarray:
    """The tensor of ``entry`` (whose header `read_header` checked), read into a new array,
    in the file's (little-endian) byte order."""
    if entry.dtype is None:
        raise FormatError(f"{path}: entry {entry.name!r} has dtype {entry.code}, which NumPy lacks")
    try:
        array = np.empty(entry.shape, NUMPY_DTYPES[entry.code])
    except MemoryError:
        raise FormatError(f"{path}: no memory for entry {entry.name!r} {entry.shape}") from None
    buffer = array.reshape(-1).view(np.uint8).data
    stream.seek(entry.start)
    done = 0
    while done < len(buffer):
        count = stream.readinto(buffer[done:])
        if not count:
            raise FormatError(f"{path}: entry {entry.name!r} is cut short (the file changed?)")
        done += count
    if entry.code == "BOOL" and np.any(array.view(np.uint8) > 1):
        raise FormatError(f"{path}: entry {entry.name!r} holds bytes that are not booleans")
    return array


def read_entries(
    stream: io.BufferedIOBase, path: str, entries: dict[str, Entry], checksum: str | None
) -> dict[str, np.ndarray]:
    """Every tensor of a checked header, in native byte order; with ``checksum`` (the
    SHA-256 that `write` puts in the metadata), the data must match it.

    Raises:
        FormatError: for a tensor cut short, or data that does not match the checksum.
    """
    digest = hashlib.sha256()
    arrays = {}
    for entry in sorted(entries.values(), key=lambda e: e.start):  # file order
        array = read_entry(stream, path, entry)
        digest.update(array.reshape(-1).view(np.uint8).data)
        arrays[entry.name] = array.astype(entry.dtype, copy=False)
    if checksum is not None and digest.hexdigest() != checksum:
        raise FormatError(
            f"{path}: the tensor data does not match its checksum (the file is damaged)"
        )
    return {name: arrays[name] for name in entries}


def _little(array: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))


def write(
    stream: BinaryIO,
    tensors: dict[str, np.ndarray],
    metadata: dict[str, str],
    checksum: bool = True,
) -> None:
    """Write ``tensors`` (name -> array) and ``metadata`` as a safetensors file.

    The tensors are laid out with the wider dtypes first (the order the package uses, which
    keeps each tensor aligned to its item size), names in the given order within a dtype.
    With ``checksum``, the metadata gets ``"sha256"``: the SHA-256 of the tensor bytes, which
    `read_entries` checks (other readers ignore it).
    """
    ordered = sorted(tensors.items(), key=lambda item: -item[1].dtype.itemsize)
    if checksum:
        digest = hashlib.sha256()
        for _, array in ordered:
            digest.update(_little(array).reshape(-1).view(np.uint8).data)
        metadata = {**metadata, "sha256": digest.hexdigest()}
    header: dict[str, Any] = {"__metadata__": metadata} if metadata else {}
    offset = 0
    for name, array in ordered:
        header[name] = {
            "dtype": code_of(array.dtype),
            "shape": list(array.shape),
            "data_offsets": [offset, offset + array.nbytes],
        }
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    raw = text.encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # pad to 8 bytes, as the package does: aligned tensors
    stream.write(len(raw).to_bytes(8, "little"))
    stream.write(raw)
    for _, array in ordered:
        stream.write(_little(array).reshape(-1).view(np.uint8).data)
