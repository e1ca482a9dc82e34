"""In-place safety: version stamps of Tensor data and fingerprints of arrays saved for backward.

Every assignment to a Tensor's ``.data``, and every in-place operator (``t += x``,
``t[i] = v``), takes a fresh stamp (``tensor._version``) and notes it in `mutations`;
every recorded op keeps the latest of them (``Context._stamp = mutations.last``). So
"modified after the op was recorded" is ``tensor._version > ctx._stamp``, an O(1) test that
`context.Context.check_unchanged` makes before a backward rule runs. Under
`detect_anomaly` the arrays the rule will read are also fingerprinted (CRC-32), which
catches writes like ``t.data[0] = 5`` that no counter sees.
"""

from __future__ import annotations

import itertools
import zlib
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InplaceModificationError

if TYPE_CHECKING:
    from .context import Context
    from .tensor_base import TensorBase


#: Source of version stamps: each assignment to a Tensor's ``.data`` takes the next number
#: as that tensor's ``_version``; a recorded op keeps the latest one given out
#: (`mutations`) as its ``Context._stamp``, so every later assignment is above it: "modified
#: after the op was recorded" is ``tensor._version > ctx._stamp``. (The op reads a number
#: instead of drawing one: no new integer per op.)
VERSION_STAMPS = itertools.count(1)


class _Mutations:
    """The stamp of the latest ``.data`` assignment of any tensor (shared by all threads)."""

    # a slot, not a class attribute: every recorded op's backward reads it, and a slot is
    # read by a specialised instruction (a class attribute through the generic lookup)
    __slots__ = ("last",)

    def __init__(self) -> None:
        self.last = 0


mutations = _Mutations()


def changed_since(tensor: TensorBase, stamp: float) -> bool:
    """True when the tensor, or the tensor whose array it views, was assigned after ``stamp``."""
    base = tensor._base
    return tensor._version > stamp or (base is not None and base._version > stamp)


def raise_modified(name: str, what: str, tensor: TensorBase) -> None:
    raise InplaceModificationError(
        f"{name}: {what} (shape {tensor.shape}), saved for backward, was modified in place "
        "after the forward pass (t.data = ..., t.data -= ..., t += ..., t[i] = ...) "
        "after this op was recorded, so the gradient would be wrong. Run backward before "
        "changing the values, or compute the new value out of place (t = t - ...)."
    )


def nothing() -> None:
    """Stands for a weak reference to an output that need not be watched."""
    return None


def checksum(array: np.ndarray) -> int:
    """CRC-32 of an array's bytes (and shape), for the in-place check under detect_anomaly."""
    contiguous = np.ascontiguousarray(array)
    return zlib.crc32(contiguous.view(np.uint8).reshape(-1).data, hash(contiguous.shape) & 0xFFFF)


def fingerprints(fn: Any, ctx: Context, results: tuple[TensorBase, ...]) -> tuple[Any, ...]:
    """(description, array, CRC-32) of every array the backward rule will read."""
    arrays: list[tuple[str, np.ndarray]] = []
    kind = "input" if fn.is_builtin else "saved value"
    for index, value in enumerate(ctx._saved or ()):
        array = getattr(value, "_data", value)
        if isinstance(array, np.ndarray):
            arrays.append((f"{kind} {index}", array))
    saves = getattr(fn, "saves_output", False)  # True, or the positions of those reused
    if saves:
        arrays.extend(
            (f"output {i}", r._data) for i, r in enumerate(results) if saves is True or i in saves
        )
    return tuple((what, array, checksum(array)) for what, array in arrays)
