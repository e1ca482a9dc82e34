"""draw_backward(): the page and the GIF that step through the backward pass (issue 21, item 2).

Every number the page shows is the engine's: the step data embedded in the page is parsed
here and compared with a plain ``backward()`` on the same graph, and every text the page
(or a GIF frame) shows is checked to be the formatting of those numbers. The real-browser
test is in test_draw_backward_browser.py.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import sys

import numpy as np
import pytest

from autograd_lite import Tensor, Value, draw_backward
from autograd_lite.documents import NETWORK_222_START, network_222
from autograd_lite.explaining.explain import array_text
from autograd_lite.scalar.walk import values_below
from autograd_lite.viz.layout import dot_names, vertices_below

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's `dot` program is not installed"
)


def page_data(html: str) -> dict:
    """The step data a saved page embeds (what its script reads)."""
    (payload,) = re.findall(
        r'<script type="application/json" class="agb-data">(.*?)</script>', html, re.S
    )
    return json.loads(payload)


def final_texts(data: dict) -> dict[str, str]:
    """The gradient text of every node once every step has run (as the script does it)."""
    texts = {name: node["initial"] for name, node in data["grad_nodes"].items()}
    for step in data["steps"]:
        texts.update(step["grads"])
    return texts


def _tensor_graph():
    x = Tensor([[1.0, -2.0], [0.5, 0.25]], requires_grad=True)
    w = Tensor([3.0, 0.5], requires_grad=True)
    x.label, w.label = "x", "w"
    y = ((x * w).tanh() * x).sum()
    y.label = "y"
    return y, x, w


@needs_dot
def test_every_number_of_the_value_page_is_the_engines(tmp_path) -> None:
    network = network_222(dict(NETWORK_222_START))
    path = draw_backward(network.error).save(tmp_path / "backward.html")
    data = page_data(path.read_text(encoding="utf-8"))

    fresh = network_222(dict(NETWORK_222_START))
    fresh.error.backward()
    names = dot_names(fresh.error)
    value_of = {names[id(value)]: value for value in values_below(fresh.error)}
    assert len(data["steps"]) == sum(1 for value in value_of.values() if value._parents)
    last: dict[str, float] = {}
    for step in data["steps"]:
        node = value_of[step["node"]]
        assert step["upstream"] == node.grad  # exactly (JSON floats round-trip)
        assert step["upstream_text"] == f"{node.grad:.4g}"
        assert f"= {node.grad:.4g}" in step["lines"][0]
        for position, entry in enumerate(step["inputs"]):
            assert entry["local"] == node._local_grads[position]
            assert entry["contribution"] == node._local_grads[position] * node.grad
            text = f"{node.grad:.4g} x {entry['local']:.4g} = {entry['contribution']:.4g}"
            assert text in step["lines"][position + 1] and text in step["callout"][position + 1]
            last[entry["node"]] = entry["accumulated"]
            assert step["grads"][entry["node"]] == f"grad {entry['accumulated']:.4g}"
    for name, total in last.items():
        assert total == value_of[name].grad  # each input's last total is its gradient
    texts = final_texts(data)
    assert set(texts) == set(value_of)
    for name, value in value_of.items():
        assert texts[name] == f"grad {value.grad:.4g}"
    assert data["grad_nodes"][names[id(fresh.error)]]["initial"] == "grad 1"  # the seed


@needs_dot
def test_every_number_of_the_tensor_page_is_the_engines(tmp_path) -> None:
    y, x, w = _tensor_graph()
    page = draw_backward(y)
    data = page_data(page.html())
    twin, tx, tw = _tensor_graph()
    twin.backward()

    names = dot_names(twin)
    leaves = {names[id(tx)]: tx, names[id(tw)]: tw}
    texts = final_texts(data)
    for name, leaf in leaves.items():
        assert texts[name] == "grad " + array_text(leaf.grad.data)
    for step in data["steps"]:
        for entry in step["inputs"]:
            if entry["node"] in leaves:
                last = entry
                leaf = leaves[entry["node"]]
                assert entry["accumulated_text"] == array_text(
                    np.reshape(entry["accumulated"]["data"], entry["accumulated"]["shape"])
                )
        assert step["lines"][0].endswith(step["upstream_text"])
    assert last["accumulated"]["data"] == leaf.grad.data.ravel().tolist()
    assert [step["op"] for step in data["steps"]] == [s.op for s in page.steps]
    # the root's output node starts at the seed, the others unknown
    root_name = f"{names[id(twin._vertex())]}_out0"
    assert data["grad_nodes"][root_name]["initial"] == "grad 1"
    assert {node["initial"] for key, node in data["grad_nodes"].items() if key != root_name} == {
        "grad ?"
    }


@needs_dot
def test_without_its_script_the_page_shows_the_finished_pass() -> None:
    network = network_222(dict(NETWORK_222_START))
    page = draw_backward(network.error)
    shown = {}
    for part in page.fragment().split("<title>")[1:]:
        name, _, rest = part.partition("</title>")
        shown[html.unescape(name)] = [
            html.unescape(text) for text in re.findall(r"<text[^>]*>(.*?)</text>", rest)
        ]
    final = final_texts(page.data)
    assert final == {name: node["final"] for name, node in page.data["grad_nodes"].items()}
    for name, text in final.items():
        assert text in shown[name]
        assert [t for t in shown[name] if t.startswith("grad ")] == [text]
    assert "-" in "".join(final.values())  # (Graphviz writes "-" as &#45; in the SVG)


@needs_dot
def test_drawing_changes_no_gradient_and_keeps_the_tensor_graph() -> None:
    network = network_222(dict(NETWORK_222_START))
    network.error.backward()
    before = [value.grad for value in values_below(network.error)]
    draw_backward(network.error)
    assert [value.grad for value in values_below(network.error)] == before

    y, x, w = _tensor_graph()
    assert x.grad is None
    draw_backward(y)
    assert x.grad is None and w.grad is None
    y.backward()  # the graph was kept
    twin, tx, _ = _tensor_graph()
    twin.backward()
    np.testing.assert_array_equal(x.grad.data, tx.grad.data)


@needs_dot
def test_the_page_is_self_contained_and_shows_inline(tmp_path) -> None:
    network = network_222(dict(NETWORK_222_START))
    page = draw_backward(network.error)
    html = page.save(tmp_path / "x.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html
    for pattern in (r"<script[^>]+src=", r"<link\b", r"@import", r"url\(", r"<iframe", r"<img"):
        assert not re.search(pattern, html), pattern
    addresses = set(re.findall(r"https?://[^\s\"'<>]+", html))
    assert addresses <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    fragment = page._repr_html_()
    assert fragment.startswith('<div class="agb" id="agb') and "<script>" in fragment
    assert fragment in html
    other = draw_backward(network.error)._repr_html_()
    assert other.split('"')[3] != fragment.split('"')[3]  # one id per page: both can coexist
    assert "BackwardPage of 27 steps" in repr(page)


@needs_dot
def test_max_nodes_draws_part_of_the_graph_but_keeps_every_step() -> None:
    network = network_222(dict(NETWORK_222_START))
    page = draw_backward(network.error, max_nodes=8)
    data = page_data(page.html())
    assert len(data["steps"]) == 27
    drawn = set(re.findall(r"<title>(\w+)</title>", page.fragment()))
    assert set(data["grad_nodes"]) <= drawn and len(data["grad_nodes"]) == 8
    for step in data["steps"]:
        highlighted = step["current"] + step["targets"] + sum(step["sending"], [])
        assert set(highlighted) <= drawn
        assert set(step["grads"]) <= drawn
    assert "of 43 values not shown" in page.fragment()


@needs_dot
def test_a_leaf_output_and_bad_arguments() -> None:
    page = draw_backward(Value(2.0, label="x"))
    data = page_data(page.html())
    assert data["steps"] == [] and data["grad_nodes"]["v0"]["initial"] == "grad 1"
    with pytest.raises(TypeError, match="Value or a Tensor"):
        draw_backward(2.0)
    with pytest.raises(ValueError, match="digits"):
        draw_backward(Value(1.0), digits=0)
    with pytest.raises(ValueError, match=r"\.html or \.gif"):
        page.save("x.png")


@needs_dot
def test_gif_has_one_frame_per_step_all_laid_out_alike(tmp_path) -> None:
    pil = pytest.importorskip("PIL.Image", reason="Pillow (the gif extra) is not installed")
    x = Value(2.0, label="x")
    y = (x * x + x).tanh()
    y.label = "y"
    page = draw_backward(y)
    path = page.save(tmp_path / "steps.gif", dpi=40)
    with pil.open(path) as image:
        assert image.format == "GIF" and image.n_frames == len(page.steps) + 1 == 4

    def positions(graph) -> list[str]:
        plain = graph.pipe(format="plain").decode()
        return [line.split()[:4] for line in plain.splitlines() if line.startswith("node")]

    graphs = page.frame_graphs()
    assert len({str(positions(graph)) for graph in graphs}) == 1
    # each frame's gradient texts are the page's texts at that position
    data = page.data
    for position, graph in enumerate(graphs):
        texts = {name: node["initial"] for name, node in data["grad_nodes"].items()}
        for step in data["steps"][:position]:
            texts.update(step["grads"])
        for name, text in texts.items():
            assert f"{name} [label=" in graph.source
            assert re.search(rf"\t{name} \[label=\"[^\n]*\| {re.escape(text)}\"", graph.source)
    assert page.story.caption(2)[0] == data["steps"][1]["title"]


@needs_dot
def test_gif_without_pillow_names_the_extra(tmp_path, monkeypatch) -> None:
    page = draw_backward(Value(1.0) * 2)
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"autograd_lite\[gif\]"):
        page.save(tmp_path / "x.gif")
    assert not (tmp_path / "x.gif").exists()


def test_vertices_below_and_dot_names_agree_with_the_steps() -> None:
    y, x, w = _tensor_graph()
    names = dot_names(y)
    assert set(names) == {id(vertex) for vertex in vertices_below(y._vertex())}
    assert dot_names(x) == {id(x): "t0"}
