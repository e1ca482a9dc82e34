"""Gradient checking: finite-difference Jacobians, the comparison, the report, the op registry."""
