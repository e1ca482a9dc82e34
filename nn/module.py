"""`Module`, `Parameter` and `ModuleList`: the containers every layer is built from.

A Module finds its parameters and submodules by attribute assignment (``self.fc = Linear(...)``)
and keeps them in insertion order, so `named_parameters()` and `state_dict()` list them in
the order the model was written, with dotted names such as ``"0.weight"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from autograd_lite import Tensor


class IncompatibleKeys(NamedTuple):
    """What `Module.load_state_dict` returns: the names it did not match (as PyTorch's).

    Attributes:
        missing_keys: the module's parameter names that ``state`` did not contain.
        unexpected_keys: the names in ``state`` that the module has no parameter for.
    """

    missing_keys: list[str]
    unexpected_keys: list[str]


class Parameter(Tensor):
    """A Tensor that a Module registers as trainable; ``requires_grad`` is True by default.

    Args:
        data: the initial values (anything `Tensor` accepts); a Tensor's array is shared.
        requires_grad: False freezes the parameter (the optimizers then skip it).
        dtype: force float32 or float64.

    Example:
        >>> w = Parameter([[0.15, 0.20]])
        >>> w.requires_grad, w.shape
        (True, (1, 2))
    """

    __slots__ = ()

    def __init__(
        self, data: ArrayLike, requires_grad: bool = True, dtype: DTypeLike | None = None
    ) -> None:
        super().__init__(data, requires_grad=requires_grad, dtype=dtype)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of layers and models: override `forward`, call the module to run it.

    Assigning a `Parameter` or a `Module` to an attribute registers it; `parameters()`,
    `state_dict()`, `train()` and `eval()` then reach it.

    Example:
        >>> class Affine(Module):
        ...     def __init__(self):
        ...         super().__init__(); self.scale = Parameter([2.0])
        ...     def forward(self, x): return x * self.scale
        >>> Affine()(Tensor([3.0])).item()
        6.0
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    # ---------------------------------------------------------------- registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning {name!r}"
            )
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self.__dict__.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
            # mirrored in the instance dict, so reading ``self.weight`` is a normal attribute
            # lookup, not a failed one plus a __getattr__ call (saves ~0.7 us per access)
            self.__dict__[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
            self.__dict__[name] = value  # mirrored, as a Parameter
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: look in the registries (a parameter or module
        # assigned as an attribute is found before, in its mirror in the instance dict)
        registries = self.__dict__.get("_parameters", {}), self.__dict__.get("_modules", {})
        for registry in registries:
            if name in registry:
                return registry[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        if name in self._parameters:
            self._drop_mirror(name, self._parameters.pop(name))
        elif name in self._modules:
            self._drop_mirror(name, self._modules.pop(name))
        else:
            object.__delattr__(self, name)

    def _drop_mirror(self, name: str, value: Any) -> None:
        """Remove the instance-dict mirror of a registry entry (see `__setattr__`), if any."""
        if self.__dict__.get(name) is value:
            del self.__dict__[name]

    def register_module(self, name: str, module: Module) -> None:
        """Register ``module`` under ``name`` (for names that are not identifiers, e.g. "0")."""
        if not isinstance(module, Module):
            raise TypeError(f"register_module: {name!r} must be a Module, got {type(module)}")
        previous = self._modules.get(name)
        self._modules[name] = module
        if previous is not None and self.__dict__.get(name) is previous:
            self.__dict__[name] = module  # keep the mirror of an assigned module current

    # ---------------------------------------------------------------- running
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the module's output; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ---------------------------------------------------------------- traversal
    def children(self) -> Iterator[Module]:
        """The direct submodules, in registration order."""
        return iter(self._modules.values())

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (name ``prefix``) and every submodule with its dotted name."""
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        """This module and every submodule."""
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted name (``"0.weight"``); a shared one appears once.

        Args:
            prefix: prepended (with a dot) to every name.

        Returns:
            An iterator of (name, Parameter) pairs in registration order.

        Example:
            >>> [name for name, _ in Sequential(Linear(2, 3)).named_parameters()]
            ['0.weight', '0.bias']
        """
        seen: set[int] = set()
        for module_name, module in self.named_modules(prefix):
            for name, param in module._parameters.items():
                if id(param) in seen:
                    continue
                seen.add(id(param))
                yield (f"{module_name}.{name}" if module_name else name), param

    def parameters(self) -> Iterator[Parameter]:
        """Every parameter once, in the order of `named_parameters()`."""
        for _, param in self.named_parameters():
            yield param

    # ---------------------------------------------------------------- modes and gradients
    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and every submodule; returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Set evaluation mode (Dropout off) on this module and every submodule; returns self."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``.grad = None``, as PyTorch's default)."""
        for param in self.parameters():
            param.grad = None

    # ---------------------------------------------------------------- state
    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's array under its dotted name.

        Returns:
            A dict name -> np.ndarray (copies: later training does not change them).

        Example:
            >>> sorted(Linear(2, 1).state_dict())
            ['bias', 'weight']
        """
        return {name: param.data.copy() for name, param in self.named_parameters()}

    def check_state_dict(
        self, state: Mapping[str, Any], strict: bool = True
    ) -> list[tuple[Parameter, np.ndarray]]:
        """Validate ``state`` against this module without changing anything.

        Args:
            state: name -> array, as `state_dict()` returns.
            strict: require exactly the module's names (no missing, no unexpected keys).

        Returns:
            The (parameter, new array) pairs that `load_state_dict` would assign.

        Raises:
            KeyError: missing or unexpected names (all of them listed).
            ValueError: an entry whose shape or dtype differs from the parameter's.
        """
        own = dict(self.named_parameters())
        problems = []
        if strict:
            missing = [name for name in own if name not in state]
            unexpected = [name for name in state if name not in own]
            if missing:
                problems.append(f"missing keys {missing}")
            if unexpected:
                problems.append(f"unexpected keys {unexpected}")
        if problems:
            raise KeyError(f"load_state_dict: {'; '.join(problems)}")
        updates = []
        for name, param in own.items():
            if name not in state:
                continue
            value = state[name]
            array = value.data if isinstance(value, Tensor) else np.asarray(value)
            if array.shape != param.shape:
                problems.append(f"{name!r} has shape {array.shape}, the model {param.shape}")
            elif array.dtype != param.dtype:
                problems.append(f"{name!r} has dtype {array.dtype}, the model {param.dtype}")
            else:
                updates.append((param, array))
        if problems:
            raise ValueError(f"load_state_dict: {'; '.join(problems)}")
        return updates

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy arrays into the parameters, after checking all of them first.

        Nothing is changed unless every entry fits: names (with ``strict``), shapes and
        dtypes must match the module's parameters exactly.

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
        updates = self.check_state_dict(state, strict)
        own = dict(self.named_parameters())
        for param, array in updates:
            param.data = array.copy()
        return IncompatibleKeys(
            missing_keys=[name for name in own if name not in state],
            unexpected_keys=[name for name in state if name not in own],
        )

    # ---------------------------------------------------------------- display
    def extra_repr(self) -> str:
        """The text between the parentheses of this module's repr (its settings)."""
        return ""

    def __repr__(self) -> str:
        header = f"{type(self).__name__}({self.extra_repr()}"
        if not self._modules:
            return header + ")"
        lines = [header]
        for name, child in self._modules.items():
            child_text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_text}")
        return "\n".join(lines) + "\n)"


class _ModuleSequence(Module):
    """len(), iteration and indexing over the child modules (`ModuleList`, `Sequential`)."""

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int) -> Module:
        items = list(self._modules.values())
        try:
            return items[index]
        except IndexError:
            raise IndexError(
                f"{type(self).__name__}: index {index} out of range for {len(items)} modules"
            ) from None


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

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end; returns self."""
        self.register_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Append every module of ``modules``; returns self."""
        for module in modules:
            self.append(module)
        return self

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("ModuleList has no forward(); iterate over it instead")
