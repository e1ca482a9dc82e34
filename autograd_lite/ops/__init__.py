"""Tensor ops, one small class per op: forward on arrays beside backward on Tensors."""
