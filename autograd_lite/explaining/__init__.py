"""explain(): a gradient as chain-rule paths (Value graphs) or op chains (Tensor graphs)."""
