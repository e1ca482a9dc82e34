"""Gradient clipping: `clip_grad_norm_` and `clip_grad_value_`, PyTorch's functions.

Both replace each ``.grad`` with a new Tensor holding the clipped values (never writing into
a gradient array, which may be shared); a parameter whose ``.grad`` is None is skipped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd_lite import Tensor

#: PyTorch's guard in the clip coefficient max_norm / (total_norm + eps)
CLIP_EPS = 1e-6


def _with_gradients(owner: str, parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        return [parameters] if parameters.grad is not None else []
    if callable(getattr(parameters, "parameters", None)):
        raise TypeError(f"{owner}: pass model.parameters(), not the module itself")
    tensors = list(parameters)
    for index, tensor in enumerate(tensors):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"{owner}: parameter {index} is a {type(tensor).__name__}")
    return [tensor for tensor in tensors if tensor.grad is not None]


def _number(owner: str, name: str, value: Any, allow_inf: bool = False) -> float:
    if isinstance(value, str) and value == "inf":
        value = math.inf
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    number = float(value)
    if math.isnan(number) or number < 0 or (math.isinf(number) and not allow_inf):
        raise ValueError(f"{owner}: {name} must be a finite number >= 0, got {value!r}")
    return number


def _norm(array: np.ndarray, norm_type: float) -> float:
    magnitudes = np.abs(array.astype(np.float64, copy=False))
    if magnitudes.size == 0:
        return 0.0
    if math.isinf(norm_type):
        return float(magnitudes.max())
    if norm_type == 2.0:
        return float(np.sqrt(np.sum(magnitudes * magnitudes)))
    return float(np.sum(magnitudes**norm_type) ** (1.0 / norm_type))


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    The total norm is the norm of the vector of every gradient's norm (the norm of all
    gradients concatenated). When it exceeds ``max_norm``, every gradient is multiplied by
    ``max_norm / (total_norm + 1e-6)``, as PyTorch does.

    Args:
        parameters: a Tensor or an iterable of Tensors (e.g. ``model.parameters()``).
        max_norm: the largest norm allowed.
        norm_type: the p of the p-norm: any number > 0, or ``math.inf`` / ``"inf"`` for the
            largest absolute value.
        error_if_nonfinite: raise when the total norm is NaN or infinite (otherwise the
            gradients are scaled by a NaN or zero coefficient, as in PyTorch).

    Returns:
        The total norm of the gradients before clipping, as a 0-d float64 Tensor (0.0 when no
        parameter has a gradient).

    Raises:
        ValueError: for a negative ``max_norm`` or a ``norm_type`` <= 0.
        RuntimeError: for a non-finite total norm with ``error_if_nonfinite`` (as PyTorch).

    Example:
        >>> w = Parameter([0.0, 0.0]); w.grad = Tensor([3.0, 4.0])
        >>> nn.utils.clip_grad_norm_([w], max_norm=1.0).item()
        5.0
        >>> w.grad.numpy().round(6)
        array([0.6, 0.8])
    """
    owner = "clip_grad_norm_"
    max_norm = _number(owner, "max_norm", max_norm)
    norm_type = _number(owner, "norm_type", norm_type, allow_inf=True)
    if norm_type == 0:
        raise ValueError(f"{owner}: norm_type must be > 0 (or inf), got {norm_type!r}")
    tensors = _with_gradients(owner, parameters)
    if not tensors:
        return Tensor(0.0)
    norms = np.array([_norm(tensor.grad.data, norm_type) for tensor in tensors])
    total = _norm(norms, norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"{owner}: the total norm of order {norm_type} of the gradients is {total}; "
            f"pass error_if_nonfinite=False to clip anyway"
        )
    coefficient = max_norm / (total + CLIP_EPS)
    if not coefficient >= 1.0:  # PyTorch clamps at 1 (a product with 1 changes nothing)
        with np.errstate(invalid="ignore"):  # an infinite norm: inf * 0 = NaN, as PyTorch
            for tensor in tensors:
                grad = tensor.grad.data
                tensor.grad = Tensor(grad * np.asarray(coefficient, grad.dtype))
    return Tensor(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element into ``[-clip_value, clip_value]``.

    Args:
        parameters: a Tensor or an iterable of Tensors.
        clip_value: the largest absolute value allowed (>= 0).

    Raises:
        ValueError: for a negative or NaN ``clip_value``.

    Example:
        >>> w = Parameter([0.0, 0.0]); w.grad = Tensor([-3.0, 0.5])
        >>> nn.utils.clip_grad_value_([w], 1.0); w.grad.numpy()
        array([-1. ,  0.5])
    """
    owner = "clip_grad_value_"
    clip_value = _number(owner, "clip_value", clip_value, allow_inf=True)
    for tensor in _with_gradients(owner, parameters):
        grad = tensor.grad.data
        tensor.grad = Tensor(np.clip(grad, -clip_value, clip_value).astype(grad.dtype))
