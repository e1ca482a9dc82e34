"""The formula text of `scalar_ops.SCALAR_OPS` agrees with the derivatives Values record.

explain() and draw_graph print these formulas; the numbers on the edges come from the code
in value.py. Evaluating each formula at the recorded inputs must give the recorded number.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from autograd_lite import Value, no_grad
from autograd_lite.scalar.formulas import SCALAR_OPS

# How to make each op from one or two Values (b is a Value, or the number 2.5 for pow_const).
MAKERS: dict[str, Callable[[Value, Value], Value]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "neg": lambda a, b: -a,
    "pow_const": lambda a, b: a**2.5,
    "pow": lambda a, b: a**b,
    "exp": lambda a, b: a.exp(),
    "log": lambda a, b: a.log(),
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "relu": lambda a, b: a.relu(),
}
# inputs (a, b) of both signs; a negative base has no real power or logarithm
INPUTS = [(0.7, 1.3), (2.0, -0.4), (1.5, 3.0), (0.3, 0.9), (-0.8, 2.0), (-1.2, -0.5)]
NEEDS_POSITIVE_A = {"log", "pow", "pow_const"}
CASES = [
    (op_name, a_data, b_data)
    for op_name in sorted(SCALAR_OPS)
    for a_data, b_data in INPUTS
    if a_data > 0 or op_name not in NEEDS_POSITIVE_A
]


def test_every_op_has_a_maker_and_every_maker_an_op() -> None:
    assert set(MAKERS) == set(SCALAR_OPS)


@pytest.mark.parametrize(("op_name", "a_data", "b_data"), CASES)
def test_formula_text_gives_the_recorded_local_derivatives(
    op_name: str, a_data: float, b_data: float
) -> None:
    a, b = Value(a_data), Value(b_data)
    out = MAKERS[op_name](a, b)
    assert out._op == op_name
    formulas = SCALAR_OPS[op_name].formulas
    assert len(out._local_grads) == len(formulas) == len(out._parents)
    names = {"a": a_data, "b": 2.5 if op_name == "pow_const" else b_data, "out": out.data}
    for formula, recorded in zip(formulas, out._local_grads, strict=True):
        expected = eval(formula, {"exp": math.exp, "log": math.log}, names)  # noqa: S307
        assert recorded == pytest.approx(expected, rel=1e-12), formula


@pytest.mark.parametrize("op_name", sorted(SCALAR_OPS))
def test_ops_record_nothing_under_no_grad(op_name: str) -> None:
    a, b = Value(0.7), Value(1.3)
    with no_grad():
        out = MAKERS[op_name](a, b)
    assert out._parents == () and out._local_grads == () and out._op == ""
    assert out.data == MAKERS[op_name](a, b).data
