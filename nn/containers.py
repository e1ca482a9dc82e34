"""Containers: `Sequential`, `ModuleList`, `ModuleDict` and `ParameterList`, as PyTorch's."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, overload

import numpy as np

from autograd_lite import Tensor

from .module import Module
from .parameter import Parameter
from .printing import addindent


class _ModuleSequence(Module):
    """len(), iteration, indexing and deletion over the child modules."""

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def _key(self, index: Any) -> str:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(
                f"{type(self).__name__}: index must be an int or a slice, got "
                f"{type(index).__name__} {index!r}"
            )
        keys = list(self._modules)
        if not -len(keys) <= index < len(keys):
            raise IndexError(
                f"{type(self).__name__}: index {index} out of range for {len(keys)} modules"
            )
        return keys[index]

    def _renumber(self, modules: list[Module]) -> None:
        for name, module in list(self._modules.items()):
            self._drop_mirror(name, module)
        self._modules.clear()
        for position, module in enumerate(modules):
            self.register_module(str(position), module)

    def __setitem__(self, index: int, module: Module) -> None:
        self.register_module(self._key(index), module)

    def __delitem__(self, index: int | slice) -> None:
        items = list(self._modules.values())
        if isinstance(index, slice):
            del items[index]
        else:
            del items[list(self._modules).index(self._key(index))]
        self._renumber(items)  # as PyTorch: the remaining modules are numbered from 0 again

    def append(self, module: Module) -> Any:
        """Add ``module`` at the end; returns self."""
        self.register_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Any:
        """Append every module of ``modules``; returns self."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Put ``module`` before position ``index`` (numbering the modules from 0 again)."""
        items = list(self._modules.values())
        items.insert(index, module)
        self._renumber(items)


class Sequential(_ModuleSequence):
    """Modules applied one after another; the output of each is the input of the next.

    Args:
        *modules: the modules, registered as "0", "1", ...; or one dict (an OrderedDict,
            as PyTorch) of name -> module.

    Raises:
        TypeError: for an argument that is not a Module.

    Example:
        >>> model = Sequential(Linear(2, 2), Sigmoid(), Linear(2, 1))
        >>> model(Tensor([[0.05, 0.10]])).shape
        (1, 1)
        >>> model[1:]
        Sequential(
          (1): Sigmoid()
          (2): Linear(in_features=2, out_features=1, bias=True)
        )
    """

    def __init__(self, *modules: Any) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            for name, module in modules[0].items():
                self.register_module(name, module)
            return
        for index, module in enumerate(modules):
            self.register_module(str(index), module)

    @overload
    def __getitem__(self, index: int) -> Module: ...
    @overload
    def __getitem__(self, index: slice) -> Sequential: ...
    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):  # keeps the names, as PyTorch's
            return Sequential(dict(list(self._modules.items())[index]))
        return self._modules[self._key(index)]

    def forward(self, x: Any) -> Any:
        """Run every module in order."""
        for module in self._modules.values():
            x = module(x)
        return x


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters the owning module finds (e.g. a stack of layers).

    Args:
        modules: the initial modules.

    Raises:
        TypeError: for an item that is not a Module.

    Example:
        >>> layers = ModuleList([Linear(2, 2), Linear(2, 1)])
        >>> len(layers), len(list(layers.parameters()))
        (2, 4)
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        self.extend(modules)

    @overload
    def __getitem__(self, index: int) -> Module: ...
    @overload
    def __getitem__(self, index: slice) -> ModuleList: ...
    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[self._key(index)]

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("ModuleList has no forward(); iterate over it instead")

    def __repr__(self) -> str:
        """As PyTorch: a run of equal modules prints once, as ``(0-2): 3 x Linear(...)``."""
        texts = [repr(module) for module in self]
        if not texts:
            return "ModuleList()"
        runs: list[list[Any]] = []  # [first index, last index, text]
        for index, text in enumerate(texts):
            if runs and runs[-1][2] == text:
                runs[-1][1] = index
            else:
                runs.append([index, index, text])
        lines = []
        for first, last, text in runs:
            label = f"({first}): {text}"
            if last != first:
                label = f"({first}-{last}): {last - first + 1} x {text}"
            lines.append(addindent(label, 2))
        return "ModuleList(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of named modules whose parameters the owning module finds.

    Keys are strings and keep their insertion order; ``dict`` methods work as on a dict.

    Args:
        modules: a mapping name -> module, or an iterable of (name, module) pairs.

    Raises:
        TypeError: for a value that is not a Module. KeyError: for a key that is empty,
            contains a dot or names an attribute of the ModuleDict (such as "keys").

    Example:
        >>> heads = ModuleDict({"mean": Linear(4, 1), "scale": Linear(4, 1)})
        >>> sorted(heads), heads["mean"].out_features, "scale" in heads
        (['mean', 'scale'], 1, True)
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable[Any] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        try:
            return self._modules[key]
        except KeyError:
            raise KeyError(f"ModuleDict: no module named {key!r} (keys {list(self)})") from None

    def __setitem__(self, key: str, module: Module) -> None:
        self.register_module(key, module)

    def __delitem__(self, key: str) -> None:
        if key not in self._modules:
            raise KeyError(f"ModuleDict: no module named {key!r} (keys {list(self)})")
        delattr(self, key)  # Module.__delattr__ takes it out of the registry

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> list[str]:
        """The names, in insertion order."""
        return list(self._modules)

    def values(self) -> list[Module]:
        """The modules, in insertion order."""
        return list(self._modules.values())

    def items(self) -> list[tuple[str, Module]]:
        """(name, module) pairs, in insertion order."""
        return list(self._modules.items())

    def pop(self, key: str) -> Module:
        """Remove the module named ``key`` and return it."""
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        """Remove every module."""
        for key in list(self._modules):
            del self[key]

    def update(self, modules: Mapping[str, Module] | Iterable[Any]) -> None:
        """Add (or replace) modules from a mapping or from (name, module) pairs."""
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for position, pair in enumerate(pairs):
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise TypeError(
                    f"ModuleDict.update: item {position} must be a (name, module) pair, got "
                    f"{type(pair).__name__} {pair!r:.60}"
                )
            self[pair[0]] = pair[1]

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("ModuleDict has no forward(); call its modules by name")


