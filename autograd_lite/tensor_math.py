"""`MathMethods`: the Tensor's elementwise functions and reductions, one thin call per op.

`Tensor` inherits these (``class Tensor(MathMethods, TensorBase)``); each method checks its
arguments where the op cannot and applies one op class from ``ops/``, where the forward
rule and its derivative sit together.

Names and arguments are NumPy's (``axis``, ``keepdims``, ``ddof``); PyTorch's words are
accepted as aliases with the same meaning: ``dim=`` for ``axis=``, ``keepdim=`` for
``keepdims=``, and ``clamp`` is ``clip``. Giving a name and its alias together is a
TypeError naming the method.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from .engine.apply import apply_unary as _apply_unary
from .errors import ShapeError
from .ops import nonlinear, reduce, statistics, unary
from .ops.cumulative import CumSum
from .tensor_args import axis_or_dim

if TYPE_CHECKING:
    from .tensor import Operand, Tensor

Axis = int | tuple[int, ...] | None


class MathMethods:
    """Elementwise functions and reductions of `Tensor` (see the module docstring)."""

    __slots__ = ()  # a mixin of a slotted class: no per-instance dict

    if TYPE_CHECKING:  # what the methods use of Tensor
        _data: np.ndarray

        def __pow__(self, exponent: Operand) -> Tensor: ...

    # ---------------------------------------------------------------- elementwise
    def sin(self) -> Tensor:
        """Sine elementwise (radians)."""
        return _apply_unary(unary.Sin, self)

    def cos(self) -> Tensor:
        """Cosine elementwise (radians)."""
        return _apply_unary(unary.Cos, self)

    def tan(self) -> Tensor:
        """Tangent elementwise (radians); its derivative is 1 + tan(x)**2."""
        return _apply_unary(unary.Tan, self)

    def log1p(self) -> Tensor:
        """log(1 + x) elementwise, accurate for tiny x."""
        return _apply_unary(unary.Log1p, self)

    def expm1(self) -> Tensor:
        """exp(x) - 1 elementwise, accurate for tiny x."""
        return _apply_unary(unary.Expm1, self)

    def square(self) -> Tensor:
        """x * x elementwise."""
        return _apply_unary(unary.Square, self)

    def erf(self) -> Tensor:
        """The error function elementwise (NumPy has none; within a few ulp of math.erf)."""
        return _apply_unary(unary.Erf, self)

    def sign(self) -> Tensor:
        """-1, 0 or 1 elementwise; the gradient is 0 everywhere (also at 0)."""
        return _apply_unary(unary.Sign, self)

    def floor(self) -> Tensor:
        """Round down elementwise; the gradient is 0 everywhere."""
        return _apply_unary(unary.Floor, self)

    def ceil(self) -> Tensor:
        """Round up elementwise; the gradient is 0 everywhere."""
        return _apply_unary(unary.Ceil, self)

    def round(self) -> Tensor:
        """Round to the nearest integer, halves to even (NumPy, PyTorch); gradient 0."""
        return _apply_unary(unary.Round, self)

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Limit the values to [min, max] (a None bound is no bound); ``clamp`` is the same.

        The gradient is 1 where min <= x <= max, bounds included, and 0 outside (as
        torch.clamp): a value sitting on a bound still gets its gradient.

        Args:
            min: the lower bound, a number or None.
            max: the upper bound, a number or None. With min > max every value becomes max.

        Raises:
            TypeError: for a bound that is not a number (a Tensor, an array, a string).

        Example:
            >>> Tensor([-2.0, 0.5, 3.0]).clip(-1.0, 1.0).numpy()
            array([-1. ,  0.5,  1. ])
        """
        low = _bound("clip", "min", min)
        high = _bound("clip", "max", max)
        return _apply_unary(unary.Clip, self, low=low, high=high)

    clamp = clip  # PyTorch's name, the same method (so its messages say clip)

    def pow(self, exponent: Operand) -> Tensor:
        """``self ** exponent`` (a number or a tensor), the same op as the operator."""
        return self**exponent

    # ---------------------------------------------------------------- reductions
    def sum(
        self,
        axis: Axis = None,
        keepdims: bool = False,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Sum over ``axis`` (all axes when None); the gradient is broadcast back."""
        if dim is not None or keepdim is not None:
            axis, keepdims = _aliases("sum", axis, keepdims, dim, keepdim)
        return _apply_unary(reduce.Sum, self, axis=axis, keepdims=keepdims)

    def mean(
        self,
        axis: Axis = None,
        keepdims: bool = False,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Mean over ``axis``: the sum divided by the number of elements reduced."""
        if dim is not None or keepdim is not None:
            axis, keepdims = _aliases("mean", axis, keepdims, dim, keepdim)
        return reduce.mean(self, axis=axis, keepdims=keepdims)

    def max(
        self,
        axis: Axis = None,
        keepdims: bool = False,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Maximum over ``axis``; tied maxima share the gradient equally.

        Unlike torch.max(dim=...), only the values are returned; `argmax` gives the indices.
        """
        if dim is not None or keepdim is not None:
            axis, keepdims = _aliases("max", axis, keepdims, dim, keepdim)
        return _apply_unary(reduce.Max, self, axis=axis, keepdims=keepdims)

    def min(
        self,
        axis: Axis = None,
        keepdims: bool = False,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Minimum over ``axis``; tied minima share the gradient equally (as `max`).

        Example:
            >>> x = Tensor([3.0, 1.0, 1.0], requires_grad=True); x.min().backward()
            >>> x.grad.numpy()
            array([0. , 0.5, 0.5])
        """
        if dim is not None or keepdim is not None:
            axis, keepdims = _aliases("min", axis, keepdims, dim, keepdim)
        return _apply_unary(reduce.Min, self, axis=axis, keepdims=keepdims)

    def prod(
        self,
        axis: Axis = None,
        keepdims: bool = False,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Product over ``axis``; the gradient (the product of the others) is exact at zeros."""
        if dim is not None or keepdim is not None:
            axis, keepdims = _aliases("prod", axis, keepdims, dim, keepdim)
        return _apply_unary(reduce.Prod, self, axis=axis, keepdims=keepdims)

    def var(
        self,
        axis: Axis = None,
        keepdims: bool = False,
        ddof: float = 0,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Variance over ``axis``: sum((x - mean)**2) / (N - ddof).

        ``ddof=0`` (NumPy's default) divides by N; PyTorch's default divides by N - 1, which
        is ``ddof=1`` here.

        Raises:
            ShapeError: for an empty axis. ValueError: when N - ddof <= 0.
            TypeError: for a ddof that is not a number.

        Example:
            >>> Tensor([1.0, 2.0, 3.0, 4.0]).var().item(), Tensor([1.0, 3.0]).var(ddof=1).item()
            (1.25, 2.0)
        """
        if dim is not None or keepdim is not None:
            axis, keepdims = _aliases("var", axis, keepdims, dim, keepdim)
        return _apply_unary(statistics.Var, self, axis=axis, keepdims=keepdims, ddof=ddof)

    def std(
        self,
        axis: Axis = None,
        keepdims: bool = False,
        ddof: float = 0,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Standard deviation over ``axis``: sqrt(var(axis, ddof)); gradient 0 where it is 0.

        The same ``ddof`` convention as `var` (NumPy's 0, not PyTorch's 1).
        """
        if dim is not None or keepdim is not None:
            axis, keepdims = _aliases("std", axis, keepdims, dim, keepdim)
        return _apply_unary(statistics.Std, self, axis=axis, keepdims=keepdims, ddof=ddof)

    def cumsum(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        """Running sum along ``axis`` (of the flattened tensor when None, as NumPy).

        Raises:
            ShapeError: for an axis out of range. TypeError: for an axis that is not an int.

        Example:
            >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).cumsum(axis=1).numpy()
            array([[1., 3.],
                   [3., 7.]])
        """
        if dim is not None:
            axis, _ = _aliases("cumsum", axis, False, dim, None)
        return _apply_unary(CumSum, self, axis=axis)

    def logsumexp(
        self,
        axis: Axis = None,
        keepdims: bool = False,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """log(sum(exp(x))) over ``axis``, shifted by the max so large inputs stay finite."""
        if dim is not None or keepdim is not None:
            axis, keepdims = _aliases("logsumexp", axis, keepdims, dim, keepdim)
        return _apply_unary(reduce.LogSumExp, self, axis=axis, keepdims=keepdims)

    def norm(
        self,
        ord: Any = None,  # NumPy's name
        axis: Axis = None,
        keepdims: bool = False,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """The 2-norm sqrt(sum(x**2)) over ``axis`` (all axes when None).

        ``ord`` None is the 2-norm of a vector and the Frobenius norm over two axes, ``2``
        the vector 2-norm over one axis, ``'fro'`` the Frobenius norm. At a norm of 0 the
        gradient is 0 (PyTorch's choice).

        Raises:
            ValueError: for any other ord, and for ord=2 over two axes (NumPy's spectral norm).

        Example:
            >>> Tensor([3.0, 4.0]).norm().item()
            5.0
        """
        if dim is not None or keepdim is not None:
            axis, keepdims = _aliases("norm", axis, keepdims, dim, keepdim)
        return _apply_unary(reduce.Norm, self, ord=ord, axis=axis, keepdims=keepdims)

    def argmax(
        self,
        axis: int | None = None,
        keepdims: bool = False,
        *,
        dim: int | None = None,
        keepdim: bool | None = None,
    ) -> np.ndarray:
        """Index of the maximum along ``axis`` (of the flattened tensor when None), the first
        one on ties: a NumPy int64 array, not a Tensor (it has no gradient).

        Example:
            >>> Tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(axis=1)
            array([1, 0])
        """
        if dim is not None or keepdim is not None:
            axis, keepdims = _aliases("argmax", axis, keepdims, dim, keepdim)
        return _arg_extreme(self._data, np.argmax, "argmax", axis, keepdims)

    def argmin(
        self,
        axis: int | None = None,
        keepdims: bool = False,
        *,
        dim: int | None = None,
        keepdim: bool | None = None,
    ) -> np.ndarray:
        """Index of the minimum along ``axis``, as `argmax` (a NumPy int64 array)."""
        if dim is not None or keepdim is not None:
            axis, keepdims = _aliases("argmin", axis, keepdims, dim, keepdim)
        return _arg_extreme(self._data, np.argmin, "argmin", axis, keepdims)

    # ---------------------------------------------------------------- along one axis
    def softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        """exp(x) / sum(exp(x)) along ``axis``, shifted by the max for stability."""
        if dim is not None:
            axis = axis_or_dim("softmax", axis, dim, -1)
        return _apply_unary(nonlinear.Softmax, self, axis=axis)

    def log_softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        """x - logsumexp(x) along ``axis``, stable for large logits."""
        if dim is not None:
            axis = axis_or_dim("log_softmax", axis, dim, -1)
        return _apply_unary(nonlinear.LogSoftmax, self, axis=axis)


def _aliases(
    name: str, axis: Any, keepdims: bool, dim: Any, keepdim: bool | None
) -> tuple[Any, bool]:
    """``axis`` and ``keepdims`` after PyTorch's ``dim`` and ``keepdim`` (one of each pair)."""
    if dim is not None:
        axis = axis_or_dim(name, axis, dim)
    if keepdim is not None:
        if keepdims:
            raise TypeError(
                f"{name}: got both keepdims= and keepdim= (PyTorch's name for it); give one"
            )
        keepdims = keepdim
    return axis, keepdims


def _bound(name: str, which: str, value: Any) -> float | None:
    """A clip bound as a float (None stays None); TypeError for anything but a real number."""
    if value is None:
        return None
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    raise TypeError(
        f"{name}: {which} must be a number or None, got {type(value).__name__} {value!r:.40} "
        "(for elementwise bounds from tensors use autograd_lite.maximum / minimum)"
    )


def _arg_extreme(data: np.ndarray, finder: Any, name: str, axis: Any, keepdims: bool) -> np.ndarray:
    """``finder`` (np.argmax or np.argmin) with the engine's messages, as an int64 array."""
    if axis is not None:
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(
                f"{name}: axis must be an int or None (one axis, as NumPy), got "
                f"{type(axis).__name__} {axis!r}"
            )
        bound = max(data.ndim, 1)
        if not -bound <= axis < bound:
            raise ShapeError(
                f"{name}: axis {axis} is out of range for a tensor of shape {data.shape}"
            )
        if data.ndim and data.shape[axis] == 0:
            raise ShapeError(f"{name}: axis {axis} of shape {data.shape} is empty")
    elif data.size == 0:
        raise ShapeError(f"{name}: the tensor is empty (shape {data.shape})")
    return np.asarray(finder(data, axis=axis, keepdims=bool(keepdims)), dtype=np.int64)
