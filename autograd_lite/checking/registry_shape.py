"""Registry entries for the shape, indexing and in-place Tensor operations (see `registry`).

Operations returning a list (split, chunk) are entered through a weighted concatenation
of the pieces, so each piece's gradient is checked; in-place operators and item assignment
act on a non-leaf copy of the first input (``x * 1.0``), where they are recorded as ops.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view as _np_windows

from ..functions import block_max, concatenate, sliding_window_view
from .op_entry import OpEntry


def _float_dtype(x: Any) -> Any:
    """float32 for float32 inputs, float64 for every other (bool masks are promoted)."""
    return np.float32 if x.dtype == np.float32 else np.float64


def _weighted_join(pieces: Sequence[Any], axis: int, join: Callable[..., Any]) -> Any:
    """The pieces scaled by 1, 2, 3, ... and joined again: a wrong piece gradient shows."""
    return join([piece * (i + 1) for i, piece in enumerate(pieces)], axis=axis)


def _chunk_reference(x: np.ndarray, n: int, axis: int) -> list[np.ndarray]:
    length = x.shape[axis]
    size = max(-(-length // n), 1)
    return np.split(x, list(range(size, length, size)), axis=axis)


def _block_max_reference(x: np.ndarray, block: tuple[int, ...]) -> np.ndarray:
    """The maximum of each whole block of the trailing axes, by reshaping."""
    lead, trailing = x.shape[: x.ndim - len(block)], x.shape[x.ndim - len(block) :]
    counts = [size // b for size, b in zip(trailing, block)]
    cut = x[(Ellipsis,) + tuple(slice(0, n * b) for n, b in zip(counts, block))]
    split = [d for n, b in zip(counts, block) for d in (n, b)]
    blocks = cut.reshape((*lead, *split))
    inner = tuple(len(lead) + 2 * k + 1 for k in range(len(block)))
    return np.asarray(blocks.max(axis=inner) if inner else blocks)


def _flatten_reference(x: np.ndarray, start: int, end: int) -> np.ndarray:
    shape = x.shape or (1,)
    first, last = start % len(shape), end % len(shape)
    return x.reshape(shape[:first] + (-1,) + shape[last + 1 :])


def _in_place(dunder: str) -> Callable[[Any, Any], Any]:
    def op(a: Any, b: Any) -> Any:
        out = a * 1.0  # not a leaf: the update is recorded (on a leaf it would be refused)
        return getattr(out, dunder)(b)

    return op


def _in_place_reference(ufunc: np.ufunc) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    # the update keeps the updated tensor's dtype: float32 /= a float64 stays float32
    return lambda a, b: np.asarray(ufunc(a, b)).astype(_float_dtype(a))


def _set_item(x: Any, value: Any, index: Any) -> Any:
    out = x * 1.0
    out[index] = value
    return out


def _set_item_reference(x: np.ndarray, value: np.ndarray, index: Any) -> np.ndarray:
    out = np.array(x)  # (a copy, also of a NumPy scalar)
    out[index] = value
    return out


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


def _logical(name: str, dunder: str, ufunc: np.ufunc) -> OpEntry:
    return OpEntry(
        name,
        lambda a, b: getattr(a > 0, dunder)(b > 0),
        lambda a, b: ufunc(a > 0, b > 0),
        ("real", "real"),
        covers=(f"Tensor.{dunder}",),
        shapes="broadcast",
        differentiable=False,
        twice_differentiable=False,
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
        lambda x, mask, value: np.asarray(np.where(mask, value, x), dtype=x.dtype),
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
    OpEntry(
        # distinct values: no ties, so the finite differences see one maximum per block
        "block_max",
        lambda x, block: block_max(x, block),
        _block_max_reference,
        ("distinct",),
        covers=("autograd_lite.block_max",),
        kwargs="blocks",
    ),
    OpEntry("abs_operator", abs, np.abs, ("distinct",), covers=("Tensor.__abs__",)),
    OpEntry(
        # `ndarray - tensor`: NumPy calls np.subtract, which Tensor.__array_ufunc__ answers
        # with the tensor's reflected operator
        "ndarray_sub",
        lambda x: np.full(x.shape, 2.0, dtype=_float_dtype(x)) - x,
        lambda x: np.full(x.shape, 2.0, dtype=_float_dtype(x)) - x,
        ("real",),
        covers=("Tensor.__array_ufunc__",),
    ),
    OpEntry(
        "iadd",
        _in_place("__iadd__"),
        _in_place_reference(np.add),
        ("real", "real"),
        ("Tensor.__iadd__",),
        "inplace",
    ),
    OpEntry(
        "isub",
        _in_place("__isub__"),
        _in_place_reference(np.subtract),
        ("real", "real"),
        ("Tensor.__isub__",),
        "inplace",
    ),
    OpEntry(
        "imul",
        _in_place("__imul__"),
        _in_place_reference(np.multiply),
        ("real", "real"),
        ("Tensor.__imul__",),
        "inplace",
    ),
    OpEntry(
        "itruediv",
        _in_place("__itruediv__"),
        _in_place_reference(np.divide),
        ("real", "nonzero"),
        covers=("Tensor.__itruediv__",),
        shapes="inplace",
    ),
    OpEntry(
        "setitem",
        _set_item,
        _set_item_reference,
        ("real", "real"),
        covers=("Tensor.__setitem__",),
        shapes="setitem",
    ),
    OpEntry(
        "invert",
        lambda x: ~(x > 0),
        lambda x: ~(x > 0),
        ("real",),
        covers=("Tensor.__invert__",),
        differentiable=False,
        twice_differentiable=False,
    ),
    _logical("logical_and", "__and__", np.logical_and),
    _logical("logical_or", "__or__", np.logical_or),
    _logical("logical_xor", "__xor__", np.logical_xor),
    _logical("logical_rand", "__rand__", np.logical_and),
    _logical("logical_ror", "__ror__", np.logical_or),
    _logical("logical_rxor", "__rxor__", np.logical_xor),
)
