"""Checks of optimizer hyperparameters, shared by the constructors, `add_param_group` and
`load_state_dict`: a value read back from a file passes the same checks as one given in code.

Every check takes ``where`` (the text that starts the error message, e.g. ``"Adam"`` or
``"Adam.load_state_dict: param_groups[1]"``) and returns the value converted to the type the
optimizer keeps (a Python float, bool or tuple of floats).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

#: group keys that learning-rate schedulers add (PyTorch's names): numbers >= 0
SCHEDULER_KEYS = ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum")


def is_real(value: Any) -> bool:
    """True for Python and NumPy real numbers (int, float, np.float32, ...), not for bools."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _as_real(where: str, name: str, value: Any) -> float:
    """``value`` as a float: a real number, or a 0-d numeric array (as a file gives back)."""
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iuf":
        value = value.item()
    if not is_real(value):
        raise ValueError(f"{where}: {name} must be a finite number >= 0, got {value!r}")
    return float(value)


def non_negative(where: str, name: str, value: Any) -> float:
    """A finite number >= 0, as a float."""
    number = _as_real(where, name, value)
    if not (math.isfinite(number) and number >= 0):
        raise ValueError(f"{where}: {name} must be a finite number >= 0, got {value!r}")
    return number


def fraction(where: str, name: str, value: Any, upper_open: bool = False) -> float:
    """A number in [0, 1] (or [0, 1) with ``upper_open``), as a float."""
    number = _as_real(where, name, value)
    inside = 0.0 <= number < 1.0 if upper_open else 0.0 <= number <= 1.0
    if not inside:
        interval = "[0, 1)" if upper_open else "[0, 1]"
        raise ValueError(f"{where}: {name} must be a number in {interval}, got {value!r}")
    return number


def flag(where: str, name: str, value: Any) -> bool:
    """A bool (Python or NumPy, or a 0-d bool array)."""
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind == "b":
        value = value.item()
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{where}: {name} must be True or False, got {value!r}")
    return bool(value)


def betas(where: str, value: Any) -> tuple[float, float]:
    """A pair (beta1, beta2) of numbers in [0, 1), as Adam's constructor requires."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (tuple, list)) or not all(map(is_real, value)):
        raise TypeError(
            f"{where}: betas must be a pair (beta1, beta2) of numbers, e.g. (0.9, 0.999), "
            f"got {value!r}"
        )
    if len(value) != 2 or not all(0.0 <= beta < 1.0 for beta in value):
        raise ValueError(f"{where}: betas must be two numbers in [0, 1), got {tuple(value)!r}")
    return float(value[0]), float(value[1])


def extra_value(where: str, name: str, value: Any) -> Any:
    """A group entry that is neither ``params`` nor a hyperparameter.

    Scheduler keys (`SCHEDULER_KEYS`) must be finite numbers >= 0; any other key (a label
    such as ``"name"``) may hold a string, number, bool or None, so a state dict stays plain
    data.
    """
    if name in SCHEDULER_KEYS:
        return non_negative(where, name, value)
    if value is None or isinstance(value, (str, bool)):
        return value
    if is_real(value):
        return value.item() if isinstance(value, np.generic) else value
    raise ValueError(
        f"{where}: group entry {name!r} must be a string, number, bool or None, got "
        f"{type(value).__name__}"
    )
