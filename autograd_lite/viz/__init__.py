"""Pictures of the graph (Graphviz)."""
