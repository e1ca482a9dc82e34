"""`Optimizer`: parameter groups, per-parameter state, `step` and the state dict.

The layout is PyTorch's: ``param_groups`` is a list of dicts, each with ``"params"`` (a list
of tensors) and its own hyperparameters (``"lr"``, ...); ``defaults`` fills what a group
leaves out. ``state`` holds each parameter's buffers and step count under the parameter's
index, counting through the groups in order (the numbering of PyTorch's state dict; PyTorch
keys its live ``state`` by the tensor instead). A step runs under `no_grad`, never writes
into a ``.grad`` array, and ends every update with ``p.data = ...``, which gives the
parameter a new version stamp (see `Tensor.data`), so a graph that saved the old values
refuses to backward.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from autograd_lite import Tensor, enable_grad, no_grad

from .hyperparameters import extra_value
from .parameters import index_of as _index
from .parameters import parameter_list as _parameter_list
from .parameters import step_count as _step_count


class Optimizer:
    """Base class: parameter groups, per-parameter state, `step`, `state_dict`.

    Subclasses define ``_state_names`` (every key a parameter's state may hold),
    `_check_hyperparameters` (the constructor's checks, reused for groups and loaded
    state), `_required_state` and `_update`.

    Args:
        params: an iterable of Tensors, or of dicts ``{"params": [...], "lr": ..., ...}``
            (parameter groups, PyTorch's layout).
        defaults: the hyperparameters a group does not set.

    Raises:
        ValueError: for an empty or repeated parameter list, or a bad hyperparameter.
        TypeError: for an entry that is not a Tensor, or a Module or single Tensor given as
            ``params`` (pass ``model.parameters()`` or a list).
    """

    _state_names: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Any], defaults: Mapping[str, Any]) -> None:
        name = type(self).__name__
        self.defaults: dict[str, Any] = self._check_hyperparameters(dict(defaults), name)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, Any]] = {}
        #: index -> weak reference to the array this optimizer last gave that parameter
        #: (safe to write into while the parameter still holds it; weak: never kept alive)
        self._made: dict[int, weakref.ref[np.ndarray]] = {}
        #: dtype -> flat scratch array for SGD's in-place update (see sgd._subtract_scaled)
        self._scratch: dict[np.dtype, np.ndarray] = {}
        entries = _parameter_list(name, params)
        if not entries:
            raise ValueError(f"{name}: got an empty parameter list")
        groups = entries if isinstance(entries[0], Mapping) else [{"params": entries}]
        for group in groups:
            if not isinstance(group, Mapping):
                raise TypeError(
                    f"{name}: params mixes parameter groups (dicts) and tensors; pass one kind"
                )
            self.add_param_group(dict(group))

    # ---------------------------------------------------------------- groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (the rest from ``defaults``).

        Args:
            param_group: ``{"params": tensors, "lr": ..., ...}``.

        Raises:
            TypeError: for a group that is not a dict or an entry that is not a Tensor.
            ValueError: for a parameter already in a group, or a bad hyperparameter.

        Example:
            >>> a, b = Parameter([1.0]), Parameter([2.0])
            >>> opt = optim.SGD([a], lr=0.1); opt.add_param_group({"params": [b], "lr": 0.01})
            >>> [group["lr"] for group in opt.param_groups]
            [0.1, 0.01]
        """
        name = type(self).__name__
        where = f"{name}: param_groups[{len(self.param_groups)}]"
        if not isinstance(param_group, Mapping):
            raise TypeError(f"{name}: a parameter group must be a dict, got {param_group!r}")
        if "params" not in param_group:
            raise KeyError(f"{where} has no 'params' entry")
        params = _parameter_list(where, param_group["params"])
        for index, param in enumerate(params):
            if not isinstance(param, Tensor):
                raise TypeError(
                    f"{where}: parameter {index} is a {type(param).__name__}, not a Tensor"
                )
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if len({id(p) for p in params}) != len(params) or seen & {id(p) for p in params}:
            raise ValueError(f"{where}: a parameter appears more than once in the groups")
        given = {key: value for key, value in param_group.items() if key != "params"}
        hyper = self._check_hyperparameters({**self.defaults, **given}, where)
        extras = {
            key: extra_value(where, key, value)
            for key, value in given.items()
            if key not in self.defaults
        }
        first = sum(len(group["params"]) for group in self.param_groups)
        self.param_groups.append({"params": params, **hyper, **extras})
        self._group_added(self.param_groups[-1], first)

    def _group_added(self, group: dict[str, Any], first: int) -> None:
        """Hook: a group was added whose parameters are numbered from ``first``."""

    @property
    def params(self) -> list[Tensor]:
        """Every parameter, group by group (the numbering of ``state``)."""
        return [param for group in self.param_groups for param in group["params"]]

    @property
    def lr(self) -> float:
        """The learning rate of every group (assigning sets it in every group).

        Raises:
            ValueError: when reading it while the groups have different learning rates.
        """
        rates = {group["lr"] for group in self.param_groups}
        if len(rates) != 1:
            raise ValueError(
                f"{type(self).__name__}.lr: the groups have different learning rates "
                f"{[group['lr'] for group in self.param_groups]}; read param_groups[i]['lr']"
            )
        return float(rates.pop())

    @lr.setter
    def lr(self, value: float) -> None:
        checked = self._check_hyperparameters({**self.defaults, "lr": value}, type(self).__name__)
        for group in self.param_groups:
            group["lr"] = checked["lr"]

    def _check_hyperparameters(self, hyper: dict[str, Any], where: str) -> dict[str, Any]:
        """The constructor's checks on a complete set of hyperparameters; converted values."""
        raise NotImplementedError

    # ---------------------------------------------------------------- stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: ``.grad = None`` (PyTorch's default), or, with
        ``set_to_none=False``, a gradient of zeros (a new array, never written in place)."""
        for group in self.param_groups:
            for param in group["params"]:
                if set_to_none or param.grad is None:
                    param.grad = None
                else:
                    param.grad = Tensor(np.zeros_like(param.grad.data))

    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        """Update every parameter that has a gradient; parameters without one are skipped.

        Args:
            closure: optional function that recomputes the loss (and its gradients); it is
                called first, with graph recording on, and its result returned.

        Returns:
            The closure's loss, or None.

        Example:
            >>> w = Parameter([1.0]); opt = optim.SGD([w], lr=0.1)
            >>> (w * w).sum().backward(); opt.step(); w.numpy()    # 1 - 0.1 * 2
            array([0.8])
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        states, made_arrays = self.state, self._made
        index = -1
        with no_grad():
            for group in self.param_groups:
                for param in group["params"]:
                    index += 1
                    grad_tensor = param.grad
                    if grad_tensor is None:
                        continue
                    grad, data = grad_tensor.data, param.data
                    if grad.shape != data.shape:
                        raise ValueError(
                            f"{type(self).__name__}.step: parameter {index} has shape "
                            f"{data.shape} but its gradient has shape {grad.shape}"
                        )
                    state = states.get(index)
                    if state is None:
                        state = states[index] = {}
                    made = made_arrays.get(index)
                    writable = bool(data.flags.writeable) and made is not None and made() is data
                    new_data = self._update(data, grad, state, group, writable)
                    if new_data is not data:  # updated in place: already the right array
                        new_data = np.asarray(new_data, data.dtype)
                        made_arrays[index] = weakref.ref(new_data)
                    param.data = new_data  # a new version stamp, also after an in-place update
        return loss

    def _update(
        self,
        data: np.ndarray,
        grad: np.ndarray,
        state: dict[str, Any],
        group: dict[str, Any],
        writable: bool,
    ) -> np.ndarray:
        """The parameter's new values; may be ``data`` itself, updated, when ``writable``."""
        raise NotImplementedError

    # ---------------------------------------------------------------- state dict
    def _required_state(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        """Keys a non-empty state entry must hold under this group's hyperparameters."""
        return ()

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in PyTorch's layout, holding copies.

        Returns:
            ``{"state": {index: {"step": int, buffer: array, ...}}, "param_groups":
            [{"params": [indices], "lr": ..., ...}]}``; parameters are numbered through the
            groups in order, and a parameter without state has no entry.

        Example:
            >>> opt = optim.Adam([Parameter([1.0])], lr=0.1)
            >>> opt.state_dict()["param_groups"][0]["params"]
            [0]
        """
        state = {
            index: {
                key: (value.copy() if isinstance(value, np.ndarray) else value)
                for key, value in entry.items()
            }
            for index, entry in sorted(self.state.items())
            if entry
        }
        groups, first = [], 0
        for group in self.param_groups:
            count = len(group["params"])
            packed = {key: value for key, value in group.items() if key != "params"}
            groups.append({"params": list(range(first, first + count)), **packed})
            first += count
        return {"state": state, "param_groups": groups}

    def check_state_dict(
        self, state_dict: Mapping[str, Any]
    ) -> tuple[dict[int, dict[str, Any]], list[dict[str, Any]]]:
        """Validate ``state_dict`` against this optimizer without changing anything.

        The hyperparameters pass the constructor's checks; the groups must have this
        optimizer's sizes; each state entry holds the keys its group's settings need, a
        non-negative integer ``step`` and arrays of its parameter's shape and dtype.

        Returns:
            (state, param_groups) as `load_state_dict` would set them (copies).

        Raises:
            KeyError: for missing or unknown entries. ValueError: for wrong sizes, shapes,
            dtypes, step counts or hyperparameter values.
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise ValueError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        if set(state_dict) != {"state", "param_groups"}:
            raise KeyError(
                f"{name}: expected keys 'param_groups' and 'state', got {sorted(state_dict)}"
            )
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved_groups, (list, tuple)) or not isinstance(saved_state, Mapping):
            raise ValueError(f"{name}: 'param_groups' must be a list and 'state' a dict")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}: the state has {len(saved_groups)} parameter groups, the optimizer "
                f"{len(self.param_groups)}"
            )
        groups, owner, first = [], [], 0
        for number, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            groups.append(self._check_saved_group(f"{name}: param_groups[{number}]", saved, group))
            count = len(group["params"])
            if list(saved["params"]) != list(range(first, first + count)):
                raise ValueError(
                    f"{name}: param_groups[{number}] has parameters {list(saved['params'])!r}, "
                    f"expected {list(range(first, first + count))} (the group's size and order)"
                )
            owner += [number] * count
            first += count
        params = self.params
        state: dict[int, dict[str, Any]] = {}
        for raw_index, entry in saved_state.items():
            index = _index(name, raw_index, len(params))
            where = f"{name}: state of parameter {index}"
            state[index] = self._check_entry(where, entry, params[index], groups[owner[index]])
        return state, groups

    def _check_saved_group(self, where: str, saved: Any, group: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(saved, Mapping) or "params" not in saved:
            raise KeyError(f"{where} must be a dict with a 'params' entry")
        if not isinstance(saved["params"], (list, tuple)) or not all(
            isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in saved["params"]
        ):
            raise ValueError(f"{where}: 'params' must be a list of integers")
        given = {key: value for key, value in saved.items() if key != "params"}
        missing = sorted(set(self.defaults) - set(given))
        if missing:
            raise KeyError(f"{where} lacks the hyperparameters {missing}")
        try:
            hyper = self._check_hyperparameters({key: given[key] for key in self.defaults}, where)
        except TypeError as exc:  # a file's wrong type is a bad value, as the rest
            raise ValueError(str(exc)) from None
        extras = {
            key: extra_value(where, key, value)
            for key, value in given.items()
            if key not in self.defaults
        }
        return {"params": group["params"], **hyper, **extras}

    def _check_entry(
        self, where: str, entry: Any, param: Tensor, group: Mapping[str, Any]
    ) -> dict[str, Any]:
        if not isinstance(entry, Mapping):
            raise ValueError(f"{where} must be a dict, got {type(entry).__name__}")
        keys = set(entry)
        unknown = sorted(keys - set(self._state_names))
        missing = sorted(set(self._required_state(group)) - keys) if keys else []
        if unknown or missing:
            raise KeyError(
                f"{where}: unknown keys {unknown}, missing keys {missing} (a "
                f"{type(self).__name__} entry holds {sorted(self._required_state(group))})"
            )
        converted: dict[str, Any] = {}
        for key, value in entry.items():
            if key == "step":
                converted[key] = _step_count(where, value)
                continue
            array = value.data if isinstance(value, Tensor) else np.asarray(value)
            if array.shape != param.shape or array.dtype != param.dtype:
                raise ValueError(
                    f"{where}: {key} has shape {array.shape} and dtype {array.dtype}, the "
                    f"parameter {param.shape} and {param.dtype}"
                )
            converted[key] = array.copy()
        return converted

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a `state_dict()`; everything is checked before anything changes.

        Hyperparameters come from ``state_dict`` (each group keeps its own tensors) and go
        through the constructor's checks, so a resumed run continues the same trajectory.

        Args:
            state_dict: what `state_dict()` returned for an optimizer of the same class
                over parameters of the same shapes, in the same groups.

        Raises:
            KeyError: missing or unknown entries. ValueError: wrong sizes, shapes, dtypes
            or values.
        """
        self.state, self.param_groups = self.check_state_dict(state_dict)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {number}")
            lines.append(f"    params: {len(group['params'])} tensors")
            lines += [f"    {key}: {value}" for key, value in group.items() if key != "params"]
        return "\n".join(lines + [")"])
