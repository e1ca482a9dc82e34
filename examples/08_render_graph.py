"""Draw document 002's 2-2-2 network and explain dE/dw5 and dE/dw1 the way the document does.

    python examples/08_render_graph.py [output.png]

Prints explain() for w5 and w1, then writes a PNG with the paths from w5 highlighted and the
local derivative on every edge, by default to out/graph_222.png at the root of the clone
(the suffix of ``output`` picks PNG, SVG or PDF). The picture needs Graphviz's `dot` program
(a system package, not a Python one: `apt-get install graphviz` or `brew install graphviz`);
without it the script prints the explanations and stops with exit status 2.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from autograd_lite import Value, draw_graph, explain

OUT_DIR = Path(__file__).resolve().parent.parent / "out"
START = {
    "i1": 0.05, "i2": 0.10, "w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30, "b1": 0.35,
    "w5": 0.40, "w6": 0.45, "w7": 0.50, "w8": 0.55, "b2": 0.60,
    "target_o1": 0.01, "target_o2": 0.99,
}  # fmt: skip


def build_network() -> dict[str, Value]:
    """Document 002's network (example 02 writes it out step by step), every value named as
    the document names it, so that explain() and the picture use the document's words."""
    v = {name: Value(number, label=name) for name, number in START.items()}

    def neuron(name: str, w_a: str, a: Value, w_b: str, b: Value, bias: str) -> Value:
        net = v[w_a] * a + v[w_b] * b + v[bias]
        net.label = f"net_{name}"
        out = net.sigmoid()
        out.label = f"out_{name}"
        v[net.label], v[out.label] = net, out
        return out

    out_h1 = neuron("h1", "w1", v["i1"], "w2", v["i2"], "b1")
    out_h2 = neuron("h2", "w3", v["i1"], "w4", v["i2"], "b1")
    for name, (w_a, w_b) in (("o1", ("w5", "w6")), ("o2", ("w7", "w8"))):
        error = 0.5 * (v[f"target_{name}"] - neuron(name, w_a, out_h1, w_b, out_h2, "b2")) ** 2
        error.label = f"E_{name}"
        v[error.label] = error
    v["E"] = v["E_o1"] + v["E_o2"]
    v["E"].label = "E"
    return v


def main(path: str | Path = OUT_DIR / "graph_222.png") -> str:
    """Print both explanations and write the picture to ``path``; returns the path written."""
    values = build_network()
    print(explain(values["E"], values["w5"]))
    print()
    print(explain(values["E"], values["w1"]))
    if shutil.which("dot") is None:
        print(
            "\nno picture: Graphviz's `dot` program is missing; install Graphviz "
            "(apt-get install graphviz, brew install graphviz, or https://graphviz.org/download/)",
            file=sys.stderr,
        )
        raise SystemExit(2)
    values["E"].backward()
    picture = draw_graph(values["E"], show_edge_grads=True, highlight=values["w5"])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # draw_graph returns a graphviz.Digraph: its render() runs `dot` and writes the file
    picture.render(outfile=str(path), format=path.suffix.lstrip(".").lower(), cleanup=True)
    print(f"\nwrote {path}")
    return str(path)


if __name__ == "__main__":
    main(*sys.argv[1:2])
