"""More elementwise functions: trigonometry, log1p/expm1, square, erf, clip, and the step
functions (sign, floor, ceil, round) whose gradient is zero."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine.context import Context
from ..engine.tensor_base import bound
from .nonlinear import output_tensor
from .op import Op
from .special_functions import erf

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class Sin(Op):
    """y = sin(x);  dy/dx = cos(x)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):  # sin(inf) = nan, as NumPy, without a warning
            return np.sin(x)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_output * x.cos()


class Cos(Op):
    """y = cos(x);  dy/dx = -sin(x)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.cos(x)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        return -grad_output * x.sin()


class Tan(Op):
    """y = tan(x);  dy/dx = 1 + y**2"""

    saves_output = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            ctx.out = np.tan(x)
        return ctx.out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        y = output_tensor(ctx, x.tan)
        return grad_output * (1.0 + y * y)


class Log1p(Op):
    """y = log(1 + x);  dy/dx = 1 / (1 + x)  (exact for tiny x, where log(1 + x) rounds)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):  # -inf at -1, nan below
            return np.log1p(x)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_output / (1.0 + x)


class Expm1(Op):
    """y = exp(x) - 1;  dy/dx = y + 1  (exact for tiny x, where exp(x) - 1 cancels)"""

    saves_output = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            ctx.out = np.expm1(x)
        return ctx.out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_output * (output_tensor(ctx, x.expm1) + 1.0)


class Square(Op):
    """y = x**2;  dy/dx = 2x"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return np.square(x)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_output * (2.0 * x)


class Erf(Op):
    """y = erf(x);  dy/dx = 2/sqrt(pi) * exp(-x**2)

    NumPy has no erf: the forward is Cody's rational approximation (``special_functions``),
    within a few ulp of ``math.erf`` in float64.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return erf(x)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_output * ((-(x * x)).exp() * _TWO_OVER_SQRT_PI)


class Clip(Op):
    """y = min(max(x, low), high);  dy/dx = [low <= x <= high]

    The bounds count as inside (torch.clamp's choice): at x == low or x == high the gradient
    is 1, so a value sitting on a bound still learns. Outside, and at nan, it is 0. A missing
    bound (None) is no bound; with low > high every y is high and every gradient 0.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, low: Any = None, high: Any = None) -> np.ndarray:
        ctx.low, ctx.high = low, high
        out = x
        if low is not None:
            out = np.maximum(out, np.asarray(low, dtype=x.dtype))
        if high is not None:
            out = np.minimum(out, np.asarray(high, dtype=x.dtype))
        return out.copy() if out is x else out

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        x = ctx.saved_tensors[0].data
        with np.errstate(invalid="ignore"):
            inside = np.ones(x.shape, dtype=bool) if ctx.low is None else x >= ctx.low
            if ctx.high is not None:
                inside &= x <= ctx.high
        return grad_output * inside.astype(grad_output.dtype)  # float32 stays float32


def _zeros_like(grad_output: Any) -> Any:
    """The zero gradient of a step function: a constant Tensor (not grad_output * 0, which
    would turn an inf or nan upstream into nan)."""
    return bound.wrap(np.zeros_like(grad_output.data), False)


class Sign(Op):
    """y = sign(x) (-1, 0 or 1);  dy/dx = 0  (also at 0, as PyTorch)"""

    saves_inputs = False

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.sign(x)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return _zeros_like(grad_output)


class Floor(Op):
    """y = floor(x);  dy/dx = 0  (also at the integers, where y jumps)"""

    saves_inputs = False

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.floor(x)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return _zeros_like(grad_output)


class Ceil(Op):
    """y = ceil(x);  dy/dx = 0  (also at the integers, where y jumps)"""

    saves_inputs = False

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.ceil(x)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return _zeros_like(grad_output)


class Round(Op):
    """y = x rounded to the nearest integer, halves to even (NumPy, PyTorch);  dy/dx = 0"""

    saves_inputs = False

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.round(x)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return _zeros_like(grad_output)
