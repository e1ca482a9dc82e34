"""`InPlaceMethods`: ``t += x``, ``-=``, ``*=``, ``/=`` and ``t[index] = value``, PyTorch's rules.

The tensor object itself is updated (Python's ``+=`` does not rebind the name to a new
Tensor). Which way depends on whether the update has to be recorded:

- Not recorded (under ``no_grad()``, or when neither side requires grad): the values are
  written into the tensor's array, which views of it share, and its version is bumped, so
  a backward that saved the old values raises `InplaceModificationError`. This is the
  manual update ``with no_grad(): w -= lr * w.grad``.
- A leaf that requires grad, outside ``no_grad()``: refused (RuntimeError), as in PyTorch:
  its old value is what the gradient is taken with respect to.
- Otherwise (a tensor inside a graph): recorded as an op. The out-of-place result is
  computed from a stand-in for the old value, and the tensor takes the result's array and
  its place in the graph (PyTorch's "rebase": new = old op x); its version is bumped, so
  nodes that saved the old value raise at backward. The old array is left as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from .engine.tensor_base import TensorBase, bound
from .errors import ShapeError
from .grad_mode import is_grad_enabled
from .ops.indexing import SetItem
from .ops.shape import plain_index
from .tensor_args import TensorMixinBase

if TYPE_CHECKING:
    from .tensor import Tensor

# the tensor updated in place: what the operator gives back
_Self = TypeVar("_Self", bound=TensorMixinBase)


class InPlaceMethods(TensorMixinBase):
    """In-place arithmetic and item assignment (mixed into `Tensor`)."""

    __slots__ = ()

    def __iadd__(self: _Self, other: Any) -> _Self:
        return _update(self, other, np.add, "__add__", "+=")

    def __isub__(self: _Self, other: Any) -> _Self:
        return _update(self, other, np.subtract, "__sub__", "-=")

    def __imul__(self: _Self, other: Any) -> _Self:
        return _update(self, other, np.multiply, "__mul__", "*=")

    def __itruediv__(self: _Self, other: Any) -> _Self:
        return _update(self, other, np.true_divide, "__truediv__", "/=")

    def __setitem__(self, index: Any, value: Any) -> None:
        index = plain_index(index)
        if not isinstance(value, TensorBase):
            value = self._operand(value)
        if not _recorded(self, value, "t[index] = value"):
            _check_writable(self, "t[index] = value")
            try:
                self._data[index] = value._data
            except IndexError as exc:
                raise IndexError(
                    f"setitem: {exc} (tensor shape {self.shape}, index {index!r})"
                ) from None
            except ValueError as exc:
                raise ShapeError(
                    f"setitem: a value of shape {value.shape} does not fit t[{index!r}] of a "
                    f"tensor of shape {self.shape}: {exc}"
                ) from None
            self._mark_changed()
            return
        _rebase(self, SetItem.apply(_stand_in(self), value, index=index), "t[index] = value")


def _update(self: _Self, other: Any, ufunc: np.ufunc, operator: str, symbol: str) -> _Self:
    """``self <symbol> other`` in place, by the rules in the module docstring."""
    if not isinstance(other, TensorBase):
        try:
            other = self._operand(other)
        except (TypeError, ValueError) as exc:  # "update: cannot combine ..." -> "+=: ..."
            raise type(exc)(f"{symbol}: {str(exc).partition(': ')[2]}") from None
    if self._data.dtype == np.bool_:
        raise TypeError(
            f"{symbol}: a boolean Tensor (a comparison's result) has no in-place arithmetic; "
            f"convert it first, e.g. mask = mask * 1.0"
        )
    try:
        shape = np.broadcast_shapes(self.shape, other.shape)
    except ValueError:
        shape = None
    if shape != self.shape:
        outcome = "do not broadcast" if shape is None else f"give shape {shape}"
        raise ShapeError(
            f"{symbol}: shapes {self.shape} and {other.shape} {outcome}; an in-place update "
            f"must keep the tensor's shape {self.shape}"
        )
    if not _recorded(self, other, symbol):
        _check_writable(self, symbol)
        ufunc(self._data, other._data, out=self._data, casting="same_kind")
        self._mark_changed()
        return self
    _rebase(self, getattr(_stand_in(self), operator)(other), symbol)
    return self


def _recorded(self: TensorBase, other: TensorBase, symbol: str) -> bool:
    """Whether the update must be recorded; raises for a leaf that requires grad."""
    if not is_grad_enabled() or not (self.requires_grad or other.requires_grad):
        return False
    if self.requires_grad and self._node is None:
        raise RuntimeError(
            f"{symbol}: a leaf tensor that requires grad cannot be changed in place outside "
            "no_grad(): the gradient is taken with respect to its current value. For a "
            "parameter update write `with no_grad(): w -= lr * w.grad`; to build a new value "
            "write `w = w + ...` (a new tensor)"
        )
    return True


def _stand_in(self: TensorBase) -> Tensor:
    """A Tensor for the old value: the same array and place in the graph as ``self`` now."""
    old = bound.wrap(self._data, self.requires_grad)
    old._node, old._slot, old._base, old.label = self._node, self._slot, self._base, self.label
    old._version = self._version
    return old


def _rebase(self: TensorBase, result: Tensor, symbol: str) -> None:
    """``self`` becomes ``result`` (array, node, slot), with a new version."""
    if result.shape != self.shape:
        raise ShapeError(
            f"{symbol}: the result has shape {result.shape}, the tensor {self.shape}; an "
            "in-place update must keep the tensor's shape"
        )
    if self._data.dtype == np.bool_:
        raise TypeError(f"{symbol}: a boolean Tensor cannot take a value that requires grad")
    if result.dtype != self._data.dtype:  # float32 += float64 stays float32
        result = result._cast(self._data.dtype)
    # Only this tensor's version is bumped: the old array (shared by views and by the
    # stand-in the new node may have saved) is not written to.
    self._base = None
    self._mark_changed()
    self._data, self._node, self._slot = result._data, result._node, result._slot
    self._base = result._base
    self.requires_grad = result.requires_grad


def _check_writable(self: TensorBase, symbol: str) -> None:
    if not self._data.flags.writeable:
        raise ValueError(
            f"{symbol}: this tensor's array is read-only (a sliding-window view, or made from "
            "a read-only array), so it cannot be changed in place; write t = t + ... instead"
        )
