"""Registry entries for the shape and indexing Tensor operations (see `registry`).

Operations returning a list (split, chunk) are entered through a weighted concatenation
of the pieces, so each piece's gradient is checked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view as _np_windows

from ..functions import concatenate, sliding_window_view
from .op_entry import OpEntry


def _float_dtype(x: Any) -> Any:
    """float32 for float32 inputs, float64 for every other (bool masks are promoted)."""
    return np.float32 if x.dtype == np.float32 else np.float64


def _weighted_join(pieces: Sequence[Any], axis: int, join: Callable) -> Any:
    """The pieces scaled by 1, 2, 3, ... and joined again: a wrong piece gradient shows."""
    return join([piece * (i + 1) for i, piece in enumerate(pieces)], axis=axis)


def _chunk_reference(x: np.ndarray, n: int, axis: int) -> list[np.ndarray]:
    length = x.shape[axis]
    size = max(-(-length // n), 1)
    return np.split(x, list(range(size, length, size)), axis=axis)


def _flatten_reference(x: np.ndarray, start: int, end: int) -> np.ndarray:
    shape = x.shape or (1,)
    first, last = start % len(shape), end % len(shape)
    return x.reshape(shape[:first] + (-1,) + shape[last + 1 :])


def _method(name: str, kwargs: str, covers: str | None = None) -> OpEntry:
    """``x.name(**kwargs)`` against ``np.name(x, **kwargs)`` (same argument names)."""
    numpy_function = getattr(np, name if covers is None else covers)
    return OpEntry(
        name,
        lambda x, **options: getattr(x, name)(**options),
        lambda x, **options: numpy_function(x, **options),
        ("real",),
        covers=(f"Tensor.{name}",),
        kwargs=kwargs,
    )


SHAPE_ENTRIES: tuple[OpEntry, ...] = (
    _method("squeeze", "squeeze"),
    _method("expand_dims", "expand_dims"),
    _method("unsqueeze", "expand_dims", covers="expand_dims"),
    OpEntry(
        "flatten",
        lambda x, start, end: x.flatten(start, end),
        _flatten_reference,
        ("real",),
        covers=("Tensor.flatten",),
        kwargs="flatten",
    ),
    OpEntry(
        "swapaxes",
        lambda x, axes: x.swapaxes(*axes),
        lambda x, axes: np.swapaxes(x, *axes),
        ("real",),
        covers=("Tensor.swapaxes",),
        kwargs="swapaxes",
    ),
    OpEntry(
        "permute",
        lambda x, axes: x.permute(*(axes or ())),
        lambda x, axes: np.transpose(x, axes),
        ("real",),
        covers=("Tensor.permute",),
        kwargs="transpose",
    ),
    OpEntry(
        "view",
        lambda x, shape: x.view(shape),
        lambda x, shape: np.reshape(x, shape),
        ("real",),
        covers=("Tensor.view",),
        kwargs="reshape",
    ),
    OpEntry(
        "broadcast_to",
        lambda x, shape: x.broadcast_to(shape),
        lambda x, shape: np.broadcast_to(x, shape),
        ("real",),
        covers=("Tensor.broadcast_to",),
        kwargs="broadcast_to",
    ),
    OpEntry(
        "expand",
        lambda x, shape: x.expand(*shape),
        lambda x, shape: np.broadcast_to(x, shape),
        ("real",),
        covers=("Tensor.expand",),
        kwargs="broadcast_to",
    ),
    OpEntry(
        "tile",
        lambda x, reps: x.tile(reps),
        lambda x, reps: np.tile(x, reps),
        ("real",),
        covers=("Tensor.tile",),
        kwargs="tile",
    ),
    _method("repeat", "repeat"),
    OpEntry(
        "split",
        lambda x, sections, axis: _weighted_join(x.split(sections, axis), axis, concatenate),
        lambda x, sections, axis: _weighted_join(np.split(x, sections, axis), axis, np.concatenate),
        ("real",),
        covers=("Tensor.split",),
        kwargs="split",
    ),
    OpEntry(
        "chunk",
        lambda x, n, axis: _weighted_join(x.chunk(n, axis), axis, concatenate),
        lambda x, n, axis: _weighted_join(_chunk_reference(x, n, axis), axis, np.concatenate),
        ("real",),
        covers=("Tensor.chunk",),
        kwargs="chunk",
    ),
    OpEntry(
        "pad",
        lambda x, pad_width, constant_values: x.pad(pad_width, constant_values),
        lambda x, pad_width, constant_values: np.pad(x, pad_width, constant_values=constant_values),
        ("real",),
        covers=("Tensor.pad",),
        kwargs="pad",
    ),
    _method("flip", "flip"),
    OpEntry(
        "take_along_axis",
        lambda x, indices, axis: x.take_along_axis(indices, axis),
        lambda x, indices, axis: np.take_along_axis(x, indices, axis),
        ("real",),
        covers=("Tensor.take_along_axis",),
        kwargs="take_along_axis",
    ),
    OpEntry(
        "masked_fill",
        lambda x, mask, value: x.masked_fill(mask, value),
        lambda x, mask, value: np.where(mask, value, x).astype(x.dtype),
        ("real",),
        covers=("Tensor.masked_fill",),
        kwargs="masked_fill",
    ),
    OpEntry(
        # float32 inputs go up to float64 and back; float64 ones through two no-op casts
        # (a float64 -> float32 -> float64 trip would lose the precision gradcheck needs)
        "astype",
        lambda x: x.astype(np.float64).astype(_float_dtype(x)),
        lambda x: x.astype(np.float64).astype(_float_dtype(x)),
        ("real",),
        covers=("Tensor.astype",),
    ),
    OpEntry("clone", lambda x: x.clone(), np.copy, ("real",), covers=("Tensor.clone",)),
    OpEntry(
        "sliding_window_view",
        lambda x, window_shape, axis: sliding_window_view(x, window_shape, axis),
        lambda x, window_shape, axis: _np_windows(x, window_shape, axis),
        ("real",),
        covers=("autograd_lite.sliding_window_view",),
        kwargs="windows",
    ),
)
