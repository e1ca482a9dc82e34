"""Draw document 002's 2-2-2 network and explain dE/dw5 and dE/dw1 the way the document does.

    python examples/08_render_graph.py [output.png]

Writes a PNG (Graphviz's `dot` must be installed) with the paths from w5 highlighted and the
local derivative on every edge, and prints explain() for w5 and w1.
"""

from __future__ import annotations

import sys

from autograd_lite import Value, draw_graph, explain
from autograd_lite.documents import NETWORK_222_START, network_222
from autograd_lite.viz.draw import render_graph


def build_network() -> dict[str, Value]:
    """Document 002's network, every value named as the document names it.

    The network is written out line by line in example 02 and in
    `autograd_lite/documents.py`; here we only draw and explain it.
    """
    return network_222(dict(NETWORK_222_START)).values


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
