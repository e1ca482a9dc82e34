"""Forward hooks of a Module: the registration methods and `RemovableHandle`.

A pre-hook runs before ``forward`` and may replace its inputs; a forward hook runs after
and may replace its output. Each registration returns a handle that removes the hook.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

_next_id = itertools.count()


class RemovableHandle:
    """Removes the hook it was returned for: ``handle.remove()``, or at the end of a ``with``.

    Removing twice, or after the module was copied, does nothing.

    Args:
        hooks: the registry (id -> hook) the hook sits in.

    Example:
        >>> layer = Linear(2, 1)
        >>> seen = []
        >>> with layer.register_forward_hook(lambda m, args, out: seen.append(out.shape)):
        ...     _ = layer(Tensor(np.ones((3, 2))))
        >>> _ = layer(Tensor(np.ones((3, 2))))     # the hook is gone
        >>> seen
        [(3, 1)]
    """

    __slots__ = ("hooks", "id")

    def __init__(self, hooks: dict[int, Callable[..., Any]]) -> None:
        self.hooks = hooks
        self.id = next(_next_id)

    def remove(self) -> None:
        """Take the hook out of its registry (no error if it is already out)."""
        self.hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()

    def __repr__(self) -> str:
        state = "registered" if self.id in self.hooks else "removed"
        return f"RemovableHandle(id={self.id}, {state})"


def add_hook(
    hooks: dict[int, Callable[..., Any]],
    hook: Callable[..., Any],
    prepend: bool,
    what: str,
) -> RemovableHandle:
    """Put ``hook`` in ``hooks`` (first when ``prepend``) and return its handle."""
    if not callable(hook):
        raise TypeError(f"{what}: the hook must be callable, got {type(hook).__name__} {hook!r}")
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        rest = [(key, value) for key, value in hooks.items() if key != handle.id]
        hooks.clear()
        hooks[handle.id] = hook
        hooks.update(rest)
    return handle


class HookMethods:
    """`register_forward_pre_hook`, `register_forward_hook` and the call that runs them,
    mixed into `Module` (which keeps the registries ``_forward_pre_hooks`` and
    ``_forward_hooks``, id -> hook, in registration order)."""

    _forward_pre_hooks: dict[int, Callable[..., Any]]
    _forward_hooks: dict[int, Callable[..., Any]]
    forward: Callable[..., Any]  # Module's

    def _call_with_hooks(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_pre_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False
    ) -> RemovableHandle:
        """Run ``hook(module, args)`` before every forward; it may return new inputs.

        ``args`` is the tuple of positional inputs. A returned tuple replaces them, another
        value (not None) becomes the single input, None keeps them.

        Args:
            hook: the function.
            prepend: run it before the hooks already registered.

        Returns:
            A handle whose ``remove()`` takes the hook out again.

        Example:
            >>> layer = Linear(2, 1)
            >>> handle = layer.register_forward_pre_hook(lambda m, args: args[0] * 0.0)
            >>> layer(Tensor([[5.0, 7.0]])).item() == layer.bias.item()
            True
            >>> handle.remove()
        """
        return add_hook(self._forward_pre_hooks, hook, prepend, "register_forward_pre_hook")

    def register_forward_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False
    ) -> RemovableHandle:
        """Run ``hook(module, args, output)`` after every forward; it may return a new output.

        Args:
            hook: the function; a returned value other than None replaces the output.
            prepend: run it before the hooks already registered.

        Returns:
            A handle whose ``remove()`` takes the hook out again.

        Example:
            >>> model = Sequential(Linear(2, 3), ReLU())
            >>> shapes = {}
            >>> def record(module, args, output):
            ...     shapes[type(module).__name__] = output.shape   # returns None: output kept
            >>> handles = [layer.register_forward_hook(record) for layer in model]
            >>> _ = model(Tensor(np.ones((4, 2)))); shapes
            {'Linear': (4, 3), 'ReLU': (4, 3)}
        """
        return add_hook(self._forward_hooks, hook, prepend, "register_forward_hook")
