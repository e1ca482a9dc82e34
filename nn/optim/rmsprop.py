"""`RMSprop`: PyTorch's algorithm, with momentum, the centered variant and maximize."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from . import hyperparameters as check
from .adam import lerp
from .optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop (Hinton): divide the gradient by a running root mean square of it.

    PyTorch's algorithm, per parameter p with gradient g:
        g <- -g (maximize)
        g <- g + weight_decay * p
        v <- alpha * v + (1 - alpha) * g**2
        centered: g_avg <- alpha * g_avg + (1 - alpha) * g, and v~ = v - g_avg**2; else v~ = v
        momentum > 0: b <- momentum * b + g / (sqrt(v~) + eps), p <- p - lr * b
        otherwise:    p <- p - lr * g / (sqrt(v~) + eps)
    State: ``step``, ``square_avg`` (v), ``momentum_buffer`` (momentum > 0), ``grad_avg``
    (centered).

    Args:
        params: the tensors to train, or parameter groups.
        lr: learning rate (PyTorch's default 1e-2).
        alpha: smoothing constant of the running averages, in [0, 1].
        eps: added to the denominator.
        weight_decay: L2 penalty coefficient.
        momentum: momentum factor.
        centered: normalise by an estimate of the gradient's variance instead.
        maximize: climb the objective instead of descending.

    Raises:
        ValueError: for negative settings or alpha outside [0, 1].

    Example:
        >>> w = Parameter([1.0]); opt = optim.RMSprop([w], lr=0.01, alpha=0.0, eps=0.0)
        >>> (w * w).sum().backward(); opt.step(); round(w.item(), 6)   # g / |g| = 1
        0.99
    """

    _state_names = ("step", "square_avg", "momentum_buffer", "grad_avg")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_hyperparameters(self, hyper: dict[str, Any], where: str) -> dict[str, Any]:
        return {
            "lr": check.non_negative(where, "lr", hyper["lr"]),
            "alpha": check.fraction(where, "alpha", hyper["alpha"]),
            "eps": check.non_negative(where, "eps", hyper["eps"]),
            "weight_decay": check.non_negative(where, "weight_decay", hyper["weight_decay"]),
            "momentum": check.non_negative(where, "momentum", hyper["momentum"]),
            "centered": check.flag(where, "centered", hyper["centered"]),
            "maximize": check.flag(where, "maximize", hyper["maximize"]),
        }

    def _required_state(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        names: tuple[str, ...] = ("step", "square_avg")
        names += ("momentum_buffer",) if group["momentum"] > 0 else ()
        return names + (("grad_avg",) if group["centered"] else ())

    def _update(
        self,
        data: np.ndarray,
        grad: np.ndarray,
        state: dict[str, Any],
        group: dict[str, Any],
        writable: bool,
    ) -> np.ndarray:
        alpha, momentum = group["alpha"], group["momentum"]
        if not state:
            state.update(step=0, square_avg=np.zeros_like(data))
        if group["maximize"]:
            grad = -grad
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * data
        square_avg = state["square_avg"]  # the optimizer's own arrays: updated in place
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state.get("grad_avg")
            if grad_avg is None:
                grad_avg = state["grad_avg"] = np.zeros_like(data)
            lerp(grad_avg, grad, 1 - alpha)
            average = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            average = np.sqrt(square_avg)
        average += group["eps"]
        if momentum > 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = np.zeros_like(data)
            buffer *= momentum
            buffer += grad / average
            return data - group["lr"] * buffer
        return data - group["lr"] * (grad / average)
