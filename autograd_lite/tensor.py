"""`Tensor`: a NumPy array that records the operations applied to it.

This file holds construction, dtype rules, attributes and the operators; each operator
calls an op class from ``ops/`` where the forward rule and its derivative sit together.
"""

from __future__ import annotations

import numbers
import sys
from collections.abc import Sequence
from typing import Any, Union

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .engine import provenance
from .engine.apply import apply_binary as _apply_binary
from .engine.apply import apply_unary as _apply_unary
from .engine.backward import run_backward
from .engine.tensor_base import TensorBase, bind_tensor_class, float_array
from .errors import ShapeError
from .ops import elementwise as ew
from .ops import linalg, nonlinear, reduce
from .tensor_hooks import HookMethods
from .tensor_index import IndexMethods
from .tensor_inplace import InPlaceMethods
from .tensor_math import MathMethods
from .tensor_protocols import ProtocolMethods
from .tensor_shape import ShapeMethods

Operand = Union["Tensor", np.ndarray, float, int]


class Tensor(
    MathMethods,
    ShapeMethods,
    IndexMethods,
    InPlaceMethods,
    ProtocolMethods,
    HookMethods,
    TensorBase,
):
    """A float32/float64 NumPy array that records how it was computed.

    Args:
        data: anything `np.asarray` takes: numbers, nested lists, arrays. float32 data stays
            float32; every other numeric dtype becomes float64.
        requires_grad: record operations on this tensor and give it a ``.grad``.
        dtype: force float32 or float64.

    Raises:
        TypeError: for strings, objects, complex numbers or a non-float ``dtype``.

    Example:
        >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad.numpy()          # 2x
        array([2., 4., 6.])
    """

    __slots__ = ()

    def __init__(
        self, data: ArrayLike, requires_grad: bool = False, dtype: DTypeLike | None = None
    ) -> None:
        self._data = float_array(data, dtype)
        self._version = 0
        self._base = None
        if isinstance(data, Tensor) and self._data is data._data:  # shares the array
            self._base = data if data._base is None else data._base
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.label = ""
        self._node = None
        self._slot = 0
        self._origin = None
        if isinstance(data, Tensor) and (data.requires_grad or data._origin is not None):
            self._origin = provenance.cut("Tensor(t)", (data,))  # a copy outside the graph

    # ---------------------------------------------------------------- attributes
    @property
    def T(self) -> Tensor:  # noqa: N802 - NumPy's name
        """All axes reversed, as ndarray.T."""
        return self.transpose()

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` on a leaf tensor in place and return it."""
        if not self.is_leaf and not requires_grad:
            raise RuntimeError("requires_grad_: only leaf tensors can stop requiring grad")
        if requires_grad and self._data.dtype.kind != "f":
            raise TypeError(
                f"requires_grad_: only float tensors can require grad, not {self.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor: it has no first axis (use .item())")
        return len(self._data)

    def __repr__(self) -> str:
        body = np.array2string(self._data, precision=4, separator=", ", threshold=20)
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self._node is not None:
            extra = f", grad_fn={self._node.name}"
        dtype = "" if self.dtype == np.float64 else f", dtype={self.dtype}"
        return f"Tensor({body}{dtype}{extra})"

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ValueError(
                f"bool: the truth value of a Tensor of shape {self.shape} is ambiguous; "
                "use .any() or .all() on .numpy()"
            )
        return bool(self._data)

    __hash__ = object.__hash__  # identity, as PyTorch; == is elementwise

    # ---------------------------------------------------------------- conversion
    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self._data

    def item(self) -> float:
        """The single element as a Python number; raises for tensors with more elements."""
        if self._data.size != 1:
            raise ValueError(
                f"item: only a single-element tensor has one item, got shape {self.shape}"
            )
        return self._data.item()

    def __float__(self) -> float:
        return float(self._single_element("float"))

    def __int__(self) -> int:
        return int(self._single_element("int"))

    def _single_element(self, name: str) -> Any:
        if self._data.size != 1:
            raise TypeError(
                f"{name}: only a single-element tensor converts to a Python number, got shape "
                f"{self.shape}"
            )
        return self._data.item()

    def detach(self) -> Tensor:
        """A tensor sharing this data but cut from the graph (requires_grad False)."""
        detached = Tensor._wrap(self._data, False)
        detached._base = self if self._base is None else self._base  # shares the array
        if self.requires_grad or self._origin is not None:  # for diagnose_grads
            detached._origin = provenance.cut("detach()", (self,))
        return detached

    def _operand(self, other: Any) -> Tensor:
        """Turn the other side of a binary operator into a Tensor.

        Python numbers take this tensor's dtype, so ``x32 * 2.0`` stays float32 (float64
        when this tensor is a bool mask: ``mask * 2.0`` is 0.0 / 2.0, not True).
        """
        if isinstance(other, Tensor):
            return other
        if isinstance(other, numbers.Number) and not isinstance(other, complex):
            dtype = self._data.dtype
            return Tensor._wrap(
                np.asarray(other, dtype=dtype if dtype.kind == "f" else np.float64), False
            )
        try:
            return Tensor(other)
        except (TypeError, ValueError) as exc:
            # cold path: name the operator that was called, e.g. "__add__" -> "add"
            operator = sys._getframe(1).f_code.co_name.strip("_")
            raise type(exc)(
                f"{operator}: cannot combine a Tensor of shape {self.shape} with "
                f"{type(other).__name__} {other!r:.60}: {exc}"
            ) from None

    def _sum_to(self, shape: tuple[int, ...]) -> Tensor:
        return _apply_unary(reduce.SumTo, self, shape=shape)

    def _cast(self, dtype: np.dtype) -> Tensor:
        return _apply_unary(ew.Cast, self, dtype=dtype)

    # ---------------------------------------------------------------- arithmetic
    # [fast path: direct operators] the operators call the engine's `apply` directly and
    # convert only non-Tensor operands.
    def __add__(self, other: Operand) -> Tensor:
        if not isinstance(other, Tensor):
            other = self._operand(other)
        return _apply_binary(ew.Add, self, other)

    def __radd__(self, other: Operand) -> Tensor:
        if not isinstance(other, Tensor):
            other = self._operand(other)
        return _apply_binary(ew.Add, other, self)

    def __sub__(self, other: Operand) -> Tensor:
        if not isinstance(other, Tensor):
            other = self._operand(other)
        return _apply_binary(ew.Sub, self, other)

    def __rsub__(self, other: Operand) -> Tensor:
        if not isinstance(other, Tensor):
            other = self._operand(other)
        return _apply_binary(ew.Sub, other, self)

    def __mul__(self, other: Operand) -> Tensor:
        if not isinstance(other, Tensor):
            other = self._operand(other)
        return _apply_binary(ew.Mul, self, other)

    def __rmul__(self, other: Operand) -> Tensor:
        if not isinstance(other, Tensor):
            other = self._operand(other)
        return _apply_binary(ew.Mul, other, self)

    def __truediv__(self, other: Operand) -> Tensor:
        if not isinstance(other, Tensor):
            other = self._operand(other)
        return _apply_binary(ew.Div, self, other)

    def __rtruediv__(self, other: Operand) -> Tensor:
        if not isinstance(other, Tensor):
            other = self._operand(other)
        return _apply_binary(ew.Div, other, self)

    def __pow__(self, exponent: Operand) -> Tensor:
        if isinstance(exponent, numbers.Real) and not isinstance(exponent, bool):
            return _apply_unary(ew.PowConst, self, exponent=float(exponent))
        return ew.Pow.apply(self, self._operand(exponent))

    def __rpow__(self, base: Operand) -> Tensor:
        return ew.Pow.apply(self._operand(base), self)

    def __matmul__(self, other: Operand) -> Tensor:
        return linalg.MatMul.apply(self, as_tensor(other))

    def __rmatmul__(self, other: Operand) -> Tensor:
        return linalg.MatMul.apply(as_tensor(other), self)

    def __neg__(self) -> Tensor:
        return _apply_unary(ew.Neg, self)

    # ---------------------------------------------------------------- comparisons
    def _compare(self, other: Any, ufunc: np.ufunc, symbol: str) -> Tensor:
        other_data = self._operand(other)._data
        try:
            result = ufunc(self._data, other_data)
        except ValueError:
            raise ShapeError(
                f"{symbol}: shapes {self.shape} and {np.shape(other_data)} do not broadcast"
            ) from None
        compared = Tensor._wrap(result, False)
        if _in_or_from_graph(self) or isinstance(other, Tensor) and _in_or_from_graph(other):
            compared._origin = provenance.cut(f"comparison {symbol}", (self, other))
        return compared

    # ignore[misc]: mypy calls these "unsafely overlapping" with the reflected dunders of
    # ndarray and float in Operand; no annotation avoids that while ndarray stays an operand.
    def __lt__(self, other: Operand) -> Tensor:  # type: ignore[misc]
        return self._compare(other, np.less, "<")

    def __le__(self, other: Operand) -> Tensor:  # type: ignore[misc]
        return self._compare(other, np.less_equal, "<=")

    def __gt__(self, other: Operand) -> Tensor:  # type: ignore[misc]
        return self._compare(other, np.greater, ">")

    def __ge__(self, other: Operand) -> Tensor:  # type: ignore[misc]
        return self._compare(other, np.greater_equal, ">=")

    # ignore[override]: == and != return an elementwise bool Tensor (as NumPy and PyTorch
    # do), not the bool that object.__eq__ promises.
    def __eq__(self, other: object) -> Tensor:  # type: ignore[override]
        if other is None:  # identity, so `x == None` and `None in [x]` do not raise
            return NotImplemented
        return self._compare(other, np.equal, "==")

    def __ne__(self, other: object) -> Tensor:  # type: ignore[override]
        if other is None:
            return NotImplemented
        return self._compare(other, np.not_equal, "!=")

    # ---------------------------------------------------------------- elementwise functions
    def exp(self) -> Tensor:
        """e ** x elementwise."""
        return _apply_unary(nonlinear.Exp, self)

    def log(self) -> Tensor:
        """Natural log elementwise (-inf at 0 and nan below, as NumPy and PyTorch)."""
        return _apply_unary(nonlinear.Log, self)

    def sqrt(self) -> Tensor:
        """Square root elementwise."""
        return _apply_unary(nonlinear.Sqrt, self)

    def abs(self) -> Tensor:
        """Absolute value; its derivative at 0 is taken as 0."""
        return _apply_unary(nonlinear.Abs, self)

    def tanh(self) -> Tensor:
        """Hyperbolic tangent elementwise."""
        return _apply_unary(nonlinear.Tanh, self)

    def sigmoid(self) -> Tensor:
        """Logistic function 1 / (1 + e**-x), computed without overflow."""
        return _apply_unary(nonlinear.Sigmoid, self)

    def softplus(self) -> Tensor:
        """log(1 + e**x) elementwise, without overflow; its derivative is sigmoid(x)."""
        return _apply_unary(nonlinear.Softplus, self)

    def relu(self) -> Tensor:
        """max(x, 0) elementwise; relu'(0) = 0."""
        return _apply_unary(nonlinear.ReLU, self)

    # ---------------------------------------------------------------- backward
    def backward(
        self,
        grad: Operand | None = None,
        retain_graph: bool = False,
        create_graph: bool = False,
        inputs: Tensor | Sequence[Tensor] | None = None,
    ) -> None:
        """Accumulate d self / d leaf into ``leaf.grad`` for every leaf that requires grad.

        Args:
            grad: the gradient of some final scalar with respect to this tensor, same shape;
                may be omitted only for a single-element tensor (then it is 1).
            retain_graph: keep the saved buffers so backward can run through the graph again.
            create_graph: record the backward pass so the gradients can be differentiated.
            inputs: accumulate only into these tensors' ``.grad`` (a Tensor or a sequence);
                other leaves are left alone. A non-leaf input is marked ``retain_grad()``,
                as PyTorch does, and gets its gradient in ``.grad``.

        Raises:
            RuntimeError: if this tensor does not require grad, ``grad`` is missing for a
                tensor of several elements, the graph was already freed, or an input does
                not require grad or is not part of this tensor's graph.

        Example:
            >>> x = Tensor(3.0, requires_grad=True); y = x ** 2
            >>> y.backward(); x.grad.item()
            6.0
        """
        run_backward(
            self, grad, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs
        )


def _in_or_from_graph(tensor: Tensor) -> bool:
    """True for a tensor that requires grad or was computed from one (see provenance)."""
    return tensor.requires_grad or tensor._origin is not None


def as_tensor(data: Any) -> Tensor:
    """Return ``data`` if it is a Tensor, else a new constant Tensor holding it."""
    if isinstance(data, Tensor):
        return data
    return Tensor(data)


bind_tensor_class(Tensor)  # the engine makes its outputs and gradients of this class
