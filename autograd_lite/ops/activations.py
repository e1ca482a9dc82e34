"""GELU as one op: x Phi(x), the forward's Phi kept for the backward rule.

Composed of Tensor operations, the exact GELU ``x * 0.5 * (erf(x / sqrt 2) + 1)`` records
five ops and its backward differentiates erf again (an exp); as one op the forward keeps
Phi(x) and the rule needs one exp for the density. PyTorch's formulas, in its order of
operations, so the numbers are PyTorch's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine.context import Context
from ..engine.tensor_base import bound
from ..grad_mode import is_grad_enabled
from .op import Op
from .special_functions import erf, erf_float32

_SQRT_HALF = math.sqrt(0.5)  # M_SQRT1_2
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)  # the standard normal density at 0
_TANH_SCALE = math.sqrt(2.0 / math.pi)  # PyTorch's kBeta
_TANH_CUBE = 0.044715  # PyTorch's kKappa


class Gelu(Op):
    """y = x Phi(x);  dy/dx = Phi(x) + x phi(x)   (Phi, phi: standard normal CDF, density)

    ``approximate="none"``: Phi(x) = (1 + erf(x / sqrt 2)) / 2, phi(x) = exp(-x**2 / 2) /
    sqrt(2 pi). ``approximate="tanh"``: Phi(x) = (1 + tanh(u)) / 2 with u = sqrt(2/pi)
    (x + 0.044715 x**3), whose derivative is (1 + tanh u) / 2 + x (1 - tanh(u)**2) / 2 *
    sqrt(2/pi) (1 + 3 * 0.044715 x**2). Both are PyTorch's ``gelu``.
    """

    array_backward = True  # on arrays, the rule is a few in-place passes (one new array)

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, approximate: str = "none") -> np.ndarray:
        ctx.approximate = approximate
        if approximate == "tanh":
            inner = _square(x)
            inner *= x
            inner *= _TANH_CUBE
            inner += x
            inner *= _TANH_SCALE
            ctx.tanh = np.tanh(inner, out=inner)
            cdf = ctx.tanh.copy()  # the tanh is kept too
        else:
            scaled = np.multiply(x, _SQRT_HALF, out=np.empty_like(x))
            if x.dtype == np.float32:  # [fast path: float32 erf] in the scaled x's array
                cdf = erf_float32(scaled, overwrite_x=True)
                ctx.cdf = _half_one_plus(cdf)
                return np.multiply(x, cdf, out=scaled)  # erf is done with its scratch
            cdf = erf(scaled)
        ctx.cdf = _half_one_plus(cdf)
        return x * cdf

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (x,) = ctx.saved_as(grad_output)
        if isinstance(grad_output, np.ndarray):  # on arrays (Op.array_backward)
            slope = _slope_array(ctx, x)
            if grad_output.shape == slope.shape and grad_output.dtype == slope.dtype:
                slope *= grad_output  # into the slope's own new array
                return slope
            return slope * grad_output
        if ctx.approximate == "tanh":
            t = kept_tensor(ctx, ctx.tanh, lambda: _tanh_inner(x).tanh())
            cdf = (t + 1.0) * 0.5
            slope = x * (1.0 - t * t) * (0.5 * _TANH_SCALE) * (x * x * (3.0 * _TANH_CUBE) + 1.0)
            return grad_output * (cdf + slope)
        cdf = kept_tensor(ctx, ctx.cdf, lambda: ((x * _SQRT_HALF).erf() + 1.0) * 0.5)
        density = (x * x * -0.5).exp() * _INV_SQRT_2PI
        return grad_output * (cdf + x * density)


def _half_one_plus(values: np.ndarray) -> np.ndarray:
    """(1 + values) / 2 in ``values``' own array: Phi from erf (or tanh)."""
    values += 1.0
    values *= 0.5
    return values


def _slope_array(ctx: Context, x: np.ndarray) -> np.ndarray:
    """dy/dx on arrays, in one new array."""
    slope = _square(x)
    if ctx.approximate == "tanh":
        slope *= 3.0 * _TANH_CUBE
        slope += 1.0
        slope *= x
        slope *= 0.5 * _TANH_SCALE
        slope *= 1.0 - ctx.tanh * ctx.tanh
    else:
        slope *= -0.5
        np.exp(slope, out=slope)
        slope *= x
        slope *= _INV_SQRT_2PI
    slope += ctx.cdf
    return slope


def _square(x: np.ndarray) -> np.ndarray:
    """x * x as a new array, also for 0-d x (where ``x * x`` is a NumPy scalar, which the
    in-place steps after it cannot write into)."""
    return np.multiply(x, x, out=np.empty_like(x))


def _tanh_inner(x: Any) -> Any:
    """sqrt(2/pi) (x + 0.044715 x**3) on Tensors, in the forward's order."""
    return (x * x * x * _TANH_CUBE + x) * _TANH_SCALE


def kept_tensor(ctx: Context, array: np.ndarray, recompute: Callable[[], Any]) -> Any:
    """A forward by-product as a Tensor: wrapped, or recomputed on the graph (create_graph),
    where it must be differentiable with respect to the inputs (as `output_tensor`)."""
    if is_grad_enabled():
        return recompute()
    return bound.wrap(array, False)
