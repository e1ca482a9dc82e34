"""`ShapeMethods`: the Tensor methods that rearrange elements without computing new values.

Each checks its arguments, naming itself and the shapes or values at fault, then applies
one op from ``ops/shape.py`` (or composes them: ``tile`` and ``repeat`` are a reshape, a
broadcast and a reshape). Names and arguments are NumPy's; PyTorch's names are aliases
with the same arguments, and ``dim=`` is accepted for ``axis=`` (see docs/tensor_ops_shape.md).
Cutting and picking (``[]``, split, chunk, take_along_axis, masked_fill), astype and
clone are in `tensor_index`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .engine.apply import apply_unary as _apply_unary
from .errors import ShapeError
from .ops import shape as ops
from .tensor_args import (
    TensorMixinBase,
    axis_or_dim,
    check_integers,
    is_int,
    normalize_axes,
    pad_pairs,
    shape_arguments,
    transpose_trap,
)

if TYPE_CHECKING:
    from .engine.tensor_base import TensorBase
    from .tensor import Tensor

Axes = int | tuple[int, ...] | None


class ShapeMethods(TensorMixinBase):
    """Reshaping, reordering, repeating, flipping and padding (mixed into `Tensor`)."""

    __slots__ = ()

    def reshape(self, *new_shape: int | tuple[int, ...]) -> Tensor:
        """Same data in a new shape (one dimension may be -1), like ndarray.reshape.

        ``view`` is the same method (PyTorch's name).

        Example:
            >>> Tensor([1.0, 2.0, 3.0, 4.0]).reshape(2, -1).shape
            (2, 2)
        """
        new_shape = shape_arguments(new_shape)
        check_integers("reshape", "the new shape", new_shape)
        return _apply_unary(ops.Reshape, self, shape=new_shape)

    view = reshape  # PyTorch's name, NumPy's arguments

    def transpose(self, *axes: int | tuple[int, ...]) -> Tensor:
        """Permute the axes (NumPy's meaning: a permutation of all axes); reversed when none.

        Raises:
            ShapeError: for two axes on a tensor of 2 or more dimensions: PyTorch's
                ``transpose(0, 1)`` swaps two axes, NumPy's is a full permutation (the
                identity on a matrix); the error says to write ``.T`` or ``swapaxes``.

        Example:
            >>> Tensor(np.zeros((2, 3, 4))).transpose(2, 0, 1).shape
            (4, 2, 3)
        """
        if len(axes) == 2 and self._data.ndim >= 2 and all(is_int(a) for a in axes):
            transpose_trap(self, axes)  # type: ignore[arg-type]
        return _permute(self, "transpose", shape_arguments(axes))

    def permute(self, *axes: int | tuple[int, ...]) -> Tensor:
        """Reorder the axes by a permutation of all of them (PyTorch's permute is NumPy's
        transpose, so ``permute(0, 1)`` on a matrix is the identity in both).

        Example:
            >>> Tensor(np.zeros((2, 3, 4))).permute(0, 2, 1).shape
            (2, 4, 3)
        """
        return _permute(self, "permute", shape_arguments(axes))

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        """Exchange two axes (PyTorch's ``transpose(a, b)``).

        Example:
            >>> Tensor(np.zeros((2, 3, 4))).swapaxes(0, 2).shape
            (4, 3, 2)
        """
        (first,) = normalize_axes("swapaxes", self.shape, (axis1,))
        (second,) = normalize_axes("swapaxes", self.shape, (axis2,))  # may be the same
        order = list(range(self._data.ndim))
        order[first], order[second] = second, first
        return _apply_unary(ops.Transpose, self, axes=tuple(order))

    def squeeze(self, axis: Axes = None, *, dim: Axes = None) -> Tensor:
        """Remove size-1 axes: all of them, or those in ``axis`` (each must have size 1).

        Raises:
            ShapeError: when an axis in ``axis`` is not of size 1 (PyTorch ignores it).

        Example:
            >>> Tensor(np.zeros((1, 3, 1))).squeeze().shape
            (3,)
        """
        axis = axis_or_dim("squeeze", axis, dim)
        if axis is not None:
            for ax in normalize_axes("squeeze", self.shape, axis):
                if self.shape[ax] != 1:
                    raise ShapeError(
                        f"squeeze: axis {ax} has size {self.shape[ax]}, not 1 (tensor shape "
                        f"{self.shape}); only size-1 axes can be removed"
                    )
        return _apply_unary(ops.Reshape, self, shape=np.squeeze(self._data, axis).shape)

    def expand_dims(self, axis: Axes = None, *, dim: Axes = None) -> Tensor:
        """Insert size-1 axes at the positions ``axis`` (int or tuple) of the result.

        ``unsqueeze`` is the same method (PyTorch's name).

        Example:
            >>> Tensor([1.0, 2.0]).expand_dims(0).shape
            (1, 2)
        """
        axis = axis_or_dim("expand_dims", axis, dim)
        if axis is None:
            raise TypeError("expand_dims: missing the axis (an int or a tuple of ints)")
        axes = (axis,) if is_int(axis) else tuple(axis)  # type: ignore[arg-type]
        result_shape = (1,) * (self._data.ndim + len(axes))
        normalize_axes("expand_dims", result_shape, axes)
        return _apply_unary(ops.Reshape, self, shape=np.expand_dims(self._data, axes).shape)

    unsqueeze = expand_dims  # PyTorch's name, NumPy's arguments

    def flatten(
        self,
        start_axis: int = 0,
        end_axis: int = -1,
        *,
        start_dim: int | None = None,
        end_dim: int | None = None,
    ) -> Tensor:
        """Merge the axes from ``start_axis`` to ``end_axis`` (inclusive) into one.

        PyTorch's flatten with NumPy's word ``axis``; a 0-d tensor becomes shape (1,).

        Example:
            >>> Tensor(np.zeros((2, 3, 4))).flatten(1).shape
            (2, 12)
        """
        start = axis_or_dim("flatten", start_axis, start_dim, 0, ("start_axis", "start_dim"))
        end = axis_or_dim("flatten", end_axis, end_dim, -1, ("end_axis", "end_dim"))
        shape = self.shape or (1,)
        (first,) = normalize_axes("flatten", shape, (start,))
        (last,) = normalize_axes("flatten", shape, (end,))
        if first > last:
            raise ShapeError(
                f"flatten: start_axis {start} comes after end_axis {end} for a tensor of "
                f"shape {self.shape}"
            )
        merged = math.prod(shape[first : last + 1])
        return _apply_unary(ops.Reshape, self, shape=shape[:first] + (merged,) + shape[last + 1 :])

    def broadcast_to(self, *shape: int | tuple[int, ...]) -> Tensor:
        """The tensor repeated along new or size-1 axes to ``shape`` (NumPy rules).

        ``expand`` is the same method (PyTorch's name; a size must be given, not -1).
        The gradient is summed back over the repeated axes.

        Example:
            >>> Tensor([1.0, 2.0]).broadcast_to(3, 2).shape
            (3, 2)
        """
        target = shape_arguments(shape)
        check_integers("broadcast_to", "the shape", target)
        if any(size < 0 for size in target):
            raise ShapeError(
                f"broadcast_to: sizes must be >= 0, got {target} (PyTorch's -1 for 'keep this "
                "size' is not supported: give the size)"
            )
        return _apply_unary(ops.BroadcastTo, self, shape=target)

    expand = broadcast_to  # PyTorch's name, NumPy's arguments

    def tile(self, *reps: int | tuple[int, ...]) -> Tensor:
        """The whole tensor repeated ``reps`` times along each axis (np.tile).

        Example:
            >>> Tensor([1.0, 2.0]).tile(2).numpy()
            array([1., 2., 1., 2.])
        """
        counts = shape_arguments(reps)
        check_integers("tile", "reps", counts)
        if any(count < 0 for count in counts):
            raise ShapeError(f"tile: reps must be >= 0, got {counts}")
        ndim = max(len(counts), self._data.ndim)
        shape = (1,) * (ndim - self._data.ndim) + self.shape
        counts = (1,) * (ndim - len(counts)) + counts
        # (s0, s1) -> (1, s0, 1, s1) -> (r0, s0, r1, s1) -> (r0 * s0, r1 * s1)
        spread = sum(((1, size) for size in shape), ())
        repeated = sum(((count, size) for count, size in zip(counts, shape)), ())
        result = tuple(count * size for count, size in zip(counts, shape))
        out = _apply_unary(ops.Reshape, self, shape=spread)
        out = _apply_unary(ops.BroadcastTo, out, shape=repeated)
        return _apply_unary(ops.Reshape, out, shape=result)

    def repeat(
        self,
        repeats: int | Sequence[int],
        axis: int | None = None,
        *,
        dim: int | None = None,
    ) -> Tensor:
        """Each element repeated ``repeats`` times along ``axis`` (np.repeat; flattened first
        when ``axis`` is None). ``repeats`` may give one count per element of the axis.

        Not PyTorch's ``repeat`` (that is `tile`); PyTorch's ``repeat_interleave`` is this.

        Example:
            >>> Tensor([1.0, 2.0]).repeat(2).numpy()
            array([1., 1., 2., 2.])
        """
        axis = axis_or_dim("repeat", axis, dim)
        source = self if axis is not None else _apply_unary(ops.Reshape, self, shape=(-1,))
        (ax,) = normalize_axes("repeat", source.shape, (0 if axis is None else axis,))
        counts = np.asarray(repeats)
        length = source.shape[ax]
        if counts.dtype.kind not in "iu" or counts.ndim > 1 or np.any(counts < 0):
            raise ShapeError(
                f"repeat: repeats must be counts >= 0 (an int or a list), got {repeats!r:.60}"
            )
        if counts.ndim == 1 and counts.size != length:
            raise ShapeError(
                f"repeat: {counts.size} counts for axis {ax} of length {length} (tensor shape "
                f"{source.shape}); give one count per element, or one int"
            )
        if counts.ndim == 0:  # the same count for every element: a broadcast
            count, shape = int(counts), source.shape
            out = ops.Reshape.apply(source, shape=shape[: ax + 1] + (1,) + shape[ax + 1 :])
            out = ops.BroadcastTo.apply(out, shape=shape[: ax + 1] + (count,) + shape[ax + 1 :])
            return ops.Reshape.apply(out, shape=shape[:ax] + (length * count,) + shape[ax + 1 :])
        index = np.repeat(np.arange(length), counts)
        return _apply_unary(ops.GetItem, source, index=(slice(None),) * ax + (index,))

    def pad(self, pad_width: Any, constant_values: float = 0.0) -> Tensor:
        """A border of ``constant_values`` around the tensor (np.pad, constant mode).

        Args:
            pad_width: ``n`` (every side of every axis), ``(before, after)`` (every axis),
                or one ``(before, after)`` pair per axis, first axis first.

        Raises:
            ShapeError: for negative or malformed widths. TypeError: for a non-number value.

        Example:
            >>> Tensor([1.0, 2.0]).pad(1).numpy()
            array([0., 1., 2., 0.])
        """
        pairs = pad_pairs(pad_width, self.shape)
        if isinstance(constant_values, bool) or not isinstance(constant_values, numbers.Real):
            raise TypeError(f"pad: constant_values must be one number, got {constant_values!r:.60}")
        return _apply_unary(ops.Pad, self, pad_width=pairs, value=float(constant_values))

    def flip(self, axis: Axes = None, *, dim: Axes = None) -> Tensor:
        """The elements in reverse order along ``axis`` (all axes when None), as np.flip.

        Example:
            >>> Tensor([1.0, 2.0, 3.0]).flip().numpy()
            array([3., 2., 1.])
        """
        axis = axis_or_dim("flip", axis, dim)
        if axis is not None:
            axes = (axis,) if is_int(axis) else tuple(axis)  # type: ignore[arg-type]
            axis = normalize_axes("flip", self.shape, axes)
        return _apply_unary(ops.Flip, self, axis=axis)


def _permute(tensor: TensorBase, name: str, axes: tuple[Any, ...]) -> Tensor:
    """Transpose by ``axes`` (all axes, or none for reversed), checked under ``name``."""
    if axes:
        check_integers(name, "axes", axes)
        ndim = tensor.ndim
        in_range = all(-ndim <= a < ndim for a in axes)
        if not in_range or sorted(a % ndim for a in axes) != list(range(ndim)):
            raise ShapeError(
                f"{name}: axes {axes} are not a permutation of the {ndim} axes of a tensor of "
                f"shape {tensor.shape}"
            )
    return ops.Transpose.apply(tensor, axes=axes or None)
