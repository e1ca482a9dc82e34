"""The scalar engine: `Value`, its walk, and the text of its derivative formulas."""
