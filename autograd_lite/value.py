"""`Value`: a scalar that records how it was computed, for teaching-sized graphs.

Each Value keeps its parents (a tuple, so order is deterministic) and the local partial
derivative along each edge as a plain float, computed by the rule in `scalar_ops`. The
backward pass is the shared walk of `graph.py`; it multiplies and adds those floats.
"""

from __future__ import annotations

import numbers

from .grad_mode import _state as _grad_state
from .graph import backpropagate
from .scalar_ops import SCALAR_RULES

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

    __slots__ = ("data", "grad", "label", "_op", "_parents", "_local_grads", "__weakref__")
    #: NumPy defers to Value's operators, which take numbers only: ``array + Value(1)``
    #: raises TypeError instead of building an object array of Values.
    __array_ufunc__ = None
    _parent_slots = None  # graph-vertex interface: every Value has one output
    _n_outputs = 1

    def __init__(self, data: Number, label: str = "") -> None:
        self.data = _check_number(data, "Value")
        self.grad = 0.0
        self.label = label
        self._op = ""
        self._parents: tuple[Value, ...] = ()
        self._local_grads: tuple[float, ...] = ()

    # ----------------------------------------------------------------- recording
    @classmethod
    def _apply(cls, op_name: str, *inputs: Value, const: float | None = None) -> Value:
        """Run scalar rule ``op_name`` on ``inputs`` and record the edges with their partials."""
        rule = SCALAR_RULES[op_name]
        args = [value.data for value in inputs]
        if const is not None:
            args.append(const)
        out_data, partials = rule.forward(*args)
        return _record(out_data, op_name, inputs, partials)

    @staticmethod
    def _lift(other: object, op_name: str) -> Value:
        """Wrap a Python number as a constant Value; anything else is a TypeError."""
        if isinstance(other, Value):
            return other
        return _record(_check_number(other, op_name), "", (), ())

    # ----------------------------------------------------------------- operators
    def __add__(self, other: Value | Number) -> Value:
        other = other if type(other) is Value else self._lift(other, "add")
        out_data, partials = _ADD(self.data, other.data)
        return _record(out_data, "add", (self, other), partials)

    def __radd__(self, other: Number) -> Value:
        return Value._apply("add", self._lift(other, "add"), self)

    def __sub__(self, other: Value | Number) -> Value:
        other = other if type(other) is Value else self._lift(other, "sub")
        out_data, partials = _SUB(self.data, other.data)
        return _record(out_data, "sub", (self, other), partials)

    def __rsub__(self, other: Number) -> Value:
        return Value._apply("sub", self._lift(other, "sub"), self)

    def __mul__(self, other: Value | Number) -> Value:
        other = other if type(other) is Value else self._lift(other, "mul")
        out_data, partials = _MUL(self.data, other.data)
        return _record(out_data, "mul", (self, other), partials)

    def __rmul__(self, other: Number) -> Value:
        return Value._apply("mul", self._lift(other, "mul"), self)

    def __truediv__(self, other: Value | Number) -> Value:
        other = other if type(other) is Value else self._lift(other, "div")
        out_data, partials = _DIV(self.data, other.data)
        return _record(out_data, "div", (self, other), partials)

    def __rtruediv__(self, other: Number) -> Value:
        return Value._apply("div", self._lift(other, "div"), self)

    def __pow__(self, exponent: Value | Number) -> Value:
        if isinstance(exponent, Value):
            return Value._apply("pow", self, exponent)
        return Value._apply("pow_const", self, const=_check_number(exponent, "pow"))

    def __rpow__(self, base: Number) -> Value:
        return Value._apply("pow", self._lift(base, "pow"), self)

    def __neg__(self) -> Value:
        out_data, partials = _NEG(self.data)
        return _record(out_data, "neg", (self,), partials)

    # ----------------------------------------------------------------- functions
    def exp(self) -> Value:
        """e ** self; raises OverflowError (a ValueError too) when the result overflows."""
        out_data, partials = _EXP(self.data)
        return _record(out_data, "exp", (self,), partials)

    def log(self) -> Value:
        """Natural logarithm; raises ValueError for inputs <= 0."""
        out_data, partials = _LOG(self.data)
        return _record(out_data, "log", (self,), partials)

    def tanh(self) -> Value:
        """Hyperbolic tangent; derivative 1 - tanh**2."""
        out_data, partials = _TANH(self.data)
        return _record(out_data, "tanh", (self,), partials)

    def sigmoid(self) -> Value:
        """Logistic function 1 / (1 + e**-x); derivative out * (1 - out)."""
        out_data, partials = _SIGMOID(self.data)
        return _record(out_data, "sigmoid", (self,), partials)

    def relu(self) -> Value:
        """max(0, x); derivative 1 for x > 0, else 0."""
        out_data, partials = _RELU(self.data)
        return _record(out_data, "relu", (self,), partials)

    # ----------------------------------------------------------------- backward
    def backward(self) -> None:
        """Add d self / d v into ``v.grad`` for every Value ``v`` this one depends on.

        Seeds ``self.grad`` with 1.0. Gradients accumulate across calls, as in PyTorch;
        set ``.grad = 0.0`` by hand (or use `nn.Module.zero_grad`) to start again. The
        local derivatives stay on the edges, so backward may be called more than once.

        Example:
            >>> x = Value(3.0); y = x * x
            >>> y.backward(); x.grad
            6.0
        """
        # no on_vertex: the totals come back in one dict (saves a callback call per Value)
        totals = backpropagate([self], [1.0], retain_graph=True, create_graph=False)
        for value, grad in totals.items():
            value.grad += grad

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label})"


_new = object.__new__  # looked up once: saves a global and an attribute lookup per Value


def _record(data: float, op_name: str, parents: tuple[Value, ...], partials: tuple) -> Value:
    """A new Value holding ``data``; its edges are recorded only while grad mode is on.

    Built without __init__ (whose checks ``data`` already passed): Value creation is the
    scalar engine's main cost.
    """
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if parents and _grad_state.enabled:  # the flag itself: saves a call per Value
        out._op, out._parents, out._local_grads = op_name, parents, partials
    else:
        out._op, out._parents, out._local_grads = "", (), ()
    return out


# The rules used on the hot path by the operators and functions, looked up once (saves a
# dictionary lookup, and for one-input functions a helper call, per Value).
_ADD = SCALAR_RULES["add"].forward
_SUB = SCALAR_RULES["sub"].forward
_MUL = SCALAR_RULES["mul"].forward
_DIV = SCALAR_RULES["div"].forward
_NEG = SCALAR_RULES["neg"].forward
_EXP = SCALAR_RULES["exp"].forward
_LOG = SCALAR_RULES["log"].forward
_TANH = SCALAR_RULES["tanh"].forward
_SIGMOID = SCALAR_RULES["sigmoid"].forward
_RELU = SCALAR_RULES["relu"].forward
