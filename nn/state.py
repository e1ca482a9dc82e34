"""A Module's state: `state_dict`, `load_state_dict` and the check both loaders run first.

The state holds every parameter and every persistent buffer under its dotted name, in
PyTorch's order: a module's own parameters, then its own buffers, then each submodule's
state under the submodule's name (``"0.weight"``, ``"bn.running_mean"``). A parameter
shared by two submodules appears under both names, as in PyTorch.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from autograd_lite import Tensor

if TYPE_CHECKING:
    from .module import Module


class IncompatibleKeys(NamedTuple):
    """What `Module.load_state_dict` returns: the names it did not match (as PyTorch's).

    Attributes:
        missing_keys: the module's state names that ``state`` did not contain.
        unexpected_keys: the names in ``state`` that the module has no entry for.
    """

    missing_keys: list[str]
    unexpected_keys: list[str]


class BufferSlot:
    """Stands for a NumPy-array buffer in `Module.check_state_dict`'s updates.

    A parameter or a float buffer is a Tensor, updated by ``tensor.data = array``; an
    integer buffer (a NumPy array: Tensors hold floats only) is updated through this slot
    the same way, so a loader treats every entry alike.
    """

    __slots__ = ("module", "name")

    def __init__(self, module: Module, name: str) -> None:
        self.module, self.name = module, name

    @property
    def data(self) -> np.ndarray:
        """The buffer's current array."""
        array: np.ndarray = self.module._buffers[self.name]
        return array

    @data.setter
    def data(self, array: np.ndarray) -> None:
        setattr(self.module, self.name, array)  # Module.__setattr__ keeps it a buffer

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype


def state_entries(module: Module, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted name, Parameter / Tensor buffer / BufferSlot) in `state_dict`'s order."""
    for name, param in module._parameters.items():
        yield prefix + name, param
    for name, buffer in module._buffers.items():
        if buffer is None or name in module._non_persistent_buffers:
            continue
        yield prefix + name, buffer if isinstance(buffer, Tensor) else BufferSlot(module, name)
    for name, child in module._modules.items():
        yield from state_entries(child, f"{prefix}{name}.")


class StateMethods:
    """`state_dict`, `check_state_dict` and `load_state_dict`, mixed into `Module`."""

    def state_dict(self, *, prefix: str = "", keep_vars: bool = False) -> dict[str, Any]:
        """A copy of every parameter's and persistent buffer's array under its dotted name.

        Args:
            prefix: prepended to every name.
            keep_vars: give the Parameters and buffers themselves instead of array copies.

        Returns:
            A dict name -> np.ndarray (copies: later training does not change them).

        Example:
            >>> list(Linear(2, 1).state_dict())
            ['weight', 'bias']
        """
        module: Module = self  # type: ignore[assignment]
        if keep_vars:
            return {
                name: entry.data if isinstance(entry, BufferSlot) else entry
                for name, entry in state_entries(module, prefix)
            }
        return {name: entry.data.copy() for name, entry in state_entries(module, prefix)}

    def check_state_dict(
        self, state: Mapping[str, Any], strict: bool = True
    ) -> list[tuple[Any, np.ndarray]]:
        """Validate ``state`` against this module without changing anything.

        Args:
            state: name -> array (or Tensor), as `state_dict()` returns.
            strict: require exactly the module's names (no missing, no unexpected keys).

        Returns:
            The (target, new array) pairs to assign with ``target.data = array.copy()``:
            the target is the Parameter or Tensor buffer, or a `BufferSlot` for an integer
            buffer.

        Raises:
            KeyError: missing or unexpected names (all of them listed).
            ValueError: an entry whose shape or dtype differs from the module's.
        """
        module: Module = self  # type: ignore[assignment]
        own = list(state_entries(module))
        names = {name for name, _ in own}
        problems = []
        if strict:
            missing = [name for name, _ in own if name not in state]
            unexpected = [name for name in state if name not in names]
            if missing:
                problems.append(f"missing keys {missing}")
            if unexpected:
                problems.append(f"unexpected keys {unexpected}")
        if problems:
            raise KeyError(f"load_state_dict: {'; '.join(problems)}")
        updates = []
        for name, target in own:
            if name not in state:
                continue
            value = state[name]
            array = value.data if isinstance(value, Tensor) else np.asarray(value)
            if array.shape != target.shape:
                problems.append(f"{name!r} has shape {array.shape}, the model {target.shape}")
            elif array.dtype != target.dtype:
                problems.append(f"{name!r} has dtype {array.dtype}, the model {target.dtype}")
            else:
                updates.append((target, array))
        if problems:
            raise ValueError(f"load_state_dict: {'; '.join(problems)}")
        return updates

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy arrays into the parameters and buffers, after checking all of them first.

        Nothing is changed unless every entry fits: names (with ``strict``), shapes and
        dtypes must match the module's parameters and persistent buffers exactly (nothing
        is cast silently).

        Args:
            state: name -> array, as `state_dict()` returns.
            strict: require exactly the module's names.

        Returns:
            ``IncompatibleKeys(missing_keys, unexpected_keys)``, a named tuple of the names
            left unmatched (both empty after a strict load, which raises otherwise).

        Raises:
            KeyError: missing or unexpected names.
            ValueError: a shape or dtype mismatch (names the entry and both shapes/dtypes).

        Example:
            >>> a, b = Linear(2, 1), Linear(2, 1)
            >>> b.load_state_dict(a.state_dict())
            IncompatibleKeys(missing_keys=[], unexpected_keys=[])
            >>> bool((a.weight == b.weight).numpy().all())
            True
        """
        module: Module = self  # type: ignore[assignment]
        updates = self.check_state_dict(state, strict)
        for target, array in updates:
            target.data = array.copy()
        names = [name for name, _ in state_entries(module)]
        known = set(names)
        return IncompatibleKeys(
            missing_keys=[name for name in names if name not in state],
            unexpected_keys=[name for name in state if name not in known],
        )
