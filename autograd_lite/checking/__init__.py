"""Gradient checking: Jacobians by finite differences, the comparison, the report, the op registry."""
