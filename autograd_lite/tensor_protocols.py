"""`ProtocolMethods`: how a Tensor meets NumPy and Python's other operators.

- ``np.asarray(t)`` / ``np.array(t)`` give the data (``__array__``).
- NumPy ufuncs (``__array_ufunc__``): ``ndarray <op> tensor`` makes NumPy call a ufunc
  (np.add for +, np.less for <, ...) with the tensor; the operators' ufuncs are answered
  by the Tensor's own operator (reflected), so the result is a Tensor with its gradient.
  Any other ufunc (``np.exp(t)``) raises a TypeError naming the Tensor method to use:
  NumPy would otherwise compute on the values and silently drop the graph.
- ``abs(t)``; ``~ & | ^`` on boolean Tensors (from comparisons), giving boolean Tensors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import DTypeLike

from .engine import provenance
from .engine.tensor_base import TensorBase, bound
from .errors import ShapeError
from .tensor_args import TensorMixinBase

if TYPE_CHECKING:
    from .tensor import Tensor

#: ufunc -> (the Tensor's operator when the tensor is on the left, when it is on the right)
_OPERATORS: dict[np.ufunc, tuple[str, str]] = {
    np.add: ("__add__", "__radd__"),
    np.subtract: ("__sub__", "__rsub__"),
    np.multiply: ("__mul__", "__rmul__"),
    np.true_divide: ("__truediv__", "__rtruediv__"),
    np.power: ("__pow__", "__rpow__"),
    np.matmul: ("__matmul__", "__rmatmul__"),
    np.less: ("__lt__", "__gt__"),
    np.less_equal: ("__le__", "__ge__"),
    np.greater: ("__gt__", "__lt__"),
    np.greater_equal: ("__ge__", "__le__"),
    np.equal: ("__eq__", "__eq__"),
    np.not_equal: ("__ne__", "__ne__"),
    np.bitwise_and: ("__and__", "__rand__"),
    np.bitwise_or: ("__or__", "__ror__"),
    np.bitwise_xor: ("__xor__", "__rxor__"),
}
#: ufuncs whose Tensor counterpart has another name
_COUNTERPARTS = {
    "absolute": "abs(t) or t.abs()",
    "negative": "-t",
    "maximum": "autograd_lite.maximum(a, b)",
    "minimum": "autograd_lite.minimum(a, b)",
    "invert": "~t (boolean tensors)",
    "logical_not": "~t (boolean tensors)",
    "logical_and": "a & b (boolean tensors)",
    "logical_or": "a | b (boolean tensors)",
    "logical_xor": "a ^ b (boolean tensors)",
}


class ProtocolMethods(TensorMixinBase):
    """NumPy conversion, NumPy ufuncs, ``abs()`` and boolean operators (mixed into `Tensor`)."""

    __slots__ = ()

    def __array__(self, dtype: DTypeLike | None = None, copy: bool | None = None) -> Any:
        """The data for ``np.asarray(t)`` / ``np.array(t)`` (no gradient goes with it)."""
        array = self._data
        if dtype is not None and np.dtype(dtype) != array.dtype:
            if copy is False:
                raise ValueError(f"__array__: converting {array.dtype} to {dtype} needs a copy")
            return array.astype(dtype)
        return array.copy() if copy else array

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        names = _OPERATORS.get(ufunc)
        if names is not None and method == "__call__" and not kwargs and len(inputs) == 2:
            left, right = inputs
            if left is self:
                return getattr(self, names[0])(right)
            return getattr(self, names[1])(left)
        raise TypeError(_ufunc_message(self, ufunc, method, kwargs))

    def __abs__(self) -> Tensor:
        return self.abs()

    def __invert__(self) -> Tensor:
        _check_boolean(self, "~")
        inverted = bound.wrap(~self._data, False)
        inverted._origin = self._origin  # a comparison's record goes on (engine.provenance)
        return inverted

    def __and__(self, other: Any) -> Tensor:
        return _logical(self, other, np.logical_and, "&")

    def __or__(self, other: Any) -> Tensor:
        return _logical(self, other, np.logical_or, "|")

    def __xor__(self, other: Any) -> Tensor:
        return _logical(self, other, np.logical_xor, "^")

    # the three are symmetric: `mask_array & t` and `True | t` land here
    __rand__ = __and__
    __ror__ = __or__
    __rxor__ = __xor__


def _check_boolean(tensor: TensorBase, symbol: str) -> None:
    if tensor._data.dtype != np.bool_:
        raise TypeError(
            f"{symbol}: only boolean Tensors (from comparisons such as t > 0) support ~ & | ^; "
            f"this one is {tensor._data.dtype}. For float masks use 1 - m, a * b, a + b - a * b"
        )


def _logical(tensor: TensorBase, other: Any, ufunc: np.ufunc, symbol: str) -> Any:
    """``tensor <symbol> other`` elementwise on booleans: a boolean Tensor, no gradient."""
    _check_boolean(tensor, symbol)
    other_data = np.asarray(other._data if isinstance(other, TensorBase) else other)
    if other_data.dtype != np.bool_:
        raise TypeError(f"{symbol}: the other operand must be boolean too, got {other_data.dtype}")
    try:
        result = ufunc(tensor._data, other_data)
    except ValueError:
        raise ShapeError(
            f"{symbol}: shapes {tensor.shape} and {other_data.shape} do not broadcast"
        ) from None
    combined = bound.wrap(np.asarray(result), False)
    combined._origin = provenance.cut(f"boolean {symbol}", (tensor, other))  # comparisons' records
    return combined


def _ufunc_message(tensor: TensorBase, ufunc: np.ufunc, method: str, kwargs: dict[str, Any]) -> str:
    """Why NumPy's ufunc was refused, and what to write instead."""
    name = ufunc.__name__
    call = f"np.{name}" if method == "__call__" else f"np.{name}.{method}"
    if "out" in kwargs:
        return (
            f"{call}(..., out=...) with a Tensor (e.g. ndarray += tensor): an ndarray cannot "
            "hold a Tensor's result. Write array = array + t.numpy() for the values, or keep a "
            "Tensor: t2 = array + t"
        )
    if name in _COUNTERPARTS:
        return f"{call}(t) on a Tensor: use {_COUNTERPARTS[name]} (it records the gradient)"
    if method == "__call__" and callable(getattr(type(tensor), name, None)):
        return f"{call}(t) on a Tensor: use t.{name}() (it records the gradient)"
    return (
        f"{call} does not take Tensors (NumPy would drop the gradient). Use the Tensor's "
        f"methods and operators, or {call}(t.numpy()) for the values alone"
    )
