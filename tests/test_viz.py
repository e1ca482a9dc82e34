"""draw_graph(): DOT content of known graphs, rendering to valid files, the dot-missing hint."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

from autograd_lite import Tensor, Value, draw_graph
from autograd_lite.viz.draw import GraphvizNotFoundError, render_graph

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's `dot` program is not installed"
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def small_graph() -> tuple[Value, Value, Value]:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    d = c + a
    d.label = "d"
    d.backward()  # a.grad = b + 1 = -2, b.grad = a = 2
    return a, b, d


def nodes_and_edges(source: str) -> tuple[list[str], list[str]]:
    nodes = re.findall(r"^\t(\w+) \[label=", source, flags=re.M)
    edges = re.findall(r"^\t(\w+ -> \w+)", source, flags=re.M)
    return nodes, edges


def test_value_graph_dot_has_a_node_per_value_and_per_op():
    a, b, d = small_graph()
    source = draw_graph(d).source
    nodes, edges = nodes_and_edges(source)
    assert len(nodes) == 6  # values a, b, c, d and the ops * and +
    assert len(edges) == 6  # a->*, b->*, *->c, c->+, a->+, +->d
    assert '"a | data 2 | grad -2"' in source
    assert '"b | data -3 | grad 2"' in source
    assert '"c | data -6 | grad 1"' in source
    assert '"d | data -4 | grad 1"' in source
    assert 'label="*"' in source and 'label="+"' in source
    assert "rankdir=LR" in source


def test_show_data_and_grad_switch_the_numbers_off():
    _, _, d = small_graph()
    source = draw_graph(d, show_data=False, show_grad=False, rankdir="TB").source
    assert "data " not in source and "grad " not in source
    assert "v0 [label=a shape=record]" in source  # the label stays
    assert "rankdir=TB" in source


def test_edge_grads_label_each_edge_with_its_local_derivative():
    a, b, d = small_graph()
    source = draw_graph(d, show_edge_grads=True).source
    edge_labels = re.findall(r"-> \w+ \[label=(\S+) ", source)
    assert sorted(edge_labels) == sorted(["-3", "2", "1", "1"])  # dc/da=b, dc/db=a, d+: 1, 1


def test_highlight_marks_the_paths_from_an_input():
    a, b, d = small_graph()
    source = draw_graph(d, highlight=b).source
    red = [line for line in source.splitlines() if "#d62728" in line]
    # b, the * op, c, the + op, d (5 nodes) and the 4 edges b->*, *->c, c->+, +->d
    assert len(red) == 9
    assert not any(line.strip().startswith("v0 ") or "a |" in line for line in red)


def test_big_graph_collapses_with_a_visible_note():
    out = Value(0.0)
    for number in range(300):
        out = out + Value(float(number))
    source = draw_graph(out, max_nodes=25).source
    nodes, _ = nodes_and_edges(source)
    value_nodes = [name for name in nodes if name.startswith("v") and not name.endswith("_op")]
    assert len(value_nodes) == 25
    assert "576 of 601 values not shown" in source
    assert "collapsed ->" in source


def test_module_parameters_get_dotted_names():
    weight = Value(0.5)
    out = weight * 3.0

    class FakeModule:  # duck typing: anything with named_parameters()
        def named_parameters(self):
            return [("layer.0.weight", weight)]

    assert '"layer.0.weight | data 0.5' in draw_graph(out, module=FakeModule()).source


def test_tensor_graph_shows_ops_shapes_dtypes_and_leaf_previews():
    weight = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    weight.label = "W"
    loss = (weight @ Tensor(np.ones(3, dtype=np.float32))).tanh().sum()
    loss.backward()
    source = draw_graph(loss).source
    for op in ("MatMul", "Tanh", "Sum"):
        assert f"label={op}" in source
    assert "W | shape (2, 3) float32 | data [[1., 1., 1.], [1., 1., 1.]]" in source
    assert "constant | shape (3,) float32" in source
    assert "shape () float32 | data" in source


def test_bad_arguments_raise_clear_errors():
    _, _, d = small_graph()
    with pytest.raises(ValueError, match="rankdir must be one of"):
        draw_graph(d, rankdir="sideways")
    with pytest.raises(ValueError, match="max_nodes must be at least 1"):
        draw_graph(d, max_nodes=0)
    with pytest.raises(TypeError, match="root must be a Value or a Tensor"):
        draw_graph(3.0)
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        render_graph(draw_graph(d), "picture.gif")


@pytest.mark.parametrize("max_nodes", ["5", 5.0, True, None])
def test_max_nodes_must_be_an_integer(max_nodes):
    _, _, d = small_graph()
    with pytest.raises(
        TypeError, match=f"draw_graph: max_nodes must be an integer, got {type(max_nodes).__name__}"
    ):
        draw_graph(d, max_nodes=max_nodes)


def test_highlight_outside_the_value_graph_is_an_error():
    _, _, d = small_graph()
    stranger = Value(1.0, label="stranger")
    with pytest.raises(ValueError, match="highlight 'stranger' is not part of the graph"):
        draw_graph(d, highlight=stranger)
    with pytest.raises(ValueError, match="highlight is a Tensor .* not part of the graph"):
        draw_graph(d, highlight=Tensor([1.0], requires_grad=True))
    with pytest.raises(TypeError, match="highlight must be a Value or a Tensor, got str"):
        draw_graph(d, highlight="a")


def tensor_loss() -> tuple[Tensor, Tensor, Tensor]:
    weight = Tensor(np.ones((2, 3)), requires_grad=True)
    weight.label = "W"
    inputs = Tensor(np.ones(3))
    hidden = (weight @ inputs).tanh()
    return weight, inputs, hidden.sum()


def test_highlight_outside_the_tensor_graph_is_an_error():
    weight, inputs, loss = tensor_loss()
    assert "#d62728" in draw_graph(loss, highlight=weight).source  # in the graph: fine
    other = Tensor(np.ones(3), requires_grad=True)
    other.label = "other"
    with pytest.raises(ValueError, match="highlight 'other' is not part of the graph"):
        draw_graph(loss, highlight=other)
    with pytest.raises(ValueError, match="requires_grad=False"):
        draw_graph(loss, highlight=inputs)  # a constant: drawn, but not a graph vertex
    with pytest.raises(ValueError, match="highlight is a Value .* not part of the graph"):
        draw_graph(loss, highlight=Value(1.0))
    lone = Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="not part of the graph"):
        draw_graph(lone, highlight=weight)


@needs_dot
def test_png_rendering_writes_a_png(tmp_path):
    _, _, d = small_graph()
    path = render_graph(draw_graph(d), tmp_path / "graph.png")
    assert path.read_bytes()[:8] == PNG_MAGIC


@needs_dot
def test_svg_rendering_parses_as_xml_with_the_labels(tmp_path):
    _, _, d = small_graph()
    path = render_graph(draw_graph(d), tmp_path / "graph.svg")
    root = ElementTree.parse(path).getroot()
    assert root.tag.endswith("svg")
    texts = {element.text for element in root.iter() if element.tag.endswith("text")}
    assert {"a", "b", "c", "d", "data 2", "grad -2"} <= texts


@needs_dot
def test_jupyter_display_is_svg():
    _, _, d = small_graph()
    bundle = draw_graph(d)._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))


def test_missing_dot_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot` anywhere
    _, _, d = small_graph()
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        render_graph(draw_graph(d), tmp_path / "graph.png")
    with pytest.raises(GraphvizNotFoundError, match="brew install graphviz"):
        draw_graph(d).pipe(format="svg")


def test_importing_the_package_does_not_import_graphviz():
    code = "import sys, autograd_lite; print('graphviz' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False"
