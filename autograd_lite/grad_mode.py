"""Grad mode: the one thread-local flag that says whether operations record the graph.

`no_grad()` turns recording off (inference, optimizer updates, the backward pass itself);
`enable_grad()` turns it back on (used by `create_graph=True`). Both are context managers
and decorators (``@no_grad`` or ``@no_grad()``, generators too), like their PyTorch
namesakes; `set_grad_enabled(mode)` is a plain call or a context manager. Each thread has
its own flag.

Reading a thread-local attribute costs several hundred machine instructions, and every op
asks. So every switch goes through `set_mode`, which also keeps `grad_off`: how many
threads have their flag off right now. While that count is 0 no thread has grad mode
off, so the caller's is on without reading its flag; the engine's ops test
``not grad_off.count or state.enabled``, which is `is_grad_enabled` inlined.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Generator
from typing import Any, TypeVar, cast

_F = TypeVar("_F", bound=Callable[..., Any])


class _GradState(threading.local):
    enabled: bool = True


state = _GradState()


class _Count:
    """A number shared by all threads, changed only by `_add` (under a lock)."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


#: how many threads have grad mode off right now (see the module docstring). A thread
#: that ends with its mode off leaves it raised: the others then read their own flag, as
#: they would without the count, and still get their own mode.
grad_off = _Count()


class _Watch(_Count):
    """How many `no_grad` blocks are open, in all threads together. While one is, ops that
    record nothing note where their results came from (see `engine.provenance`), so
    `diagnose_grads` can tell "used under no_grad" from "not used"; while none is, they
    need not look (the backward pass turns grad mode off without a block)."""

    __slots__ = ()


watch = _Watch()
count_lock = threading.Lock()  #: guards every change of the counts


def _add(counter: _Count, change: int) -> None:
    """Add ``change`` (+1 or -1) to a shared count, under the lock so no change is lost.

    A ``with`` block, not acquire() and release() calls: an exception between those
    (KeyboardInterrupt, raised after a C call returns) would leave the lock held and
    every later switch of grad mode, in any thread, waiting for it."""
    with count_lock:
        counter.count += change


def add_watch(change: int) -> None:
    """Add ``change`` (+1 or -1) to `watch`."""
    _add(watch, change)


def set_mode(mode: bool) -> bool:
    """Switch this thread's grad mode to ``mode``, keeping `grad_off` counted; return the
    previous mode. Every switch of the flag goes through here."""
    previous = state.enabled
    if mode:
        if not previous:
            state.enabled = True
            _add(grad_off, -1)
    elif previous:
        _add(grad_off, 1)
        state.enabled = False
    return previous


def is_grad_enabled() -> bool:
    """Return True when new operations are recorded in the graph (this thread only)."""
    return not grad_off.count or state.enabled


class _RestoreGradMode:
    """What `set_grad_enabled` returns: on exit from a ``with`` block, restore ``previous``.

    It holds nothing but the mode to restore, so the two possible instances are shared
    (a plain ``set_grad_enabled(mode)`` call allocates nothing) and safe across threads.
    """

    __slots__ = ("previous",)

    def __init__(self, previous: bool) -> None:
        self.previous = previous

    def __enter__(self) -> None:
        pass  # set_grad_enabled already switched the mode

    def __exit__(self, *exc_info: object) -> None:
        set_mode(self.previous)


_RESTORE = {True: _RestoreGradMode(True), False: _RestoreGradMode(False)}


def set_grad_enabled(mode: bool) -> _RestoreGradMode:
    """Switch graph recording on or off for the current thread, at once.

    Usable as a plain call or as a context manager that restores the previous mode on exit
    (like ``torch.set_grad_enabled``).

    Args:
        mode: True to record operations in the graph, False not to.

    Returns:
        A context manager whose exit restores the mode that was in force before this call.

    Example:
        >>> x = Tensor([1.0], requires_grad=True)
        >>> with set_grad_enabled(False):
        ...     y = x * 2          # not recorded; the previous mode is back after the block
        >>> y.requires_grad, is_grad_enabled()
        (False, True)
    """
    return _RESTORE[set_mode(bool(mode))]


class _GradModeContext:
    """Sets grad mode on entry, restores the previous mode on exit; also a decorator.

    As a decorator it works with or without parentheses (``@no_grad`` or ``@no_grad()``);
    a decorated generator function runs each of its steps in the mode, and the caller's
    mode is in force between the steps.
    """

    _mode: bool

    def __new__(cls, func: Callable[..., Any] | None = None) -> Any:
        if func is None:
            return super().__new__(cls)
        if not callable(func):
            raise TypeError(
                f"{cls.__name__}: use it as {cls.__name__}() (a context manager) or as a "
                f"decorator of a function, got {type(func).__name__}"
            )
        return cls()(func)  # bare @no_grad: decorate at once

    def __enter__(self) -> None:
        self._previous = set_mode(self._mode)
        if not self._mode:  # ops inside note tensors computed from ones requiring grad
            add_watch(1)

    def __exit__(self, *exc_info: object) -> None:
        set_mode(self._previous)
        if not self._mode:
            add_watch(-1)

    def __call__(self, func: _F) -> _F:
        mode_context = type(self)
        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def generator_wrapper(*args: Any, **kwargs: Any) -> Any:
                return (yield from _steps_in_mode(mode_context, func(*args, **kwargs)))

            return cast(_F, generator_wrapper)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with mode_context():
                return func(*args, **kwargs)

        return cast(_F, wrapper)


def _steps_in_mode(mode_context: type, generator: Generator[Any, Any, Any]) -> Any:
    """Drive ``generator``, running each step (send, throw, close) inside ``mode_context``."""
    try:
        with mode_context():
            response = generator.send(None)
        while True:
            try:
                request = yield response
            except GeneratorExit:
                with mode_context():
                    generator.close()
                raise
            except BaseException as exc:  # noqa: BLE001 - passed on into the generator
                with mode_context():
                    response = generator.throw(exc)
            else:
                with mode_context():
                    response = generator.send(request)
    except StopIteration as stop:
        return stop.value


class no_grad(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Context manager and decorator: operations inside record no graph.

    Example:
        >>> x = Tensor([1.0], requires_grad=True)
        >>> with no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
        >>> @no_grad               # or @no_grad()
        ... def predict(x): return x * 3
        >>> predict(x).requires_grad
        False
    """

    _mode = False


class enable_grad(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Context manager and decorator: operations inside record the graph again.

    Example:
        >>> x = Tensor([1.0], requires_grad=True)
        >>> with no_grad():
        ...     with enable_grad():
        ...         y = x * 2      # recorded
        >>> y.requires_grad
        True
    """

    _mode = True
