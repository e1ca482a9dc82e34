"""The engine: apply an op, record a node, walk the graph back, check in-place writes."""
