"""The scheduler base class and the schedules of one formula each (PyTorch's classes).

A scheduler writes ``group["lr"]`` of its optimizer's parameter groups. It takes its first
step when it is made (``last_epoch`` goes from -1 to 0 and the groups get the epoch-0 rate);
call `LRScheduler.step` after each ``optimizer.step()`` (per epoch, or per batch for
`OneCycleLR`). Each ``get_lr`` is PyTorch's recursive ("chained") form, which works from the
groups' current rates, so schedulers can be combined; ``step(epoch)`` uses the closed form
where PyTorch defines one. Resuming with ``last_epoch=n`` needs ``"initial_lr"`` in every
group, as a loaded optimizer state dict provides.
"""

from __future__ import annotations

import math
import types
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..optimizer import Optimizer


def _current(optimizer: Optimizer) -> list[float]:
    return [group["lr"] for group in optimizer.param_groups]


def whole_number(where: str, name: str, value: Any, least: int) -> int:
    """``value``, checked to be an int (not a bool) of at least ``least``; else a ValueError
    naming the scheduler (``where``) and the argument."""
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{where}: {name} must be an integer >= {least}, got {value!r}")
    return value


class LRScheduler:
    """Base class: sets ``initial_lr``, takes the first step, keeps ``last_epoch``.

    Args:
        optimizer: the optimizer whose groups' learning rates this sets.
        last_epoch: the index of the last epoch done; -1 starts the schedule.

    Raises:
        TypeError: for an optimizer that is not an `Optimizer`.
        KeyError: when resuming (``last_epoch >= 0``) and a group has no ``initial_lr``.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: {type(optimizer).__name__} is not an Optimizer")
        whole_number(name, "last_epoch", last_epoch, -1)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for number, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{name}: param_groups[{number}] has no 'initial_lr' while resuming "
                        f"with last_epoch={last_epoch}: load the optimizer's state dict first"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rates for ``last_epoch``, from the current ones (chained form)."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The learning rate of every group after the last step."""
        return list(self._last_lr)

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch (or jump to ``epoch``, with the closed form where there is one)."""
        self._step_count += 1
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = whole_number(type(self).__name__, "epoch", epoch, 0)
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        groups = self.optimizer.param_groups
        if len(values) != len(groups):
            raise ValueError(f"{type(self).__name__}: {len(values)} rates for {len(groups)} groups")
        for group, lr in zip(groups, values):
            group["lr"] = lr
        self._last_lr = _current(self.optimizer)

    def state_dict(self) -> dict[str, Any]:
        """Every setting and counter of the scheduler (not the optimizer), as PyTorch's."""
        return {
            key: (list(value) if isinstance(value, list) else value)
            for key, value in vars(self).items()
            if key not in ("optimizer", "_is_initial")
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a `state_dict()` of a scheduler of the same class.

        Raises:
            KeyError: when the entries are not this scheduler's.
            ValueError: for counters that are not integers.
        """
        own = set(self.state_dict())
        if set(state_dict) != own:
            raise KeyError(
                f"{type(self).__name__}.load_state_dict: entries {sorted(state_dict)} are not "
                f"this scheduler's {sorted(own)}"
            )
        for key in ("last_epoch", "_step_count"):
            if key in state_dict:
                whole_number(f"{type(self).__name__}.load_state_dict", key, state_dict[key], -1)
        vars(self).update(state_dict)


class LambdaLR(LRScheduler):
    """lr = initial lr * lr_lambda(epoch), one function for all groups or one per group.

    Example:
        >>> opt = optim.SGD([Parameter([1.0])], lr=1.0)
        >>> sched = optim.lr_scheduler.LambdaLR(opt, lambda epoch: 0.5**epoch)
        >>> sched.step(); sched.get_last_lr()
        [0.5]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        groups = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ValueError(f"LambdaLR: expected {groups} lr_lambdas, got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self) -> dict[str, Any]:
        """As the base's; a function is saved as None, a callable object as its ``__dict__``."""
        state = super().state_dict()
        state["lr_lambdas"] = [
            None
            if isinstance(fn, types.FunctionType) or not hasattr(fn, "__dict__")
            else dict(vars(fn))
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved = state.get("lr_lambdas")
        state["lr_lambdas"] = self.lr_lambdas
        super().load_state_dict(state)
        for fn, attributes in zip(self.lr_lambdas, saved or []):
            if attributes is not None:
                vars(fn).update(attributes)


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs."""

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size = whole_number("StepLR", "step_size", step_size, 1)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _current(self.optimizer)
        return [lr * self.gamma for lr in _current(self.optimizer)]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the rate by ``gamma`` at each milestone epoch (a repeated one counts twice)."""

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return _current(self.optimizer)
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in _current(self.optimizer)]

    def _get_closed_form_lr(self) -> list[float]:
        milestones = sorted(self.milestones.elements())
        power = bisect_right(milestones, self.last_epoch)
        return [base * self.gamma**power for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the rate by ``gamma`` every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return _current(self.optimizer)
        return [lr * self.gamma for lr in _current(self.optimizer)]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the rate linearly from ``start_factor`` to ``end_factor`` over ``total_iters``."""

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor!r}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor!r}")
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = whole_number("LinearLR", "total_iters", total_iters, 1)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        current = _current(self.optimizer)
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in current]
        if self._is_initial or self.last_epoch > self.total_iters:
            return current
        change = self.end_factor - self.start_factor
        factor = 1.0 + change / (
            self.total_iters * self.start_factor + (self.last_epoch - 1) * change
        )
        return [lr * factor for lr in current]

    def _get_closed_form_lr(self) -> list[float]:
        done = min(self.total_iters, self.last_epoch) / self.total_iters
        return [
            base * (self.start_factor + (self.end_factor - self.start_factor) * done)
            for base in self.base_lrs
        ]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from the initial rate down to ``eta_min`` over ``T_max`` epochs
    (and back up after, as PyTorch's recursive form does)."""

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        self.T_max = whole_number("CosineAnnealingLR", "T_max", T_max, 1)
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        epoch, t_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if self._is_initial:
            return _current(self.optimizer)
        if self._step_count == 1 and epoch > 0:
            return [
                eta_min + (base - eta_min) * (1 + math.cos(epoch * math.pi / t_max)) / 2
                for base in self.base_lrs
            ]
        if (epoch - 1 - t_max) % (2 * t_max) == 0:
            return [
                group["lr"] + (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
                for base, group in zip(self.base_lrs, groups)
            ]
        return [
            (1 + math.cos(math.pi * epoch / t_max))
            / (1 + math.cos(math.pi * (epoch - 1) / t_max))
            * (group["lr"] - eta_min)
            + eta_min
            for group in groups
        ]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            self.eta_min
            + (base - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
            for base in self.base_lrs
        ]
