"""`Adagrad`: PyTorch's algorithm, with learning-rate decay and maximize."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from . import hyperparameters as check
from .optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.): divide by the root of the sum of all squared gradients.

    PyTorch's algorithm, per parameter p with gradient g at step t:
        g <- -g (maximize)
        g <- g + weight_decay * p
        lr_t = lr / (1 + (t - 1) * lr_decay)
        s <- s + g**2                  (s starts at initial_accumulator_value)
        p <- p - lr_t * g / (sqrt(s) + eps)
    State: ``step`` and ``sum`` (s), made for every parameter by the constructor, as
    PyTorch does.

    Args:
        params: the tensors to train, or parameter groups.
        lr: learning rate (PyTorch's default 1e-2).
        lr_decay: learning-rate decay per step.
        weight_decay: L2 penalty coefficient.
        initial_accumulator_value: the starting value of s.
        eps: added to the denominator (PyTorch's default 1e-10).
        maximize: climb the objective instead of descending.

    Raises:
        ValueError: for negative settings.

    Example:
        >>> w = Parameter([1.0]); opt = optim.Adagrad([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step(); round(w.item(), 6)   # g / |g| = 1
        0.9
    """

    _state_names = ("step", "sum")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_hyperparameters(self, hyper: dict[str, Any], where: str) -> dict[str, Any]:
        checked = {
            key: check.non_negative(where, key, hyper[key])
            for key in ("lr", "lr_decay", "eps", "weight_decay", "initial_accumulator_value")
        }
        checked["maximize"] = check.flag(where, "maximize", hyper["maximize"])
        return checked

    def _group_added(self, group: dict[str, Any], first: int) -> None:
        for index, param in enumerate(group["params"], start=first):
            self.state[index] = {
                "step": 0,
                "sum": np.full_like(param.data, group["initial_accumulator_value"]),
            }

    def _required_state(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        return ("step", "sum")

    def _update(
        self,
        data: np.ndarray,
        grad: np.ndarray,
        state: dict[str, Any],
        group: dict[str, Any],
        writable: bool,
    ) -> np.ndarray:
        if not state:  # a state loaded without this parameter's entry
            state.update(step=0, sum=np.full_like(data, group["initial_accumulator_value"]))
        state["step"] += 1
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * data
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        total = state["sum"]  # the optimizer's own array: updated in place
        total += grad * grad
        std = np.sqrt(total)
        std += group["eps"]
        return data - clr * (grad / std)
