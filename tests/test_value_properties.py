"""Hypothesis: random scalar expression trees, engine gradients vs central differences."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from autograd_lite import Value

N_VARIABLES = 3

# Operations kept smooth and inside their domains for any real inputs, so that finite
# differences are meaningful: log and division see 1 + x^2 > 0, exp sees tanh(x) in [-1, 1].
UNARY = {
    "neg": (lambda a: -a, lambda a: -a),
    "tanh": (lambda a: a.tanh(), math.tanh),
    "sigmoid": (lambda a: a.sigmoid(), lambda a: 1 / (1 + math.exp(-a))),
    "exp_tanh": (lambda a: a.tanh().exp(), lambda a: math.exp(math.tanh(a))),
    "log1p_sq": (lambda a: (1 + a * a).log(), lambda a: math.log(1 + a * a)),
    "cube": (lambda a: a**3, lambda a: a**3),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / (1 + b * b), lambda a, b: a / (1 + b * b)),
    "pow": (lambda a, b: (1 + a * a) ** b.tanh(), lambda a, b: (1 + a * a) ** math.tanh(b)),
}

leaves = st.one_of(
    st.integers(0, N_VARIABLES - 1).map(lambda i: ("var", i)),
    st.floats(-2, 2).map(lambda c: ("const", c)),
)
expressions = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.tuples(st.sampled_from(sorted(UNARY)), children),
        st.tuples(st.sampled_from(sorted(BINARY)), children, children),
    ),
    max_leaves=12,
)


def evaluate(expr, variables, use_values: bool):
    """Evaluate an expression tree on Values (use_values) or on plain floats."""
    kind = expr[0]
    if kind == "var":
        return variables[expr[1]]
    if kind == "const":
        return Value(expr[1]) if use_values else expr[1]
    table = UNARY if len(expr) == 2 else BINARY
    fn = table[kind][0 if use_values else 1]
    return fn(*(evaluate(child, variables, use_values) for child in expr[1:]))


def central_difference(expr, point, index, eps=1e-6):
    up, down = list(point), list(point)
    up[index] += eps
    down[index] -= eps
    return (evaluate(expr, up, False) - evaluate(expr, down, False)) / (2 * eps)


@given(expressions, st.lists(st.floats(-1.5, 1.5), min_size=N_VARIABLES, max_size=N_VARIABLES))
def test_random_expression_gradients_match_finite_differences(expr, point):
    variables = [Value(x) for x in point]
    out = evaluate(expr, variables, True)
    if abs(out.data) > 1e6:
        return  # cube of cubes can leave the range where finite differences are accurate
    out.backward()
    assert math.isclose(out.data, evaluate(expr, point, False), rel_tol=1e-12, abs_tol=1e-12)
    for index, variable in enumerate(variables):
        numeric = central_difference(expr, point, index)
        assert math.isclose(variable.grad, numeric, rel_tol=1e-4, abs_tol=1e-5), (
            f"d/dx{index}: engine {variable.grad} vs numeric {numeric} for {expr}"
        )


# Random DAGs: unlike the trees above, intermediate Values are shared (one Value used by
# several later ones), which is what the backward order has to get right: a Value's total
# is final only after every Value using it has passed its contribution back.
dag_steps = st.lists(
    st.tuples(st.sampled_from(["add", "mul", "sub", "tanh"]), st.integers(0), st.integers(0)),
    min_size=1,
    max_size=40,
)


def forward_mode_gradient(leaf_values, steps, wrt):
    """d last / d leaf ``wrt`` by forward-mode (value, derivative) pairs: no reverse pass."""
    pairs = [(x, 1.0 if i == wrt else 0.0) for i, x in enumerate(leaf_values)]
    for op, first, second in steps:
        (a, da), (b, db) = pairs[first % len(pairs)], pairs[second % len(pairs)]
        if op == "add":
            pairs.append((a + b, da + db))
        elif op == "sub":
            pairs.append((a - b, da - db))
        elif op == "mul":
            pairs.append((a * b, a * db + b * da))
        else:
            pairs.append((math.tanh(a), (1.0 - math.tanh(a) ** 2) * da))
    return pairs[-1][1]


@given(st.lists(st.floats(-1.0, 1.0), min_size=1, max_size=4), dag_steps)
def test_shared_intermediate_values_get_every_contribution(leaf_values, steps):
    nodes = [Value(x) for x in leaf_values]
    for op, first, second in steps:
        a, b = nodes[first % len(nodes)], nodes[second % len(nodes)]
        if op == "add":
            nodes.append(a + b)
        elif op == "sub":
            nodes.append(a - b)
        elif op == "mul":
            nodes.append(a * b)
        else:
            nodes.append(a.tanh())
    if not all(math.isfinite(node.data) and abs(node.data) < 1e6 for node in nodes):
        return  # repeated squaring can overflow: nothing to compare there
    nodes[-1].backward()
    for index in range(len(leaf_values)):
        expected = forward_mode_gradient(leaf_values, steps, index)
        assert math.isclose(nodes[index].grad, expected, rel_tol=1e-9, abs_tol=1e-12), (
            f"leaf {index}: {nodes[index].grad} != {expected} for steps {steps}"
        )
