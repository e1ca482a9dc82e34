"""Draw document 002's 2-2-2 network and explain dE/dw5 and dE/dw1 the way the document does.

    python examples/08_render_graph.py [output.png]

Writes a PNG (Graphviz's `dot` must be installed) with the paths from w5 highlighted and the
local derivative on every edge, and prints explain() for w5 and w1.
"""

from __future__ import annotations

import sys

from autograd_lite import Value, draw_graph, explain
from autograd_lite.viz import render_graph


def build_network() -> dict[str, Value]:
    """Document 002's network, every value named as the document names it."""
    v = {
        name: Value(number, label=name)
        for name, number in (
            ("i1", 0.05), ("i2", 0.10), ("w1", 0.15), ("w2", 0.20), ("w3", 0.25),
            ("w4", 0.30), ("b1", 0.35), ("w5", 0.40), ("w6", 0.45), ("w7", 0.50),
            ("w8", 0.55), ("b2", 0.60),
        )
    }  # fmt: skip

    def neuron(name: str, weight_a: str, a: Value, weight_b: str, b: Value, bias: str) -> Value:
        net = v[weight_a] * a + v[weight_b] * b + v[bias]
        net.label = f"net_{name}"
        out = net.sigmoid()
        out.label = f"out_{name}"
        v[net.label], v[out.label] = net, out
        return out

    out_h1 = neuron("h1", "w1", v["i1"], "w2", v["i2"], "b1")
    out_h2 = neuron("h2", "w3", v["i1"], "w4", v["i2"], "b1")
    out_o1 = neuron("o1", "w5", out_h1, "w6", out_h2, "b2")
    out_o2 = neuron("o2", "w7", out_h1, "w8", out_h2, "b2")
    v["E_o1"] = 0.5 * (0.01 - out_o1) ** 2
    v["E_o2"] = 0.5 * (0.99 - out_o2) ** 2
    v["E"] = v["E_o1"] + v["E_o2"]
    for name in ("E_o1", "E_o2", "E"):
        v[name].label = name
    return v


def main(path: str = "graph_222.png") -> str:
    values = build_network()
    print(explain(values["E"], values["w5"]))
    print()
    print(explain(values["E"], values["w1"]))
    values["E"].backward()
    picture = draw_graph(values["E"], show_edge_grads=True, highlight=values["w5"])
    written = render_graph(picture, path)
    print(f"\nwrote {written}")
    return str(written)


if __name__ == "__main__":
    main(*sys.argv[1:2])
