"""erf on NumPy arrays, which NumPy lacks: W. J. Cody's rational Chebyshev approximations.

W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23
(1969) 631-637, as in his Fortran CALERF (netlib specfun). Three ranges of |x|:

- |x| <= 0.46875:      erf(x)  = x * A(x**2) / B(x**2);
- 0.46875 < |x| <= 4:  erfc(x) = exp(-x**2) * C(|x|) / D(|x|);
- |x| > 4:             erfc(x) = exp(-x**2) / |x| * (1/sqrt(pi) - R(1/x**2) / x**2),

then erf = 1 - erfc, with the sign of x. exp(-x**2) is computed as exp(-t**2) * exp(-(x-t)(x+t))
with t = x rounded down to a multiple of 1/16, which keeps the digits x**2 would round away.
Accurate to a few units in the last place of float64 (the tests compare with math.erf);
vectorised, so no Python loop over elements.

float32 input takes its own path, in float32 throughout: erf(x) = x P(x**2) / Q(x**2) with x
clipped to [-3.95, 3.95] (float32 erf is 1 from 3.92 on), P and Q fitted here against math.erf
(``scripts/fit_erf_float32.py``). It is within 7 float32 ulp of erf (mean 0.7 ulp; the
rounding of float32 Horner steps, not the fit, sets that) and takes about 20 NumPy passes
without masks, instead of Cody's float64 ranges: about 40 times faster, which matters for
the exact GELU of float32 networks.
"""

from __future__ import annotations

import numpy as np

_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)  # fmt: skip
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)  # fmt: skip
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)  # fmt: skip
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)  # fmt: skip
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)  # fmt: skip
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)  # fmt: skip
_ONE_OVER_SQRT_PI = 5.6418958354775628695e-1

# the float32 rational x P(x**2) / Q(x**2), P's and Q's coefficients from z**0 up
_P32 = tuple(np.float32(c) for c in (
    1.1283791535136038, 0.14449644691963978, 0.044616338411252725, 0.0017035262817430379,
    0.000135452715565608, -3.558550271001422e-06, 7.670159425278877e-08,
    -7.737688244270934e-10))  # fmt: skip
_Q32 = tuple(np.float32(c) for c in (
    1.0, 0.461389561989042, 0.0933390489764337, 0.01028813037405248,
    0.0005774046301538484))  # fmt: skip
#: where x is clipped: float32 erf is 1 from 3.92 on, and at 3.95 the rational evaluates to
#: exactly 1 in float32 (at some points nearby its rounding gives 1 - 2**-24 instead)
_CLIP32 = np.float32(3.95)
_ONE32 = np.float32(1.0)
#: above this |x|, erf(x) is 1 in float64 (erfc(6) = 2e-17 is below half an ulp of 1)
_SATURATED = 6.0


def erf(x: np.ndarray) -> np.ndarray:
    """The error function 2/sqrt(pi) * integral_0^x exp(-t**2) dt, elementwise, in float64
    (cast back to x's dtype); float32 input in float32 (see the module docstring).
    erf(±inf) = ±1 and erf(nan) = nan."""
    x = np.asarray(x)
    if x.dtype == np.float32:  # [fast path: float32 erf]
        return erf_float32(x)
    wide = x.astype(np.float64).reshape(-1)  # 1-D, so that 0-d input can be assigned into
    y = np.abs(wide)
    out = np.sign(wide)  # |x| > 6: erf is ±1 (and 0 stays 0, nan stays nan)
    small = y <= 0.46875
    middle = (y > 0.46875) & (y <= 4.0)
    large = (y > 4.0) & (y <= _SATURATED)
    if small.any():
        z = y[small] ** 2
        numerator, denominator = _A[4] * z, z
        for a, b in zip(_A[:3], _B[:3]):
            numerator = (numerator + a) * z
            denominator = (denominator + b) * z
        out[small] = wide[small] * (numerator + _A[3]) / (denominator + _B[3])
    if middle.any():
        ym = y[middle]
        numerator, denominator = _C[8] * ym, ym
        for c, d in zip(_C[:7], _D[:7]):
            numerator = (numerator + c) * ym
            denominator = (denominator + d) * ym
        erfc = _exp_minus_square(ym) * (numerator + _C[7]) / (denominator + _D[7])
        out[middle] = np.copysign(1.0 - erfc, wide[middle])
    if large.any():
        yl = y[large]
        z = 1.0 / (yl * yl)
        numerator, denominator = _P[5] * z, z
        for p, q in zip(_P[:4], _Q[:4]):
            numerator = (numerator + p) * z
            denominator = (denominator + q) * z
        ratio = z * (numerator + _P[4]) / (denominator + _Q[4])
        erfc = _exp_minus_square(yl) * (_ONE_OVER_SQRT_PI - ratio) / yl
        out[large] = np.copysign(1.0 - erfc, wide[large])
    dtype = x.dtype if x.dtype.kind == "f" else np.float64
    return out.reshape(x.shape).astype(dtype, copy=False)


def _exp_minus_square(y: np.ndarray) -> np.ndarray:
    """exp(-y**2) without the rounding of y**2: y = t + (y - t) with t a multiple of 1/16."""
    t = np.trunc(y * 16.0) / 16.0
    return np.exp(-t * t) * np.exp(-(y - t) * (y + t))


def erf_float32(x: np.ndarray, overwrite_x: bool = False) -> np.ndarray:
    """erf of a float32 array in float32: x P(x**2) / Q(x**2), x clipped to [-3.95, 3.95].

    Odd by construction (erf(-x) = -erf(x), erf(0) = 0), 1 at and beyond the clip, nan for
    nan. Each step is in place: two new arrays of x's size, and a third unless
    ``overwrite_x``, when x's own array is the scratch (and is overwritten): large fresh
    arrays cost page faults.
    """
    clipped = x if overwrite_x else np.empty_like(x)
    np.clip(x, -_CLIP32, _CLIP32, out=clipped)
    square = np.multiply(clipped, clipped, out=np.empty_like(x))
    numerator = _horner(square, _P32, np.empty_like(x))
    numerator *= clipped
    denominator = _horner(square, _Q32, clipped)  # the clipped x is no longer needed
    numerator /= denominator
    # rounding may put the value a float32 step above 1 near the clip; erf never is
    return np.clip(numerator, -_ONE32, _ONE32, out=numerator)


def _horner(z: np.ndarray, coefficients: tuple[np.float32, ...], out: np.ndarray) -> np.ndarray:
    """sum_k coefficients[k] z**k into ``out`` (which may not be ``z``), in place."""
    np.multiply(z, coefficients[-1], out=out)
    out += coefficients[-2]
    for c in coefficients[-3::-1]:
        out *= z
        out += c
    return out
