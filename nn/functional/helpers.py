"""Shared by the functions of `nn.functional`: argument checks and the loss reductions."""

from __future__ import annotations

from typing import Any

from autograd_lite import ShapeError, Tensor

REDUCTIONS = ("mean", "sum", "none")


def as_tensor(value: Any) -> Tensor:
    """``value`` itself when it is a Tensor, else a new Tensor of it."""
    return value if isinstance(value, Tensor) else Tensor(value)


def check_reduction(name: str, reduction: str, allowed: tuple[str, ...] = REDUCTIONS) -> None:
    """Raise ValueError naming ``name`` unless ``reduction`` is one of ``allowed``."""
    if reduction not in allowed:
        raise ValueError(f"{name}: reduction must be one of {allowed}, got {reduction!r}")


def same_shape(name: str, prediction: Tensor, target: Tensor) -> None:
    """Raise ShapeError naming ``name`` unless prediction and target have one shape."""
    # broadcasting a (N,) target against an (N, 1) prediction silently gives an (N, N) loss
    if prediction.shape != target.shape:
        raise ShapeError(
            f"{name}: prediction shape {prediction.shape} and target shape {target.shape} "
            "differ; reshape one so they match"
        )


def reduce(loss: Tensor, reduction: str) -> Tensor:
    """``loss.mean()`` for "mean", ``loss.sum()`` for "sum", ``loss`` itself for "none"."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def check_number(name: str, argument: str, value: Any, minimum: float | None = None) -> float:
    """``value`` as a float, refused (naming the function and argument) if not a number."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        and not (hasattr(value, "dtype") and getattr(value, "ndim", 1) == 0)
    ):
        raise TypeError(f"{name}: {argument} must be a number, got {type(value).__name__}")
    number = float(value)
    if minimum is not None and not number >= minimum:
        raise ValueError(f"{name}: {argument} must be >= {minimum}, got {value}")
    return number
