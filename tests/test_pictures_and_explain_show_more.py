"""Pictures and explain() show what they hold: labels and data of tensors, constants, the
gradient along each edge, broadcast reductions, readable names and the parts of folded
factors. Every number shown is the engine's.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_lite import Tensor, Value, draw_graph, explain
from autograd_lite.documents import NETWORK_222_START
from autograd_lite.explaining.results import array_text, reduction_text
from tests.test_explain import random_graphs


def _edge_labels(source: str) -> dict[str, str]:
    return dict(re.findall(r"^\t(\w+ -> \w+) \[label=\"([^\"]*)\"", source, flags=re.M))


# ------------------------------------------------------------------------------ pictures
def test_tensor_nodes_show_label_data_and_constants_their_value() -> None:
    x = Tensor([[1.0, 2.0]], requires_grad=True)
    x.label = "x"
    h = (x * 3).tanh()
    h.label = "h"
    source = draw_graph(h.sum()).source
    assert f"h | shape (1, 2) float64 | data {array_text(h.data)}" in source
    assert "constant | shape () float64 | 3" in source
    assert "shape (1, 2) float64 | data [[3., 6.]]" in source  # x * 3, kept by Tanh


def test_small_tensors_are_shown_in_full() -> None:
    w = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    w.label = "w"
    source = draw_graph(w.sum()).source
    assert "data [[ 0., 1., 2., 3.], [ 4., 5., 6., 7.], [ 8., 9., 10., 11.]]" in source


def test_edge_gradients_of_a_tensor_graph_are_the_engines() -> None:
    x = Tensor([[1.0, 2.0]], requires_grad=True)
    x.label = "x"
    h = (x * 3).tanh()
    loss = (h * h).sum()
    source = draw_graph(loss, show_edge_grads=True).source
    edges = re.findall(r"^\t(\w+) -> (\w+) \[label=\"([^\"]*)\"", source, flags=re.M)
    assert x.grad is None  # the picture's backward pass touches no .grad
    loss.backward(retain_graph=True)
    # x feeds one Mul: the gradient sent to x along that edge is all of x.grad
    assert ("n0", "n1", f"grad {array_text(x.grad.data)}") in edges
    # h * h sends h back along each of its two edges (d(h*h)/dh = h + h)
    into_square = [label for source_, target, label in edges if target == "n3"]
    assert into_square == [f"grad {array_text(h.data)}"] * 2


def test_edge_gradients_after_backward_say_why_they_are_missing() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    source = draw_graph(loss, show_edge_grads=True).source
    assert "edge gradients not shown: backward() freed the graph" in source
    assert "retain_graph=True" in source


def test_broadcast_reductions_are_visible_in_the_picture() -> None:
    x = Tensor(np.ones((4, 3)))
    b = Tensor([0.1, 0.2, 0.3], requires_grad=True)
    b.label = "b"
    loss = (x + b).sum()
    source = draw_graph(loss, show_edge_grads=True).source
    labels = _edge_labels(source)
    assert labels["n0 -> n1"] == "b (3,) <- summed over axis 0 of (4, 3)\\ngrad [4., 4., 4.]"


def test_reduction_text_names_leading_and_stretched_axes() -> None:
    assert reduction_text((4, 3), (3,)) == "(3,) <- summed over axis 0 of (4, 3)"
    assert reduction_text((2, 4, 3), (4, 1)) == "(4, 1) <- summed over axes (0, 2) of (2, 4, 3)"
    assert reduction_text((4, 3), (4, 3)) == ""


# ------------------------------------------------------------------------------ explain
def test_tensor_explain_names_inputs_and_shows_broadcast_reductions() -> None:
    x = Tensor(np.ones((4, 3)))
    w = Tensor(np.full((3, 3), 0.1), requires_grad=True)
    b = Tensor([0.1, 0.2, 0.3], requires_grad=True)
    b.label = "b"
    h = (x @ w + b).tanh()
    h.label = "h"
    result = explain((h * h).sum(), b, index=(1,))
    text = str(result)
    assert "back into its input 1 (b); b (3,) <- summed over axis 0 of (4, 3)" in text
    assert "back into its input 0 (h)" in text
    add_step = result.paths[0].steps[-1]
    assert (add_step.input_name, add_step.summed) == ("b", "(3,) <- summed over axis 0 of (4, 3)")


def _unlabelled_222(labels: bool = False) -> tuple[Value, dict[str, Value]]:
    v = {
        name: Value(number, label=name if labels else "")
        for name, number in NETWORK_222_START.items()
    }

    def neuron(wa: str, a: Value, wb: str, b: Value, bias: str) -> Value:
        return (v[wa] * a + v[wb] * b + v[bias]).sigmoid()

    h1 = neuron("w1", v["i1"], "w2", v["i2"], "b1")
    h2 = neuron("w3", v["i1"], "w4", v["i2"], "b1")
    o1, o2 = neuron("w5", h1, "w6", h2, "b2"), neuron("w7", h1, "w8", h2, "b2")
    error = 0.5 * (v["target_o1"] - o1) ** 2 + 0.5 * (v["target_o2"] - o2) ** 2
    return error, v


def test_unlabelled_values_get_stable_op_names_defined_once() -> None:
    error, v = _unlabelled_222()
    result = explain(error, v["w1"])
    text = str(result)
    assert "#" not in text  # no more "[add #27]"
    assert text.startswith("d output / d wrt = 0.000438567734")
    assert "where (unlabelled values, named by op and the order they were computed in):" in text
    assert re.search(r"^  sigmoid_1 = sigmoid\(.*\) = 0\.593269992$", text, re.M)
    # names are the same when the same graph is explained again
    assert str(explain(error, v["w1"])) == text
    # every name used is defined
    used = set(re.findall(r"\b([a-z_]+_\d+)\b", text))
    defined = set(re.findall(r"^  ([a-z_]+_\d+) = ", text, re.M))
    assert used <= defined


def test_branch_names_are_unique() -> None:
    error, v = _unlabelled_222()
    for wrt in ("w1", "w3", "b1"):
        for stage in explain(error, v[wrt]).stages:
            names = [branch.name for branch in stage.branches]
            assert len(names) == len(set(names)), names
    x = Value(3.0, label="x")
    square = x * x
    square.label = "s"
    out = square.tanh()
    out.label = "out"
    stage_names = [b.name for s in explain(out, x, fold=False).stages for b in s.branches]
    assert len(stage_names) == len(set(stage_names))


def test_unlabelled_values_show_their_labelled_parents() -> None:
    error, v = _unlabelled_222(labels=True)
    text = str(explain(error, v["w5"], fold=False))
    definitions = dict(re.findall(r"^  ([a-z_]+_\d+) = (.*) = [-\d.e]+$", text, re.M))
    assert any("w6" in expression for expression in definitions.values())


def test_folded_factors_show_their_parts() -> None:
    from autograd_lite.cli.graph import demo_222, find_labelled

    error = demo_222()
    text = str(explain(error, find_labelled(error, "w5", {})))
    assert (
        "d E / d out_o1 = 0.5 * 2 * (target_o1 - out_o1)**(2-1) * (-1) = 0.5 * -1.48273014 * -1 "
        "= 0.74136507   (through E_o1)" in text
    )


@given(random_graphs(), st.booleans())
def test_folded_parts_multiply_and_add_up_to_the_factor(graph, merge_sums) -> None:
    output, wrt, _ = graph
    result = explain(output, wrt, fold=True, merge_sums=merge_sums, max_paths=100_000)
    for path in result.paths:
        for step in path.steps:
            if step.parts:
                total = sum(math.prod(part) for part in step.parts)
                assert total == pytest.approx(step.value, rel=1e-9, abs=1e-12)


def test_explain_results_have_a_short_repr_and_show_their_text_in_jupyter() -> None:
    x = Value(2.0, label="x")
    y = (x * x).tanh()
    y.label = "y"
    result = explain(y, x)
    assert repr(result) == (
        f"<Explanation d y / d x = {result.total:.9g} (2 paths); print() it for the breakdown>"
    )
    assert result._repr_html_() == f"<pre>{str(result)}</pre>"

    class Printer:
        def __init__(self) -> None:
            self.text_shown = ""

        def text(self, text: str) -> None:
            self.text_shown += text

    printer = Printer()
    result._repr_pretty_(printer, False)
    assert printer.text_shown == str(result)
    w = Tensor([1.0, 2.0], requires_grad=True)
    tensor_result = explain((w * w).sum(), w, index=(0,))
    assert repr(tensor_result).startswith("<TensorExplanation d output / d wrt[0] = 2")
    assert "<pre>" in tensor_result._repr_html_()
