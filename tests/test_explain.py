"""explain(): path products add up to the engine's gradient; folding, summaries, Tensors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_lite import GraphFreedError, Tensor, Value, explain


def fresh_gradient(output: Value, wrt: Value, values: list[Value]) -> float:
    for value in values:
        value.grad = 0.0
    output.backward()
    return wrt.grad


# ----------------------------------------------------------------------------- small graphs
def test_unlabelled_graph_lists_every_local_derivative():
    x, y = Value(3.0, label="x"), Value(-2.0, label="y")
    out = x * y + x * x  # d/dx = y + 2x = 4: three paths (via x*y, and twice via x*x)
    result = explain(out, x)
    assert result.n_paths == 3
    assert [path.product for path in result.paths] == [-2.0, 3.0, 3.0]
    assert result.total == 4.0
    first = result.paths[0].factors
    assert first == [("d ((x * y) + (x * x)) / d (x * y) = 1", 1.0), ("d (x * y) / d x = y", -2.0)]


def test_folding_sums_the_unlabelled_sub_paths_between_labelled_values():
    x = Value(3.0, label="x")
    square = x * x  # unlabelled: two sub-paths from x to s, folded into one factor 2x
    s = square + 1.0
    s.label = "s"
    out = s.tanh()
    out.label = "out"
    result = explain(out, x)
    assert result.n_paths == 1
    upper, lower = result.paths[0].steps
    assert (upper.name, upper.formula) == ("d out / d s", "1 - out**2")
    assert upper.value == pytest.approx(1 - math.tanh(10.0) ** 2, rel=1e-12)
    assert (lower.name, lower.formula, lower.value) == ("d s / d x", "x + x", 6.0)


def test_fold_false_shows_each_step_even_with_labels():
    x = Value(3.0, label="x")
    s = x * x
    s.label = "s"
    result = explain(s, x, fold=False)
    assert result.n_paths == 2
    assert [path.factors for path in result.paths] == [[("d s / d x = x", 3.0)]] * 2


def test_merge_sums_false_keeps_the_unit_factor():
    a, b = Value(2.0, label="a"), Value(5.0, label="b")
    sa = a * a
    sa.label = "sa"
    total = sa + b
    total.label = "total"
    merged = explain(total, a).paths[0]
    kept = explain(total, a, merge_sums=False).paths[0]
    assert [s.name for s in merged.steps] == ["d total / d a"]
    assert merged.steps[0].through == ("sa",)
    assert [s.name for s in kept.steps] == ["d total / d sa", "d sa / d a"]
    assert merged.product == kept.product == 4.0


def test_output_independent_of_wrt_gives_zero_and_says_so():
    x, y = Value(1.0, label="x"), Value(2.0, label="y")
    out = y * y
    out.label = "out"
    result = explain(out, x)
    assert (result.total, result.n_paths, result.paths) == (0.0, 0, [])
    assert "does not depend on x" in str(result)


def test_wrt_is_output():
    x = Value(1.5, label="x")
    result = explain(x, x)
    assert (result.total, result.n_paths, result.paths[0].product) == (1.0, 1, 1.0)


def test_pow_exponent_is_recovered_in_formulas():
    x = Value(1.5, label="x")
    out = x**3
    out.label = "out"
    assert explain(out, x).paths[0].factors == [("d out / d x = 3 * x**(3-1)", 6.75)]


# ----------------------------------------------------------------------------- big graphs
def test_exponentially_many_paths_are_counted_and_summarised():
    x = Value(1.0, label="x")
    out = x
    for _ in range(60):  # out = out + out: 2**60 paths, each with product 1
        out = out + out
    result = explain(out, x, max_paths=5)
    assert result.n_paths == 2**60
    assert len(result.paths) == 5 and not result.complete
    assert result.total == 2.0**60
    text = str(result)
    assert f"the 5 largest of {2**60} paths" in text


def test_largest_paths_are_chosen_by_absolute_product():
    x = Value(1.0, label="x")
    weights = [0.5, -4.0, 2.0, 1.0]
    out = sum((x * w for w in weights), Value(0.0))
    result = explain(out, x, max_paths=2)
    assert result.n_paths == 4
    assert [path.product for path in result.paths] == [-4.0, 2.0]


def test_long_chain_needs_no_recursion():
    x = Value(0.5, label="x")
    out = x
    for _ in range(5_000):
        out = out * 1.0
    result = explain(out, x)
    assert result.n_paths == 1 and result.total == 1.0
    assert len(result.paths[0].steps) == 5_000


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="both be Values or both be Tensors"):
        explain(Value(1.0), Tensor(1.0, requires_grad=True))
    with pytest.raises(ValueError, match="max_paths must be at least 1"):
        explain(Value(1.0), Value(1.0), max_paths=0)
    with pytest.raises(TypeError, match="named_parameters"):
        explain(Value(1.0), Value(1.0), module=object())


# ----------------------------------------------------------------------------- random graphs
OPS = ("add", "sub", "mul", "tanh", "sigmoid", "square", "neg")


def apply_op(op: str, a: Value, b: Value) -> Value:
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return (a * b).tanh()  # keeps magnitudes moderate
    if op == "tanh":
        return a.tanh()
    if op == "sigmoid":
        return a.sigmoid()
    if op == "square":
        return a**2
    return -a


@st.composite
def random_graphs(draw):
    """A random Value graph with shared subexpressions and some labelled intermediates."""
    n_leaves = draw(st.integers(1, 3))
    values = [
        Value(draw(st.floats(-2, 2, allow_nan=False)), label=f"x{i}") for i in range(n_leaves)
    ]
    for step in range(draw(st.integers(1, 12))):
        op = draw(st.sampled_from(OPS))
        a = values[draw(st.integers(0, len(values) - 1))]  # reuse makes shared subexpressions
        b = values[draw(st.integers(0, len(values) - 1))]
        out = apply_op(op, a, b)
        if draw(st.booleans()):
            out.label = f"h{step}"
        values.append(out)
    output = values[-1]
    wrt = values[draw(st.integers(0, n_leaves - 1))]
    return output, wrt, values


@given(random_graphs(), st.sampled_from([None, True, False]), st.booleans())
def test_path_sum_equals_engine_gradient_on_random_graphs(graph, fold, merge_sums):
    output, wrt, values = graph
    result = explain(output, wrt, fold=fold, merge_sums=merge_sums, max_paths=100_000)
    assert result.total == fresh_gradient(output, wrt, values)  # same float operations
    assert result.complete
    assert result.path_sum == pytest.approx(result.total, rel=1e-9, abs=1e-12)
    for path in result.paths:
        product = 1.0
        for _, factor in path.factors:
            product *= factor
        assert path.product == pytest.approx(product, rel=1e-12, abs=1e-300)
    stage_product = math.prod(stage.value for stage in result.stages) if result.stages else None
    if stage_product is not None:
        assert stage_product == pytest.approx(result.total, rel=1e-9, abs=1e-12)


# ----------------------------------------------------------------------------- Tensor graphs
def tensor_loss():
    weight = Tensor(np.array([[0.1, 0.2], [0.3, -0.4]]), requires_grad=True)
    weight.label = "W"
    x = Tensor([1.0, 2.0])
    hidden = (weight @ x).tanh()
    loss = (hidden * hidden).sum() + (weight * weight).sum()
    return weight, loss


def test_tensor_element_paths_add_up_to_the_engine_gradient():
    weight, loss = tensor_loss()
    result = explain(loss, weight, index=(0, 1))
    assert result.n_paths == 4  # hidden*hidden (2 inputs) and weight*weight (2 inputs)
    ops = [[step.op for step in path.steps] for path in result.paths]
    assert ops[0] == ["Add", "Sum", "Mul", "Tanh", "MatMul"]
    assert ops[2] == ["Add", "Sum", "Mul"]
    assert result.paths[2].contribution == 0.2  # d(sum W*W)/dW[0,1] via one factor = W[0,1]
    loss.backward()
    assert result.total == weight.grad.data[0, 1]
    assert result.path_sum == pytest.approx(result.total, rel=1e-12)
    assert "d output / d W[0, 1]" in str(result)


def test_tensor_upstream_gradient_is_recorded_per_step():
    weight, loss = tensor_loss()
    path = explain(loss, weight, index=(1, 0)).paths[0]
    hidden = np.tanh(weight.data @ np.array([1.0, 2.0]))
    mul_step, tanh_step = path.steps[2], path.steps[3]
    assert (mul_step.op, mul_step.input_index, tanh_step.op) == ("Mul", 0, "Tanh")
    # along the path through input 0 of hidden * hidden, the gradient reaching tanh's result
    # is the other factor, hidden (the path through input 1 carries the other half of 2h)
    np.testing.assert_allclose(tanh_step.upstream, hidden, rtol=1e-12)


def test_tensor_explain_after_backward_says_how_to_keep_the_graph():
    weight, loss = tensor_loss()
    loss.backward()
    with pytest.raises(GraphFreedError, match="retain_graph=True"):
        explain(loss, weight, index=(0, 0))


def test_tensor_explain_works_after_retain_graph():
    weight, loss = tensor_loss()
    loss.backward(retain_graph=True)
    assert explain(loss, weight, index=(0, 0)).total == weight.grad.data[0, 0]


def test_tensor_index_errors_name_the_shape():
    weight, loss = tensor_loss()
    with pytest.raises(ValueError, match=r"wrt has shape \(2, 2\); pass index"):
        explain(loss, weight)
    with pytest.raises(ValueError, match=r"index \(2, 0\) is not an element of .* \(2, 2\)"):
        explain(loss, weight, index=(2, 0))
    with pytest.raises(ValueError, match=r"single element .* shape \(2,\)"):
        explain(weight @ Tensor([1.0, 1.0]), weight, index=(0, 0))


def test_tensor_index_is_one_entry_per_axis():
    weight, loss = tensor_loss()
    with pytest.raises(ValueError, match=r"index=1 .* wrt has shape \(2, 2\).* tuple of 2"):
        explain(loss, weight, index=1)  # not the flat index W[0, 1], and not row 1
    with pytest.raises(ValueError, match=r"index \(1,\) has 1 entry but wrt has 2 axes"):
        explain(loss, weight, index=(1,))
    with pytest.raises(ValueError, match=r"index \(0, 1, 0\) has 3 entries but wrt has 2"):
        explain(loss, weight, index=(0, 1, 0))
    with pytest.raises(TypeError, match=r"index entries must be integers, got \(0, 1.5\)"):
        explain(loss, weight, index=(0, 1.5))
    with pytest.raises(TypeError, match="index must be an integer or a tuple"):
        explain(loss, weight, index="0,1")


def test_tensor_integer_index_for_a_vector():
    vector = Tensor([0.5, -1.0, 2.0], requires_grad=True)
    loss = (vector * vector * vector).sum()
    result = explain(loss, vector, index=np.int64(1))
    assert result.index == (1,)
    assert result.total == pytest.approx(3 * (-1.0) ** 2)  # d sum(v**3) / d v[1] = 3 v[1]**2


def test_tensor_module_names_label_parameters():
    weight, loss = tensor_loss()

    class FakeModule:  # duck typing: anything with named_parameters()
        def named_parameters(self):
            return [("layer.weight", weight)]

    result = explain(loss, weight, index=(0, 0), module=FakeModule())
    assert result.wrt_name == "layer.weight"
