"""`Adam` and `AdamW`: PyTorch's algorithms, with AMSGrad and maximize."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from . import hyperparameters as check
from .optimizer import Optimizer


def lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """``start + weight * (end - start)``, in place on ``start``, grouped as PyTorch's lerp
    (from the nearer end), so the moments follow PyTorch's to the last bits."""
    if weight < 0.5:
        start += weight * (end - start)
    else:
        np.subtract(end, (end - start) * (1 - weight), out=start)
    return start


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction; weight decay is an L2 term added to g.

    PyTorch's algorithm, per parameter p with gradient g at step t:
        g <- -g (maximize)
        g <- g + weight_decay * p          (AdamW instead: p <- p - lr * weight_decay * p)
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g**2
        v_max <- max(v_max, v)             (amsgrad; v_max replaces v below)
        p <- p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)
    State: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v), ``max_exp_avg_sq`` (amsgrad).

    Args:
        params: the tensors to train, or parameter groups.
        lr: learning rate.
        betas: decay rates (beta1, beta2) of the first and second moment estimates.
        eps: added to the denominator.
        weight_decay: L2 penalty coefficient.
        amsgrad: use the maximum of the second moments seen so far.
        maximize: climb the objective instead of descending.

    Raises:
        ValueError: for negative settings or betas outside [0, 1).
        TypeError: for betas that are not a pair of numbers.

    Example:
        >>> w = Parameter([1.0]); opt = optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step(); round(w.item(), 6)   # first step moves lr
        0.9
    """

    _state_names = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    _decoupled = False

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_hyperparameters(self, hyper: dict[str, Any], where: str) -> dict[str, Any]:
        return {
            "lr": check.non_negative(where, "lr", hyper["lr"]),
            "betas": check.betas(where, hyper["betas"]),
            "eps": check.non_negative(where, "eps", hyper["eps"]),
            "weight_decay": check.non_negative(where, "weight_decay", hyper["weight_decay"]),
            "amsgrad": check.flag(where, "amsgrad", hyper["amsgrad"]),
            "maximize": check.flag(where, "maximize", hyper["maximize"]),
        }

    def _required_state(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        names = ("step", "exp_avg", "exp_avg_sq")
        return names + ("max_exp_avg_sq",) if group["amsgrad"] else names

    def _update(
        self,
        data: np.ndarray,
        grad: np.ndarray,
        state: dict[str, Any],
        group: dict[str, Any],
        writable: bool,
    ) -> np.ndarray:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay = group["weight_decay"]
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(data), exp_avg_sq=np.zeros_like(data))
        if group["maximize"]:
            grad = -grad
        state["step"] += 1
        step = state["step"]
        if weight_decay != 0:
            if self._decoupled and writable:  # AdamW: shrink p, keep g as it is
                data *= 1 - lr * weight_decay
            elif self._decoupled:
                data = data * (1 - lr * weight_decay)
            else:
                grad = grad + weight_decay * data  # Adam: L2 term in the gradient
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]  # the optimizer's own
        lerp(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        bias_correction1 = 1 - beta1**step
        bias_correction2_sqrt = math.sqrt(1 - beta2**step)
        second = exp_avg_sq
        if group["amsgrad"]:
            maximum = state.get("max_exp_avg_sq")
            if maximum is None:
                maximum = state["max_exp_avg_sq"] = np.zeros_like(data)
            second = np.maximum(maximum, exp_avg_sq, out=maximum)
        # grouped as PyTorch's implementation: (sqrt(v) / sqrt(bc2) + eps), lr / bc1
        denominator = np.sqrt(second)
        denominator /= bias_correction2_sqrt
        denominator += eps
        if not writable:
            return data - (lr / bias_correction1) * (exp_avg / denominator)
        # [fast path: Adam in place] the same operations into the one temporary and then
        # into the optimizer's own parameter array (see Optimizer.step's ``writable``)
        step_direction = np.divide(exp_avg, denominator, out=denominator)
        step_direction *= lr / bias_correction1
        data -= step_direction
        return data


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter).

    PyTorch's algorithm: p <- p - lr * weight_decay * p, then the Adam step without an L2
    term in g.

    Args:
        params: the tensors to train, or parameter groups.
        lr: learning rate.
        betas: decay rates of the moment estimates.
        eps: added to the denominator.
        weight_decay: decoupled decay coefficient (PyTorch's default 0.01).
        amsgrad: use the maximum of the second moments seen so far.
        maximize: climb the objective instead of descending.

    Raises:
        ValueError: for negative settings or betas outside [0, 1).
        TypeError: for betas that are not a pair of numbers.

    Example:
        >>> w = Parameter([1.0]); opt = optim.AdamW([w], lr=0.1, weight_decay=0.0)
    """

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
        )