class ParameterList(Module):
    """A list of Parameters that the owning module registers (named "0", "1", ...).

    A Tensor or NumPy array given to it is wrapped in a `Parameter`.

    Args:
        values: the initial parameters.

    Raises:
        TypeError: for an item that is not a Tensor or an array of numbers.

    Example:
        >>> scales = ParameterList([np.ones(3), np.zeros(2)])
        >>> [name for name, _ in scales.named_parameters()], scales[1].shape
        (['0', '1'], (2,))
    """

    def __init__(self, values: Iterable[Any] = ()) -> None:
        super().__init__()
        self.extend(values)

    @staticmethod
    def _as_parameter(value: Any) -> Parameter:
        if isinstance(value, Parameter):
            return value
        if isinstance(value, Tensor):
            return Parameter(value.data)  # shares the array, as PyTorch's Parameter(tensor)
        if isinstance(value, np.ndarray):
            return Parameter(value)
        raise TypeError(
            f"ParameterList: items must be Parameters, Tensors or NumPy arrays, got "
            f"{type(value).__name__} {value!r:.60}"
        )

    def _key(self, index: Any) -> str:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"ParameterList: index must be an int, got {type(index).__name__}")
        if not -len(self) <= index < len(self):
            raise IndexError(
                f"ParameterList: index {index} out of range for {len(self)} parameters"
            )
        return str(index % len(self))

    def __getitem__(self, index: int) -> Parameter:
        return self._parameters[self._key(index)]

    def __setitem__(self, index: int, value: Any) -> None:
        setattr(self, self._key(index), self._as_parameter(value))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(list(self._parameters.values()))

    def append(self, value: Any) -> ParameterList:
        """Add a parameter at the end; returns self."""
        setattr(self, str(len(self)), self._as_parameter(value))
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Append every item of ``values``; returns self."""
        for value in values:
            self.append(value)
        return self

    def __iadd__(self, values: Iterable[Any]) -> ParameterList:
        return self.extend(values)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("ParameterList has no forward(); index it instead")

    def extra_repr(self) -> str:
        """One line per parameter, as PyTorch's: ``(0): Parameter containing: [...]``."""
        lines = []
        for index, param in enumerate(self):
            size = "x".join(str(length) for length in param.shape)
            lines.append(f"  ({index}): Parameter containing: [{param.dtype} of size {size}]")
        return "\n".join(lines)
