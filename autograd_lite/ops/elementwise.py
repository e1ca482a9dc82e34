"""Elementwise arithmetic. Broadcasting is undone by the graph walk, never here."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.context import Context
from ..errors import ShapeError
from .op import Op


def _broadcast_error(name: str, a: np.ndarray, b: np.ndarray) -> ShapeError:
    """The clear error for a binary op whose operand shapes do not broadcast."""
    return ShapeError(f"{name}: operand shapes {a.shape} and {b.shape} do not broadcast together")


class Add(Op):
    """y = a + b;  dy/da = 1, dy/db = 1"""

    array_backward = True
    saves_inputs = False

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        try:  # the ufunc called here, not through a helper: one call less per op
            return np.add(a, b)
        except ValueError:
            raise _broadcast_error("add", a, b) from None

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> tuple[Any, ...]:
        return grad_output, grad_output


class Sub(Op):
    """y = a - b;  dy/da = 1, dy/db = -1"""

    array_backward = True
    saves_inputs = False

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        try:
            return np.subtract(a, b)
        except ValueError:
            raise _broadcast_error("sub", a, b) from None

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> tuple[Any, ...]:
        return grad_output, -grad_output if ctx.needs_input_grad[1] else None


class Mul(Op):
    """y = a * b;  dy/da = b, dy/db = a"""

    array_backward = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        try:
            return np.multiply(a, b)
        except ValueError:
            raise _broadcast_error("mul", a, b) from None

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> tuple[Any, ...]:
        a, b = ctx.saved_as(grad_output)
        grad_a = grad_output * b if ctx.needs_input_grad[0] else None
        grad_b = grad_output * a if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Div(Op):
    """y = a / b;  dy/da = 1/b, dy/db = -a/b**2

    Division by zero gives IEEE inf or nan without a NumPy warning, as log(0) does;
    `detect_anomaly` is the tool that reports where it happened.
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            try:
                return np.divide(a, b)
            except ValueError:
                raise _broadcast_error("div", a, b) from None

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> tuple[Any, ...]:
        a, b = ctx.saved_tensors
        grad_a = grad_output / b if ctx.needs_input_grad[0] else None
        grad_b = -grad_output * a / (b * b) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Neg(Op):
    """y = -a;  dy/da = -1"""

    array_backward = True
    saves_inputs = False

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        return np.negative(a)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return -grad_output


class PowConst(Op):
    """y = a ** c for a number c;  dy/da = c * a**(c-1)"""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, exponent: float) -> np.ndarray:
        ctx.exponent = exponent
        # A Python float exponent keeps float32 data float32; (-2.0) ** 3.0 is still -8.
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.power(a, exponent)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        (a,) = ctx.saved_tensors
        c = ctx.exponent
        if c == 0:
            return grad_output * 0.0
        return grad_output * c * a ** (c - 1)


class Pow(Op):
    """y = a ** b;  dy/da = b * a**(b-1), dy/db = a**b * log(a)

    At a = 0 the formulas hit 0 * inf; as PyTorch, dy/da = 0 where b = 0 (for any a, even
    inf or nan, since a**0 = 1) and dy/db = 0 where a = 0 and b >= 0 (the limits of y).
    A negative base has no real log, so dy/db is nan there.
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            try:
                return np.power(a, b)
            except ValueError:
                raise _broadcast_error("pow", a, b) from None

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> tuple[Any, ...]:
        a, b = ctx.saved_tensors
        grad_a = grad_b = None
        zero_base = a.data == 0
        if ctx.needs_input_grad[0]:
            exponent = b - 1
            if np.any(zero_base):  # 0 ** -1 would make b * a**(b-1) = 0 * inf where b = 0
                exponent = _where(zero_base & (b.data == 0), 1.0, exponent)
            grad_a = grad_output * b * a**exponent
            # d(a**0)/da = 0 even where a is inf or nan (PyTorch too); only there, so that
            # elsewhere b * a**(b-1) keeps its derivative with respect to b (gradgradcheck)
            undefined = (b.data == 0) & ~np.isfinite(a.data)
            if np.any(undefined):
                grad_a = _where(undefined, 0.0, grad_a)
        if ctx.needs_input_grad[1]:
            if np.any(zero_base):  # log(1) = 0 instead of log(0) = -inf where the limit is 0
                grad_b = grad_output * a**b * _where(zero_base & (b.data >= 0), 1.0, a).log()
            else:
                grad_b = grad_output * a**b * a.log()
        return grad_a, grad_b


class Cast(Op):
    """y = a as another float dtype;  dy/da = 1 (cast back)"""

    saves_inputs = False

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dtype: Any) -> np.ndarray:
        ctx.dtype = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        return Cast.apply(grad_output, dtype=ctx.dtype)


class Maximum(Op):
    """y = max(a, b) elementwise;  dy/da = [a > b] + [a == b]/2, dy/db = [b > a] + [a == b]/2

    Ties split the gradient equally, as PyTorch does for torch.maximum.
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        try:
            return np.maximum(a, b)
        except ValueError:
            raise _broadcast_error("maximum", a, b) from None

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> tuple[Any, ...]:
        a, b = ctx.saved_tensors
        dtype = grad_output.dtype
        a_wins = (a.data > b.data).astype(dtype) + 0.5 * (a.data == b.data).astype(dtype)
        grad_a = grad_output * a_wins if ctx.needs_input_grad[0] else None
        grad_b = grad_output * (1 - a_wins) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Minimum(Op):
    """y = min(a, b) elementwise;  dy/da = [a < b] + [a == b]/2, dy/db = [b < a] + [a == b]/2

    Ties split the gradient equally, as for `Maximum` (and torch.minimum).
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        try:
            return np.minimum(a, b)
        except ValueError:
            raise _broadcast_error("minimum", a, b) from None

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> tuple[Any, ...]:
        a, b = ctx.saved_tensors
        dtype = grad_output.dtype
        a_wins = (a.data < b.data).astype(dtype) + 0.5 * (a.data == b.data).astype(dtype)
        grad_a = grad_output * a_wins if ctx.needs_input_grad[0] else None
        grad_b = grad_output * (1 - a_wins) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Where(Op):
    """y = a where cond else b;  dy/da = [cond], dy/db = [not cond]; cond gets no gradient"""

    bool_inputs = (0,)  # the condition stays a mask

    @staticmethod
    def forward(ctx: Context, cond: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        try:
            return np.where(cond.astype(bool), a, b)
        except ValueError:
            raise ShapeError(
                f"where: shapes cond {cond.shape}, a {a.shape}, b {b.shape} do not broadcast"
            ) from None

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> tuple[Any, ...]:
        cond = ctx.saved_tensors[0].data.astype(bool)
        zero = np.zeros((), dtype=grad_output.dtype)
        grad_a = Where.apply(cond, grad_output, zero) if ctx.needs_input_grad[1] else None
        grad_b = Where.apply(cond, zero, grad_output) if ctx.needs_input_grad[2] else None
        return None, grad_a, grad_b


def _where(cond: np.ndarray, number: float, tensor: Any) -> Any:
    """``number`` where the boolean array ``cond`` holds, else ``tensor`` (in its dtype)."""
    return Where.apply(cond, np.asarray(number, dtype=tensor.dtype), tensor)
