"""Grad mode: the one thread-local flag that says whether operations record the graph.

`no_grad()` turns recording off (inference, optimizer updates, the backward pass itself);
`enable_grad()` turns it back on (used by `create_graph=True`). Both are context managers
and decorators, like their PyTorch namesakes, and each thread has its own flag.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])


class _GradState(threading.local):
    enabled: bool = True


_state = _GradState()


def is_grad_enabled() -> bool:
    """Return True when new operations are recorded in the graph (this thread only)."""
    return _state.enabled


def set_grad_enabled(mode: bool) -> None:
    """Switch graph recording on or off for the current thread."""
    _state.enabled = bool(mode)


class _GradModeContext:
    """Sets grad mode on entry, restores the previous mode on exit; also a decorator."""

    _mode: bool

    def __enter__(self) -> None:
        self._previous = _state.enabled
        _state.enabled = self._mode

    def __exit__(self, *exc_info: object) -> None:
        _state.enabled = self._previous

    def __call__(self, func: _F) -> _F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Context manager and decorator: operations inside record no graph.

    Example:
        >>> with no_grad():
        ...     y = x * 2          # y.requires_grad is False
    """

    _mode = False


class enable_grad(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Context manager and decorator: operations inside record the graph again.

    Example:
        >>> with no_grad():
        ...     with enable_grad():
        ...         y = x * 2      # recorded
    """

    _mode = True
