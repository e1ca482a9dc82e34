"""`Module`: the base class every layer and model is built from.

A Module finds its parameters, buffers and submodules by attribute assignment
(``self.fc = Linear(...)``) or by ``register_buffer`` and keeps them in insertion order, so
`named_parameters()` and `state_dict()` list them in the order the model was written, with
dotted names such as ``"0.weight"``. Its state (`nn.state`), its hooks (`nn.hooks`) and its
printout follow PyTorch's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from autograd_lite import Tensor

from .hooks import HookMethods
from .parameter import FLOAT_DTYPES, Parameter
from .printing import PrintMethods
from .state import IncompatibleKeys, StateMethods

__all__ = ["IncompatibleKeys", "Module", "Parameter"]


def _as_buffer(owner: str, name: str, value: Any) -> Any:
    """A buffer's stored value: a Tensor, a NumPy array of integers or bools, or None.

    A float array becomes a Tensor sharing it (float32 stays float32); integer and bool
    arrays stay NumPy arrays, since a Tensor holds floats only.
    """
    if value is None or isinstance(value, Tensor):
        return value
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "biuf":
        return Tensor(value) if value.dtype.kind == "f" else np.asarray(value)
    raise TypeError(
        f"{owner}: cannot use {type(value).__name__} {value!r:.60} as buffer {name!r} (a "
        "Tensor, a NumPy array of numbers or None expected)"
    )


def _check_new_name(module: Module, what: str, name: Any, registry: dict[str, Any]) -> None:
    owner = type(module).__name__
    if not isinstance(name, str):
        raise TypeError(f"{owner}.{what}: name must be a str, got {type(name).__name__}")
    if name == "" or "." in name:
        raise KeyError(f"{owner}.{what}: name must be non-empty and contain no '.', got {name!r}")
    if hasattr(module, name) and name not in registry:
        raise KeyError(f"{owner}.{what}: attribute {name!r} already exists")


class Module(StateMethods, HookMethods, PrintMethods):
    """Base class of layers and models: override `forward`, call the module to run it.

    Assigning a `Parameter` or a `Module` to an attribute registers it; `parameters()`,
    `state_dict()`, `train()`, `eval()`, `to()` and `apply()` then reach it. Buffers
    (`register_buffer`) are state that is not trained: saved and loaded, not in
    `parameters()`.

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
        set_ = object.__setattr__
        set_(self, "_parameters", {})
        set_(self, "_buffers", {})
        set_(self, "_non_persistent_buffers", set())
        set_(self, "_modules", {})
        set_(self, "_forward_pre_hooks", {})
        set_(self, "_forward_hooks", {})
        set_(self, "training", True)

    # ---------------------------------------------------------------- registration
    def __setattr__(self, name: str, value: Any) -> None:
        own = self.__dict__
        if "_parameters" not in own:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning {name!r}"
            )
        buffers = own["_buffers"]
        if name in buffers and not isinstance(value, (Parameter, Module)):
            # a registered buffer stays one: ``self.running_mean = new`` replaces its value
            buffers[name] = own[name] = _as_buffer(type(self).__name__, name, value)
            return
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        buffers.pop(name, None)
        self._non_persistent_buffers.discard(name)
        own.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
            # [fast path: attribute mirrors] mirrored in the instance dict, so reading
            # ``self.weight`` is a normal attribute lookup, not a failed one plus __getattr__
            own[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
            own[name] = value  # mirrored, as a Parameter
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: look in the registries (a parameter, buffer or
        # module assigned as an attribute is found before, in its mirror in the instance dict)
        own = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if name in own.get(registry, ()):
                return own[registry][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                self._drop_mirror(name, registry.pop(name))
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def _drop_mirror(self, name: str, value: Any) -> None:
        """Remove the instance-dict mirror of a registry entry (see `__setattr__`), if any."""
        if name in self.__dict__ and self.__dict__[name] is value:
            del self.__dict__[name]

    def register_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` under ``name`` (for names that are not identifiers, e.g. "0").

        Raises:
            TypeError: for a value that is not a Module, or a name that is not a str.
            KeyError: for an empty or dotted name, or one naming another attribute.
        """
        if not isinstance(module, Module):
            raise TypeError(f"register_module: {name!r} must be a Module, got {type(module)}")
        _check_new_name(self, "register_module", name, self._modules)
        previous = self._modules.get(name)
        self._modules[name] = module
        if previous is not None and self.__dict__.get(name) is previous:
            self.__dict__[name] = module  # keep the mirror of an assigned module current

    add_module = register_module

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` under ``name``, as assigning it would (None: no parameter).

        Raises:
            TypeError: for a value that is neither a Parameter nor None.
            KeyError: for an empty or dotted name, or one naming another attribute.
        """
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"{type(self).__name__}.register_parameter: {name!r} must be a Parameter or "
                f"None, got {type(param).__name__} (wrap a Tensor: nn.Parameter(tensor))"
            )
        _check_new_name(self, "register_parameter", name, self._parameters)
        setattr(self, name, param)

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Keep ``tensor`` as state that is not trained (running statistics, masks, counts).

        A buffer is an attribute (``self.name``), is in `buffers()` and, when
        ``persistent``, in `state_dict()` and saved files; it is never in `parameters()`.
        A float array becomes a Tensor sharing its memory; an integer or bool array stays
        a NumPy array (a Tensor holds floats only). Assigning to ``self.name`` later
        replaces the buffer's value. `to(dtype)` casts float buffers.

        Args:
            name: the attribute name.
            tensor: a Tensor, a NumPy array, or None (a declared buffer with no value yet,
                left out of the state).
            persistent: False keeps it out of `state_dict()` and saved files.

        Raises:
            TypeError: for a value of another type. KeyError: for an empty or dotted name,
                or one naming another attribute (a parameter, a submodule, a method).

        Example:
            >>> layer = Linear(2, 1)
            >>> layer.register_buffer("steps", np.array(0))
            >>> layer.register_buffer("mean", np.zeros(2), persistent=False)
            >>> list(layer.state_dict()), type(layer.mean).__name__
            (['weight', 'bias', 'steps'], 'Tensor')
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before register_buffer"
            )
        _check_new_name(self, "register_buffer", name, self._buffers)
        value = _as_buffer(type(self).__name__, name, tensor)
        self.__dict__.pop(name, None)
        self._buffers[name] = self.__dict__[name] = value
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    # ---------------------------------------------------------------- running
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the module's output; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        own = self.__dict__
        if own.get("_forward_pre_hooks") or own.get("_forward_hooks"):
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    # ---------------------------------------------------------------- traversal
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct submodules with their names, in registration order (each once)."""
        seen: set[int] = set()
        for name, child in self._modules.items():
            if id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        """The direct submodules, in registration order."""
        for _, child in self.named_children():
            yield child

    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """This module (name ``prefix``) and every submodule with its dotted name.

        A module reachable twice is listed once unless ``remove_duplicate`` is False.
        """
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            child_prefix = f"{prefix}.{name}" if prefix else name
            yield from child.named_modules(memo, child_prefix, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """This module and every submodule."""
        for _, module in self.named_modules():
            yield module

    def _named_members(
        self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool
    ) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        owners = self.named_modules(prefix=prefix) if recurse else iter([(prefix, self)])
        for module_name, module in owners:
            for name, value in getattr(module, registry).items():
                if value is None:
                    continue
                if remove_duplicate:
                    if id(value) in seen:
                        continue
                    seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted name (``"0.weight"``); a shared one appears once.

        Args:
            prefix: prepended (with a dot) to every name.
            recurse: include the submodules' parameters (else only this module's own).
            remove_duplicate: list a shared parameter once.

        Returns:
            An iterator of (name, Parameter) pairs in registration order.

        Example:
            >>> [name for name, _ in Sequential(Linear(2, 3)).named_parameters()]
            ['0.weight', '0.bias']
        """
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter once, in the order of `named_parameters()`."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Any]]:
        """Every buffer (persistent or not) with its dotted name, as `named_parameters`."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Any]:
        """Every buffer once, in the order of `named_buffers()`."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ---------------------------------------------------------------- modes and changes
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

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn(module)`` on every submodule (children first) and then on self.

        Example:
            >>> def zero_bias(m):
            ...     if isinstance(m, Linear): nn.init.zeros_(m.bias)
            >>> model = Sequential(Linear(2, 2), Tanh(), Linear(2, 1)).apply(zero_bias)
            >>> float(model[2].bias.item())
            0.0
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` on every parameter (False freezes them); returns self."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def to(self, dtype: DTypeLike) -> Module:
        """Cast every parameter and float buffer (and gradient) to float32 or float64.

        The Parameter objects stay the same (an optimizer holding them keeps working); each
        gets a new array. Integer buffers are left as they are. Returns self.

        Raises:
            TypeError: for a dtype other than float32 or float64.

        Example:
            >>> Linear(2, 1).to(np.float32).weight.dtype
            dtype('float32')
        """
        try:
            target = np.dtype(dtype)
        except TypeError:
            target = None
        if dtype is None or target is None or target not in FLOAT_DTYPES:
            raise TypeError(
                f"{type(self).__name__}.to: dtype must be float32 or float64, got {dtype!r}"
            )
        tensors = list(self.parameters()) + [
            buffer for buffer in self.buffers() if isinstance(buffer, Tensor)
        ]
        for tensor in tensors:
            if tensor.dtype != target:
                tensor.data = tensor.data.astype(target)
                if tensor.grad is not None:
                    tensor.grad = Tensor(tensor.grad.data.astype(target))
        return self

    def float(self) -> Module:
        """``to(np.float32)``."""
        return self.to(np.float32)

    def double(self) -> Module:
        """``to(np.float64)``."""
        return self.to(np.float64)
