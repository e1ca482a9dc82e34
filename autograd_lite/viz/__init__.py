"""Pictures of the graph (Graphviz): `draw_graph`, and `draw_backward`'s step-by-step page."""
