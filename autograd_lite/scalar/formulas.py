"""How the scalar engine shows its ops: each op's symbol and local derivatives as text.

`Value`'s methods (value.py) compute each op's result and, beside it, the local partial
derivatives d out / d input as plain floats. This table gives the same derivatives as
formulas (``a``, ``b`` are the inputs, ``out`` the result), one per input, for `explain()`
and the pictures of `draw_graph`. tests/test_scalar_ops.py evaluates every formula and checks
it against the numbers a Value records, so the text cannot drift from the code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScalarOp:
    """One scalar operation as shown: its name (``Value._op``), symbol and formulas."""

    name: str
    symbol: str
    formulas: tuple[str, ...]


SCALAR_OPS: dict[str, ScalarOp] = {
    op.name: op
    for op in (
        ScalarOp("add", "+", ("1", "1")),
        ScalarOp("sub", "-", ("1", "-1")),
        ScalarOp("mul", "*", ("b", "a")),
        ScalarOp("div", "/", ("1/b", "-a/b**2")),
        ScalarOp("neg", "-", ("-1",)),
        ScalarOp("pow_const", "**", ("b * a**(b-1)",)),
        ScalarOp("pow", "**", ("b * a**(b-1)", "a**b * log(a)")),
        ScalarOp("exp", "exp", ("exp(a)",)),
        ScalarOp("log", "log", ("1/a",)),
        ScalarOp("tanh", "tanh", ("1 - out**2",)),
        ScalarOp("sigmoid", "sigmoid", ("out * (1 - out)",)),
        ScalarOp("relu", "relu", ("1 if a > 0 else 0",)),
    )
}
