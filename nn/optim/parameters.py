"""Reading what an optimizer is given: parameter lists, and state keys and step counts from
a state dict (which may come from a file)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from autograd_lite import Tensor


def parameter_list(owner: str, params: Any) -> list[Any]:
    """``list(params)``, with a clear TypeError for a Module, a single Tensor or a non-iterable."""
    if isinstance(params, Tensor):
        raise TypeError(
            f"{owner}: params must be a list of tensors, got a single Tensor of shape "
            f"{params.shape}; pass [tensor]"
        )
    if callable(getattr(params, "parameters", None)):
        raise TypeError(
            f"{owner}: params must be an iterable of Tensors, got the module "
            f"{type(params).__name__}; pass model.parameters()"
        )
    if isinstance(params, (set, frozenset, Mapping)):
        raise TypeError(
            f"{owner}: params must be an ordered collection (a list), got a "
            f"{type(params).__name__}, whose order can change between runs"
        )
    try:
        return list(params)
    except TypeError:
        raise TypeError(
            f"{owner}: params must be an iterable of Tensors, got {type(params).__name__}"
        ) from None


def index_of(where: str, raw: Any, count: int) -> int:
    """A state key as a parameter index (an int, or its decimal text from a file)."""
    if isinstance(raw, str) and raw.isdecimal():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, (int, np.integer)) or not 0 <= raw < count:
        raise KeyError(f"{where}: state for parameter {raw!r}, but there are {count} parameters")
    return int(raw)


def step_count(where: str, value: Any) -> int:
    """A step count: a non-negative integer (a whole float, as PyTorch keeps it, accepted)."""
    array = value.data if isinstance(value, Tensor) else np.asarray(value)
    whole = array.dtype.kind in "iu" or (
        array.dtype.kind == "f" and array.shape == () and float(array).is_integer()
    )
    if array.shape != () or not whole or array < 0 or array > 2**53:
        raise ValueError(f"{where}: step must be a non-negative integer, got {value!r}")
    return int(array)
