"""`IndexMethods`: the Tensor methods that pick, cut, fill or convert elements.

``t[index]``, split and chunk, take_along_axis (PyTorch's gather), masked_fill, astype and
clone. Each checks its arguments, naming itself and the shapes or values at fault, then
applies one op from ``ops/``. Writing (``t[index] = value``) is in `tensor_inplace`.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .engine.apply import apply_unary as _apply_unary
from .engine.tensor_base import FLOAT_DTYPES, TensorBase
from .errors import ShapeError
from .ops import shape as ops
from .ops.elementwise import Cast, Where
from .ops.indexing import MaskedFill
from .tensor_args import TensorMixinBase, axis_or_dim, check_integers, is_int, normalize_axes

if TYPE_CHECKING:
    from .tensor import Tensor


class IndexMethods(TensorMixinBase):
    """Picking, cutting, filling and converting (mixed into `Tensor`)."""

    __slots__ = ()

    def __getitem__(self, index: Any) -> Tensor:
        return _apply_unary(ops.GetItem, self, index=index)

    def split(
        self,
        indices_or_sections: int | Sequence[int],
        axis: int = 0,
        *,
        dim: int | None = None,
    ) -> list[Tensor]:
        """Cut into pieces along ``axis`` (np.split): ``n`` equal sections, or at the indices.

        Not PyTorch's ``split`` (that takes piece sizes); `chunk` is PyTorch's chunk.

        Raises:
            ShapeError: when ``n`` sections do not divide the axis.

        Example:
            >>> [p.shape for p in Tensor(np.zeros((4, 3))).split(2)]
            [(2, 3), (2, 3)]
        """
        axis = axis_or_dim("split", axis, dim, 0)
        (ax,) = normalize_axes("split", self.shape, (axis,))
        length = self.shape[ax]
        if is_int(indices_or_sections):
            sections = int(indices_or_sections)  # type: ignore[arg-type]
            if sections <= 0 or length % sections:
                raise ShapeError(
                    f"split: axis {ax} of length {length} (tensor shape {self.shape}) does not "
                    f"divide into {sections} equal sections; give the cut indices, or use chunk"
                )
            cuts = tuple(length // sections * k for k in range(1, sections))
        else:
            cuts = tuple(indices_or_sections)  # type: ignore[arg-type]
            check_integers("split", "the cut indices", cuts)
        return list(ops.Split.apply(self, indices=cuts, axis=ax))

    def chunk(self, n: int, axis: int = 0, *, dim: int | None = None) -> list[Tensor]:
        """Cut into at most ``n`` pieces of ceil(length / n) along ``axis``, the last smaller
        (PyTorch's chunk: 5 elements in 3 chunks are 2, 2, 1).

        Example:
            >>> [p.shape for p in Tensor(np.zeros(5)).chunk(3)]
            [(2,), (2,), (1,)]
        """
        axis = axis_or_dim("chunk", axis, dim, 0)
        if not is_int(n) or n < 1:
            raise ShapeError(f"chunk: the number of chunks must be an int >= 1, got {n!r}")
        (ax,) = normalize_axes("chunk", self.shape, (axis,))
        length = self.shape[ax]
        size = max(-(-length // n), 1)
        return list(ops.Split.apply(self, indices=tuple(range(size, length, size)), axis=ax))

    def take_along_axis(
        self, indices: ArrayLike, axis: int | None = -1, *, dim: int | None = None
    ) -> Tensor:
        """Pick along ``axis`` by an index array of the tensor's ndim (np.take_along_axis,
        PyTorch's ``gather(dim, index)``); the other axes of ``indices`` broadcast.

        Args:
            indices: integers (an array, or a Tensor of whole numbers); negative ones count
                from the end. ``axis=None``: the tensor is flattened and indices are 1-D.

        Raises:
            TypeError: for non-integer indices. ShapeError: for indices of the wrong ndim or
                shape. IndexError: for an index out of range.

        Example:
            >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).take_along_axis(np.array([[1], [0]]), 1).numpy()
            array([[2.],
                   [3.]])
        """
        axis = axis_or_dim("take_along_axis", axis, dim, -1)
        index = _integer_array("take_along_axis", "indices", indices)
        source = self if axis is not None else _apply_unary(ops.Reshape, self, shape=(-1,))
        shape = source.shape
        (ax,) = normalize_axes("take_along_axis", shape, (0 if axis is None else axis,))
        if index.ndim != len(shape):
            raise ShapeError(
                f"take_along_axis: indices must have the tensor's {len(shape)} dimensions, got "
                f"{index.ndim} (indices shape {index.shape}, tensor shape {shape})"
            )
        for d, (n_index, n_tensor) in enumerate(zip(index.shape, shape)):
            if d != ax and n_index != n_tensor and 1 not in (n_index, n_tensor):
                raise ShapeError(
                    f"take_along_axis: indices shape {index.shape} does not broadcast with the "
                    f"tensor's shape {shape} on axis {d} (axis {ax} is the one picked along)"
                )
        length = shape[ax]
        if index.size and (index.min() < -length or index.max() >= length):
            raise IndexError(
                f"take_along_axis: indices must be in [{-length}, {length}) for axis {ax} of "
                f"length {length} (tensor shape {shape}); got min {index.min()}, max {index.max()}"
            )
        # the fancy index np.take_along_axis builds: `indices` on the axis, an arange on others
        fancy = tuple(
            index
            if d == ax
            else np.arange(n).reshape((1,) * d + (-1,) + (1,) * (len(shape) - d - 1))
            for d, n in enumerate(shape)
        )
        return _apply_unary(ops.GetItem, source, index=fancy)

    def masked_fill(self, mask: ArrayLike, value: Any) -> Tensor:
        """``value`` where ``mask`` is True, the tensor elsewhere; no gradient where filled.

        Args:
            mask: boolean, a Tensor (from a comparison) or an array, broadcastable to the
                tensor's shape.
            value: a number, or a 0-d Tensor (which then gets the gradient of the filled places).

        Raises:
            TypeError: for a non-boolean mask. ShapeError: for a mask that does not broadcast.

        Example:
            >>> x = Tensor([1.0, -2.0]); x.masked_fill(x < 0, 0.0).numpy()
            array([1., 0.])
        """
        array = np.asarray(mask._data if isinstance(mask, TensorBase) else mask)
        if array.dtype != np.bool_:
            raise TypeError(
                f"masked_fill: mask must be boolean (a comparison such as t > 0, or a bool "
                f"array), got dtype {array.dtype}"
            )
        try:
            fits = np.broadcast_shapes(array.shape, self.shape) == self.shape
        except ValueError:
            fits = False
        if not fits:
            raise ShapeError(
                f"masked_fill: mask shape {array.shape} does not broadcast to the tensor's "
                f"shape {self.shape}"
            )
        if isinstance(value, TensorBase):
            if value.ndim != 0:
                raise ShapeError(
                    f"masked_fill: value must be a number or 0-d, got shape {value.shape}"
                )
            if value.requires_grad:  # the filled places depend on it
                return Where.apply(array, self._operand(value), self)
            value = cast("Tensor", value).item()  # every TensorBase is a Tensor
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"masked_fill: value must be a number, got {value!r:.60}")
        return _apply_unary(MaskedFill, self, mask=array, value=float(value))

    def astype(self, dtype: DTypeLike) -> Tensor:
        """The tensor in another float dtype (float32 <-> float64); a copy.

        The gradient comes back in the input's dtype.

        Raises:
            TypeError: for any dtype other than float32 and float64.

        Example:
            >>> Tensor([1.5]).astype(np.float32).dtype
            dtype('float32')
        """
        try:
            target = np.dtype(dtype)
        except TypeError:
            target = None
        if target not in FLOAT_DTYPES:
            raise TypeError(
                f"astype: a Tensor holds float32 or float64, got dtype {dtype!r}; for an "
                "integer or boolean array use t.numpy().astype(...)"
            )
        return _apply_unary(Cast, self, dtype=target)

    def clone(self) -> Tensor:
        """A copy with its own array; the gradient passes through unchanged.

        Example:
            >>> x = Tensor([1.0]); y = x.clone(); y.numpy() is x.numpy()
            False
        """
        return _apply_unary(ops.Clone, self)


def _integer_array(name: str, what: str, values: Any) -> np.ndarray:
    """``values`` (an array, list or Tensor) as an integer array; floats must be whole."""
    array = np.asarray(values._data if isinstance(values, TensorBase) else values)
    if array.dtype.kind == "f" and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
        return array.astype(np.intp)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name}: {what} must be integers, got dtype {array.dtype}")
    return array
