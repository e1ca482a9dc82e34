"""`Value`: a scalar that records how it was computed, for teaching-sized graphs.

Each Value keeps up to two parents and the local partial derivative along each edge as a
plain float. Each op (a method below) computes its result and those derivatives side by side,
as in micrograd, and records them with one call to `_record`. Backward visits the Values in
reverse topological order (iteratively) and multiplies and adds those floats.

Why the edges are four slots and not two tuples: a tuple of parents is a second object per
Value that the cyclic garbage collector tracks for as long as the graph lives; with one
object per Value, building a graph costs about a third less (benchmarks/scalar_engine.py).
``_parents`` and ``_local_grads`` still give the edges as tuples, for pictures and explain().
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from ..errors import DomainError, OverflowDomainError, ZeroDivisionDomainError
from ..grad_mode import state as _grad_state
from .walk import backward_pass, values_below

Number = int | float


def _check_number(data: object, where: str) -> float:
    """Convert a real number to float, or raise TypeError naming the type that came."""
    if type(data) is float:  # fast path: skips the slower ABC check below
        return data
    if isinstance(data, bool) or not isinstance(data, numbers.Real):
        kind = type(data).__name__
        raise TypeError(f"{where}: expected a real number (int or float), got {kind}")
    return float(data)


class Value:
    """A scalar node of the computation graph.

    Args:
        data: the number this Value holds (int or float; converted to float).
        label: a name used by `draw_graph` and `explain`.

    Raises:
        TypeError: if ``data`` is not a real number.

    Example:
        >>> a = Value(2.0, label="a"); b = a * a + a
        >>> b.backward()
        >>> a.grad   # d(a*a + a)/da = 2a + 1
        5.0
    """

    # _first, _second: the parents (None where there is none); _d_first, _d_second: the
    # local derivative d self / d parent along each edge (read only where a parent exists);
    # _total: d root / d self while a backward pass runs, None outside one
    __slots__ = (
        "data",
        "grad",
        "label",
        "_op",
        "_first",
        "_second",
        "_d_first",
        "_d_second",
        "_total",
        "__weakref__",
    )
    #: NumPy defers to Value's operators, which take numbers only: ``array + Value(1)``
    #: raises TypeError instead of building an object array of Values.
    __array_ufunc__ = None

    def __init__(self, data: Number, label: str = "") -> None:
        self.data = _check_number(data, "Value")
        self.grad = 0.0
        self.label = label
        self._op = ""
        self._first: Value | None = None
        self._second: Value | None = None
        self._d_first = self._d_second = 0.0
        self._total: Any = None  # (a float during a backward pass)

    # ----------------------------------------------------------------- the edges
    @property
    def _parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from, in operand order (``()`` for a leaf)."""
        if self._first is None:
            return ()
        return (self._first,) if self._second is None else (self._first, self._second)

    @property
    def _local_grads(self) -> tuple[float, ...]:
        """d self / d parent for each of ``_parents``, as numbers."""
        if self._first is None:
            return ()
        return (self._d_first,) if self._second is None else (self._d_first, self._d_second)

    # ----------------------------------------------------------------- operators
    # Each op computes its value and, beside it, the local derivative d out / d input along
    # each edge; `_record` stores both. The same derivatives as text, for pictures and
    # explain(), are in the table of `scalar_ops.py` (a test checks the two agree).
    def __add__(self, other: Value | Number) -> Value:
        other = other if type(other) is Value else _lift(other, "add")
        return _record(self.data + other.data, "add", self, other, 1.0, 1.0)

    def __radd__(self, other: Number) -> Value:
        return _lift(other, "add") + self

    def __sub__(self, other: Value | Number) -> Value:
        other = other if type(other) is Value else _lift(other, "sub")
        return _record(self.data - other.data, "sub", self, other, 1.0, -1.0)

    def __rsub__(self, other: Number) -> Value:
        return _lift(other, "sub") - self

    def __mul__(self, other: Value | Number) -> Value:
        other = other if type(other) is Value else _lift(other, "mul")
        a, b = self.data, other.data
        return _record(a * b, "mul", self, other, b, a)

    def __rmul__(self, other: Number) -> Value:
        return _lift(other, "mul") * self

    def __truediv__(self, other: Value | Number) -> Value:
        other = other if type(other) is Value else _lift(other, "div")
        a, b = self.data, other.data
        if b == 0.0:
            raise ZeroDivisionDomainError(f"div: division by zero (a={a!r}, b={b!r})")
        out = a / b
        return _record(out, "div", self, other, 1.0 / b, -out / b)  # -a/b**2 = -out/b

    def __rtruediv__(self, other: Number) -> Value:
        return _lift(other, "div") / self

    def __pow__(self, exponent: Value | Number) -> Value:
        a = self.data
        if not isinstance(exponent, Value):  # a number: only the base gets a gradient
            b = _check_number(exponent, "pow")
            return _record(_power(a, b), "pow_const", self, None, _power_slope(a, b), 0.0)
        b = exponent.data
        out = _power(a, b)
        if a < 0:
            raise DomainError(
                f"pow: the exponent is a Value, so d/db a**b = a**b*log(a) needs a >= 0 (a={a!r})"
            )
        slope_b = out * math.log(a) if a > 0 else 0.0  # (taken as 0 at a = 0)
        return _record(out, "pow", self, exponent, _power_slope(a, b), slope_b)

    def __rpow__(self, base: Number) -> Value:
        return _lift(base, "pow") ** self

    def __neg__(self) -> Value:
        return _record(-self.data, "neg", self, None, -1.0, 0.0)

    # ----------------------------------------------------------------- functions
    def exp(self) -> Value:
        """e ** self; raises OverflowError (a ValueError too) when the result overflows."""
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowDomainError(f"exp: result overflows a float (x={self.data!r})") from None
        return _record(out, "exp", self, None, out, 0.0)

    def log(self) -> Value:
        """Natural logarithm; raises ValueError for inputs <= 0."""
        a = self.data
        if a <= 0:
            raise DomainError(f"log: input must be > 0, got x={a!r}")
        return _record(math.log(a), "log", self, None, 1.0 / a, 0.0)

    def tanh(self) -> Value:
        """Hyperbolic tangent; derivative 1 - tanh**2."""
        out = math.tanh(self.data)
        return _record(out, "tanh", self, None, 1.0 - out * out, 0.0)

    def sigmoid(self) -> Value:
        """Logistic function 1 / (1 + e**-x); derivative out * (1 - out)."""
        a = self.data
        if a >= 0:  # two branches so that exp() only sees a non-positive argument (no overflow)
            out = 1.0 / (1.0 + math.exp(-a))
        else:
            e = math.exp(a)
            out = e / (1.0 + e)
        return _record(out, "sigmoid", self, None, out * (1.0 - out), 0.0)

    def relu(self) -> Value:
        """max(0, x); derivative 1 for x > 0, else 0 (at 0 too, as in PyTorch)."""
        a = self.data
        if a > 0:
            return _record(a, "relu", self, None, 1.0, 0.0)
        return _record(0.0, "relu", self, None, 0.0, 0.0)

    # ----------------------------------------------------------------- backward
    def backward(self) -> None:
        """Add d self / d v into ``v.grad`` for every Value ``v`` this one depends on.

        Seeds ``self.grad`` with 1.0. Gradients accumulate across calls, as in PyTorch;
        call `zero_grad` (or set ``.grad = 0.0`` by hand) to start again. The
        local derivatives stay on the edges, so backward may be called more than once.

        Example:
            >>> x = Value(3.0); y = x * x
            >>> y.backward(); x.grad
            6.0
        """
        # The running totals live in the Values' own _total slot rather than in a dict, so
        # one pass at a time may run over a graph: passes from several threads take turns.
        next(backward_pass(self), None)  # (a generator that never pauses without steps)

    def zero_grad(self) -> None:
        """Set ``.grad = 0.0`` on this Value and every Value it depends on.

        The reset micrograd users write by hand before a second ``backward()``, so that
        gradients (and pictures drawn after it) hold one pass only.

        Example:
            >>> x = Value(3.0); y = x * x
            >>> y.backward(); y.zero_grad(); y.backward(); x.grad
            6.0
        """
        for value in values_below(self):
            value.grad = 0.0

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label})"


_new = object.__new__


def _record(
    data: float, op_name: str, first: Value, second: Value | None, d_first: float, d_second: float
) -> Value:
    """A new Value holding ``data``, made by ``op_name`` from ``first`` (and ``second``);
    the edges and their local derivatives are recorded only while grad mode is on.

    Built without __init__ (whose checks ``data`` already passed): Value creation is the
    scalar engine's main cost, and this is its only call per op.
    """
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._total = None
    if _grad_state.enabled:  # the flag itself, not is_grad_enabled(): one call less
        out._op, out._first, out._second = op_name, first, second
        out._d_first, out._d_second = d_first, d_second
    else:
        out._op, out._first, out._second, out._d_first, out._d_second = "", None, None, 0.0, 0.0
    return out


def _lift(other: object, op_name: str) -> Value:
    """Wrap a Python number as a constant Value; anything else is a TypeError naming the op."""
    if isinstance(other, Value):
        return other
    return Value(_check_number(other, op_name))


def _power(a: float, b: float) -> float:
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
    return b * _power(a, b - 1)
