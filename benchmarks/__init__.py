"""Benchmarks of autograd_lite against hand-written NumPy and plain Python floats.

Run by hand, not by the test suite: ``python -m benchmarks.run`` (``--help`` for options).
This package imports nothing heavy, so `run` can pin BLAS threads before NumPy loads.
"""
