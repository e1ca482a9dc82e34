"""Fit the coefficients of the float32 erf in ``autograd_lite/ops/special_functions.py``.

``python scripts/fit_erf_float32.py`` prints them. The form is erf(x) = x P(x**2) / Q(x**2)
on |x| <= 4 (x clipped there: float32 erf is 1 beyond 3.92), P of degree 7 and Q of degree
4 with Q(0) = 1, fitted for the smallest largest *relative* error against ``math.erf`` on a
dense grid. The fit is linear least squares on P - f Q (f = erf(x) / x) divided by the
previous iteration's f Q (Sanathanan-Koerner), then Lawson reweighting toward the minimax
fit; Chebyshev polynomials in z = x**2 keep the systems well conditioned. The fit reaches
a relative error near 1e-8, below float32's rounding (6e-8), which then sets the accuracy.
"""

from __future__ import annotations

import math

import numpy as np

CLIP = 4.0
DEGREES = (7, 4)  # of P and Q in z = x**2


def fit(
    degrees: tuple[int, int] = DEGREES, clip: float = CLIP, iterations: int = 60
) -> tuple[float, np.ndarray, np.ndarray]:
    """(max relative error, P's, Q's monomial coefficients from z**0 up), Q(0) = 1."""
    x = np.linspace(1e-6, clip, 40001)
    z = x * x
    f = np.array([math.erf(v) for v in x]) / x
    s = 2.0 * z / clip**2 - 1.0  # z mapped to [-1, 1]
    n_p, n_q = degrees
    basis_p = np.polynomial.chebyshev.chebvander(s, n_p)
    basis_q = np.polynomial.chebyshev.chebvander(s, n_q)
    previous_q, weights = np.ones_like(z), np.ones_like(z)
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for iteration in range(iterations):
        scale = f * previous_q
        matrix = np.hstack([basis_p, -f[:, None] * basis_q[:, 1:]]) / scale[:, None]
        target = f * basis_q[:, 0] / scale
        root = np.sqrt(weights)
        solution = np.linalg.lstsq(matrix * root[:, None], target * root, rcond=None)[0]
        p = solution[: n_p + 1]
        q = np.concatenate([[1.0], solution[n_p + 1 :]])
        previous_q = basis_q @ q
        error = (basis_p @ p) / previous_q / f - 1.0
        worst = float(np.abs(error).max())
        if best is None or worst < best[0]:
            best = (worst, p, q)
        if iteration > 5:  # Lawson: weight up where the error is large
            weights = np.maximum(weights * np.abs(error), 1e-300)
            weights /= weights.sum()
    assert best is not None
    worst, p, q = best
    domain = [0.0, clip**2]
    to_power = np.polynomial.Polynomial
    p_coef = np.polynomial.Chebyshev(p, domain=domain).convert(kind=to_power).coef
    q_coef = np.polynomial.Chebyshev(q, domain=domain).convert(kind=to_power).coef
    return worst, p_coef / q_coef[0], q_coef / q_coef[0]


def main() -> None:
    """Print the fit's error and the coefficients as Python tuples."""
    worst, p, q = fit()
    print(f"max relative error of the fit (float64): {worst:.2e}")
    print("_P32 =", tuple(float(c) for c in p))
    print("_Q32 =", tuple(float(c) for c in q))


if __name__ == "__main__":
    main()
