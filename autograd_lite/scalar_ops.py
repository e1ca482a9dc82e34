"""Rules of the scalar engine: each op's forward value beside its local partial derivatives.

One table entry per op. ``forward(*inputs)`` returns ``(out, partials)`` where ``partials``
holds d out / d input for each input, as plain floats. `Value` stores those numbers on its
edges, so the backward pass is one multiply-add per edge and `explain()` can print every
local derivative without recomputing it. ``formulas`` are the same derivatives as text
(``a``, ``b`` are the inputs, ``out`` the result), for explanations and pictures.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .errors import DomainError, OverflowDomainError, ZeroDivisionDomainError


@dataclass(frozen=True)
class ScalarRule:
    """One scalar operation: its symbol, forward+partials function and derivative formulas."""

    name: str
    symbol: str
    forward: Callable[..., tuple[float, tuple[float, ...]]]
    formulas: tuple[str, ...]


def _add(a: float, b: float) -> tuple[float, tuple[float, ...]]:
    return a + b, (1.0, 1.0)


def _sub(a: float, b: float) -> tuple[float, tuple[float, ...]]:
    return a - b, (1.0, -1.0)


def _mul(a: float, b: float) -> tuple[float, tuple[float, ...]]:
    return a * b, (b, a)


def _div(a: float, b: float) -> tuple[float, tuple[float, ...]]:
    if b == 0.0:
        raise ZeroDivisionDomainError(f"div: division by zero (a={a!r}, b={b!r})")
    out = a / b
    return out, (1.0 / b, -out / b)


def _neg(a: float) -> tuple[float, tuple[float, ...]]:
    return -a, (-1.0,)


def _pow_checked(a: float, b: float) -> float:
    """a ** b as a real number, or a DomainError naming the values (never a complex result)."""
    if a == 0.0 and b < 0:
        raise ZeroDivisionDomainError(f"pow: 0 raised to a negative power (a={a!r}, b={b!r})")
    if a < 0 and not float(b).is_integer():
        raise DomainError(
            f"pow: negative base with a non-integer exponent has no real value (a={a!r}, b={b!r})"
        )
    try:
        return float(a**b)
    except OverflowError:
        raise OverflowDomainError(f"pow: result overflows a float (a={a!r}, b={b!r})") from None


def _power_slope(a: float, b: float) -> float:
    """d/da a**b = b * a**(b-1); infinite at a = 0 for 0 < b < 1 (as sqrt'(0))."""
    if b == 0:
        return 0.0
    if a == 0.0 and b < 1:
        return math.inf
    return b * _pow_checked(a, b - 1)


def _pow_const(a: float, b: float) -> tuple[float, tuple[float, ...]]:
    """Power with a constant (number) exponent: only the base gets a gradient."""
    return _pow_checked(a, b), (_power_slope(a, b),)


def _pow(a: float, b: float) -> tuple[float, tuple[float, ...]]:
    """Power with a Value exponent: d/db a**b = a**b * log(a) needs a > 0 (0 is taken as 0)."""
    out = _pow_checked(a, b)
    if a < 0:
        raise DomainError(
            f"pow: the exponent is a Value, so d/db a**b = a**b*log(a) needs a >= 0 (a={a!r})"
        )
    slope_b = out * math.log(a) if a > 0 else 0.0
    return out, (_power_slope(a, b), slope_b)


def _exp(a: float) -> tuple[float, tuple[float, ...]]:
    try:
        out = math.exp(a)
    except OverflowError:
        raise OverflowDomainError(f"exp: result overflows a float (x={a!r})") from None
    return out, (out,)


def _log(a: float) -> tuple[float, tuple[float, ...]]:
    if a <= 0:
        raise DomainError(f"log: input must be > 0, got x={a!r}")
    return math.log(a), (1.0 / a,)


def _tanh(a: float) -> tuple[float, tuple[float, ...]]:
    out = math.tanh(a)
    return out, (1.0 - out * out,)


def _sigmoid(a: float) -> tuple[float, tuple[float, ...]]:
    # Two branches so that exp() only ever sees a non-positive argument (no overflow).
    if a >= 0:
        out = 1.0 / (1.0 + math.exp(-a))
    else:
        e = math.exp(a)
        out = e / (1.0 + e)
    return out, (out * (1.0 - out),)


def _relu(a: float) -> tuple[float, tuple[float, ...]]:
    # Subgradient choice: relu'(0) = 0, as in PyTorch.
    return (a, (1.0,)) if a > 0 else (0.0, (0.0,))


SCALAR_RULES: dict[str, ScalarRule] = {
    rule.name: rule
    for rule in (
        ScalarRule("add", "+", _add, ("1", "1")),
        ScalarRule("sub", "-", _sub, ("1", "-1")),
        ScalarRule("mul", "*", _mul, ("b", "a")),
        ScalarRule("div", "/", _div, ("1/b", "-a/b**2")),
        ScalarRule("neg", "-", _neg, ("-1",)),
        ScalarRule("pow_const", "**", _pow_const, ("b * a**(b-1)",)),
        ScalarRule("pow", "**", _pow, ("b * a**(b-1)", "a**b * log(a)")),
        ScalarRule("exp", "exp", _exp, ("exp(a)",)),
        ScalarRule("log", "log", _log, ("1/a",)),
        ScalarRule("tanh", "tanh", _tanh, ("1 - out**2",)),
        ScalarRule("sigmoid", "sigmoid", _sigmoid, ("out * (1 - out)",)),
        ScalarRule("relu", "relu", _relu, ("1 if a > 0 else 0",)),
    )
}
