"""Anomaly detection: find the operation that first produced NaN or inf, and where.

``detect_anomaly()`` is a context manager and decorator (thread-local, like `no_grad`).
While it is on, every recorded operation remembers the line of the user's code that
created it, and

- after each node's backward rule, the gradients it produced are checked: NaN or inf
  raises `AnomalyError` naming the op (e.g. ``Log``), the input whose gradient went bad
  and the file:line where the op was created;
- with ``check_forward=True`` (the default), an op whose forward output holds NaN although
  none of its inputs did raises at once (inf is allowed in forward: ``log(0) = -inf`` is a
  legitimate value). PyTorch checks only backward; checking forward names the op that
  first made the NaN instead of the op whose backward first met it;
- every array saved for backward is fingerprinted (CRC-32), so an in-place write through
  ``t.data[...] = ...`` is caught at backward (see `engine.context.Context`).

All of this costs time (a stack walk per op, a scan per array), so it is off by default.
"""

from __future__ import annotations

import functools
import linecache
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np

from ..errors import AnomalyError

if TYPE_CHECKING:
    from types import FrameType

    from .node import Node
    from .tensor_base import TensorBase as Tensor

_F = TypeVar("_F", bound=Callable[..., Any])

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: Frames in these directories are library code; the call site is the first frame outside.
_LIBRARY_DIRS = (
    _PACKAGE_DIR + os.sep,
    os.path.join(os.path.dirname(_PACKAGE_DIR), "nn") + os.sep,
)


class _AnomalyState(threading.local):
    enabled: bool = False
    check_forward: bool = True
    record_inputs: bool = False  # see `recording_inputs`


state = _AnomalyState()


class _OpenBlocks:
    """How many `detect_anomaly` blocks are open, in all threads together.

    While it is 0 no thread has anomaly mode on, so an op need not read the thread-local
    flag. Changed under a lock, so no count is lost.
    """

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


open_blocks = _OpenBlocks()
_blocks_lock = threading.Lock()


def is_anomaly_enabled() -> bool:
    """Return True while `detect_anomaly` is active in the current thread."""
    return state.enabled


class detect_anomaly:  # noqa: N801 - PyTorch's name
    """Context manager and decorator that raises where NaN or inf first appears.

    Args:
        check_forward: also raise when an op's forward output holds NaN that none of its
            inputs held (default True). Backward gradients are always checked for NaN and inf.

    Raises:
        AnomalyError: (inside the block) naming the op, the input whose gradient is not
            finite, and the file:line of the user's code that created the op.

    Example:
        >>> x = Tensor([0.0, 1.0], requires_grad=True)
        >>> with detect_anomaly():
        ...     x.sqrt().sum().backward()   # names Sqrt and the line that created it
        Traceback (most recent call last):
        autograd_lite.errors.AnomalyError: Sqrt.backward produced 1 inf ...
    """

    def __init__(self, check_forward: bool = True) -> None:
        self.check_forward = check_forward

    def __enter__(self) -> None:
        with _blocks_lock:
            open_blocks.count += 1
        self._previous = (state.enabled, state.check_forward)
        state.enabled = True
        state.check_forward = self.check_forward

    def __exit__(self, *exc_info: object) -> None:
        state.enabled, state.check_forward = self._previous
        with _blocks_lock:
            open_blocks.count -= 1

    def __call__(self, func: _F) -> _F:
        check_forward = self.check_forward

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(check_forward):
                return func(*args, **kwargs)

        return cast(_F, wrapper)


class recording_inputs:  # noqa: N801 - a context manager, like detect_anomaly
    """Inside: every recorded op notes its call site (as under `detect_anomaly`, without its
    NaN check of forward) and keeps copies of its input arrays and options as
    ``node.recorded = (arrays, kwargs)``, so each op can be re-run and checked on its own
    (gradcheck's search for the faulty op, `checking.culprit`)."""

    def __enter__(self) -> None:
        with _blocks_lock:
            open_blocks.count += 1
        self._previous = (state.enabled, state.check_forward, state.record_inputs)
        state.enabled, state.check_forward, state.record_inputs = True, False, True

    def __exit__(self, *exc_info: object) -> None:
        state.enabled, state.check_forward, state.record_inputs = self._previous
        with _blocks_lock:
            open_blocks.count -= 1


def user_call_site() -> str:
    """'file:line in function: source' of the first stack frame outside the library."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARY_DIRS):
        frame = frame.f_back
    if frame is None:
        return "<unknown location>"
    filename, line = frame.f_code.co_filename, frame.f_lineno
    source = linecache.getline(filename, line).strip()
    where = f"{filename}:{line} in {frame.f_code.co_name}"
    return f"{where}: {source}" if source else where


def count_nonfinite(array: np.ndarray) -> tuple[int, int]:
    """(number of NaN, number of ±inf) elements of a float array."""
    if array.dtype.kind != "f" or array.size == 0:
        return 0, 0
    nan = int(np.count_nonzero(np.isnan(array)))
    inf = int(np.count_nonzero(np.isinf(array)))
    return nan, inf


def describe_nonfinite(nan: int, inf: int) -> str:
    """'2 NaN and 1 inf' style summary."""
    parts = [f"{nan} NaN"] if nan else []
    if inf:
        parts.append(f"{inf} inf")
    return " and ".join(parts)


def check_forward(
    fn: Any, tensors: tuple[Tensor, ...], results: tuple[Any, ...], site: str
) -> None:
    """Under detect_anomaly: raise when an op makes NaN out of inputs without NaN."""
    for index, result in enumerate(results):
        nan, _ = count_nonfinite(result._data)
        if nan and not any(count_nonfinite(t._data)[0] for t in tensors):
            shapes = ", ".join(str(t.shape) for t in tensors)
            raise AnomalyError(
                f"{fn.__name__} produced {nan} NaN in forward output {index} (shape "
                f"{result.shape}) from inputs without NaN (shapes {shapes}), at {site}"
            )


def _array_of(grad: Any) -> np.ndarray:
    """A gradient's array: the walk carries Tensors under create_graph, else arrays."""
    return grad if isinstance(grad, np.ndarray) else np.asarray(grad.data)


def _nonfinite(grads: list[Tensor | None]) -> Iterator[tuple[int, Any, int, int]]:
    """(position, gradient, NaN count, inf count) for each gradient that is not all finite."""
    for position, grad in enumerate(grads):
        if grad is not None:
            nan, inf = count_nonfinite(_array_of(grad))
            if nan or inf:
                yield position, grad, nan, inf


def check_incoming(node: Node, grads: list[Tensor | None]) -> None:
    """Under detect_anomaly: the gradient reaching ``node`` must already be finite."""
    for slot, _, nan, inf in _nonfinite(grads):
        raise AnomalyError(
            f"{node.name}: the gradient arriving at output {slot} already holds "
            f"{describe_nonfinite(nan, inf)} (it was passed to backward() "
            f"or overflowed when gradients were summed); {node.name} was created "
            f"at {node.created_at}"
        )


def check_produced(node: Node, grads: list[Tensor | None]) -> None:
    """Under detect_anomaly: raise when ``node``'s backward rule produced NaN or inf."""
    for index, grad, nan, inf in _nonfinite(grads):
        raise AnomalyError(
            f"{node.name}.backward produced {describe_nonfinite(nan, inf)} "
            f"in the gradient of input {index} (shape {grad.shape}) from finite "
            f"incoming gradients. {node.name} was created at {node.created_at}"
        )
