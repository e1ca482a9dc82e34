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

from .ops import nonlinear, reduce, unary

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
        return unary.Sin.apply(self)

    def cos(self) -> Tensor:
        """Cosine elementwise (radians)."""
        return unary.Cos.apply(self)

    def tan(self) -> Tensor:
        """Tangent elementwise (radians); its derivative is 1 + tan(x)**2."""
        return unary.Tan.apply(self)

    def log1p(self) -> Tensor:
        """log(1 + x) elementwise, accurate for tiny x."""
        return unary.Log1p.apply(self)

    def expm1(self) -> Tensor:
        """exp(x) - 1 elementwise, accurate for tiny x."""
        return unary.Expm1.apply(self)

    def square(self) -> Tensor:
        """x * x elementwise."""
        return unary.Square.apply(self)

    def erf(self) -> Tensor:
        """The error function elementwise (NumPy has none; within a few ulp of math.erf)."""
        return unary.Erf.apply(self)

    def sign(self) -> Tensor:
        """-1, 0 or 1 elementwise; the gradient is 0 everywhere (also at 0)."""
        return unary.Sign.apply(self)

    def floor(self) -> Tensor:
        """Round down elementwise; the gradient is 0 everywhere."""
        return unary.Floor.apply(self)

    def ceil(self) -> Tensor:
        """Round up elementwise; the gradient is 0 everywhere."""
        return unary.Ceil.apply(self)

    def round(self) -> Tensor:
        """Round to the nearest integer, halves to even (NumPy, PyTorch); gradient 0."""
        return unary.Round.apply(self)

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
        return unary.Clip.apply(self, low=low, high=high)

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
        return reduce.Sum.apply(self, axis=axis, keepdims=keepdims)

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

        Unlike torch.max(dim=...), only the values are returned.
        """
        if dim is not None or keepdim is not None:
            axis, keepdims = _aliases("max", axis, keepdims, dim, keepdim)
        return reduce.Max.apply(self, axis=axis, keepdims=keepdims)

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
        return reduce.LogSumExp.apply(self, axis=axis, keepdims=keepdims)

    # ---------------------------------------------------------------- along one axis
    def softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        """exp(x) / sum(exp(x)) along ``axis``, shifted by the max for stability."""
        if dim is not None:
            axis = _axis_alias("softmax", axis, -1, dim)
        return nonlinear.Softmax.apply(self, axis=axis)

    def log_softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        """x - logsumexp(x) along ``axis``, stable for large logits."""
        if dim is not None:
            axis = _axis_alias("log_softmax", axis, -1, dim)
        return nonlinear.LogSoftmax.apply(self, axis=axis)


def _aliases(
    name: str, axis: Any, keepdims: bool, dim: Any, keepdim: bool | None
) -> tuple[Any, bool]:
    """``axis`` and ``keepdims`` after PyTorch's ``dim`` and ``keepdim`` (one of each pair)."""
    if dim is not None:
        axis = _axis_alias(name, axis, None, dim)
    if keepdim is not None:
        if keepdims:
            raise TypeError(
                f"{name}: got both keepdims= and keepdim= (PyTorch's name for it); give one"
            )
        keepdims = keepdim
    return axis, keepdims


def _axis_alias(name: str, axis: Any, default: Any, dim: Any) -> Any:
    if axis != default:
        raise TypeError(
            f"{name}: got both axis={axis!r} and dim={dim!r} (PyTorch's name for axis); give one"
        )
    return dim


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
