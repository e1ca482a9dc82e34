"""`Context`: what a forward pass leaves for its backward pass, and the in-place check on it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import GraphFreedError, InplaceModificationError
from .tensor_base import TensorBase
from .versions import changed_since, checksum, raise_modified

# [fast path: bound ndarray] NumPy's module defines __getattr__, so Python cannot specialise
# an `np.ndarray` lookup in hot code (each is a dictionary search); a global is one load
_ndarray = np.ndarray
FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or to use values saved for "
    "backward after they were freed). The first backward() freed the graph's saved "
    "buffers; pass retain_graph=True to the first backward() or grad() call if you need "
    "to go through the graph again."
)


class ContextBase:
    """What a forward pass leaves for its backward pass (PyTorch's ``ctx``), without an
    instance dict: the behaviour `Context` and `engine.node.Node` share.

    ``save_for_backward(*values)`` keeps arrays (custom Functions) or Tensors (built-in ops);
    ``saved_tensors`` gives them back. ``needs_input_grad`` has one bool per input. `release`
    drops what was saved.

    In-place safety: when the op is recorded it notes the latest version stamp (``_stamp``,
    see `engine.versions`) and keeps the saved Tensors (``_watched``) and weak references
    to outputs the backward reuses (``_outputs``); under `detect_anomaly` a CRC-32 of every
    saved array is noted too (``_fingerprints``). `check_unchanged` compares them before the
    backward rule runs.
    """

    # No storage of its own: `Context` adds an instance dict, `Node` its slots. (Hidden from
    # mypy, which would reject the assignments below to names only the subclasses store.)
    if not TYPE_CHECKING:
        __slots__ = ()

    _stamp: float = float("inf")  # nothing watched: no version is ever above it
    _watched: tuple[TensorBase, ...] = ()
    _watched_index: tuple[int, ...] | None = None  # input positions; None: 0, 1, 2, ...
    _outputs: tuple[Any, ...] = ()  # weak references to outputs, all at version 0
    _fingerprints: tuple[tuple[str, np.ndarray, int], ...] = ()
    created_at: str | None = None  # "file:line in function: source", under detect_anomaly
    _saved: tuple[Any, ...] | None = ()  # what save_for_backward kept; None once released
    needs_input_grad: tuple[bool, ...]

    def save_for_backward(self, *values: Any) -> None:
        """Keep ``values`` for the backward pass."""
        self._saved = values

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """What `save_for_backward` kept; raises once the graph's buffers were freed."""
        saved = self._saved
        if saved is None:
            raise GraphFreedError(FREED_MESSAGE)
        return saved

    def saved_as(self, grad_output: Any) -> tuple[Any, ...]:
        """The saved Tensors, or their arrays when ``grad_output`` is an array.

        A rule that runs on arrays as well as on Tensors (``array_backward``, see
        `ops.op.Op`) reads its saved values with this, in the form its gradient came in.
        """
        saved = self._saved
        if saved is None:
            raise GraphFreedError(FREED_MESSAGE)
        if type(grad_output) is _ndarray:
            # [fast path: spelled-out saved arrays] 1 and 2 inputs without a comprehension
            if len(saved) == 2:
                return (saved[0]._data, saved[1]._data)
            if len(saved) == 1:
                return (saved[0]._data,)
            return tuple([t._data for t in saved])
        return saved

    def release(self) -> None:
        """Drop the saved values so their memory can be reused."""
        self._saved = None
        self._watched = ()

    def check_unchanged(self, name: str) -> None:
        """Raise `InplaceModificationError` if a value saved for backward was modified.

        Always checked (O(1) per value): the version counter of each saved Tensor, bumped by
        every assignment to ``.data`` (``t.data = ...``, ``t.data += ...``) and every
        in-place operator, and of each output the rule reuses. Under `detect_anomaly` also
        (O(size)): the CRC-32 of each saved array, which catches writes like
        ``t.data[0] = 5`` that no counter sees.
        """
        stamp = self._stamp
        positions = self._watched_index or range(len(self._watched))
        for position, tensor in zip(positions, self._watched):
            if changed_since(tensor, stamp):
                raise_modified(name, f"input {position}", tensor)
        for position, ref in enumerate(self._outputs):
            tensor = ref()
            if tensor is not None and changed_since(tensor, stamp):
                raise_modified(name, f"output {position}", tensor)
        for what, array, crc in self._fingerprints:
            if checksum(array) != crc:
                raise InplaceModificationError(
                    f"{name}: {what} (shape {array.shape}), saved for backward, was modified "
                    "in place after the forward pass (its contents changed, e.g. by "
                    "t.data[...] = ...), so the gradient would be wrong. Write the new values "
                    "into a new array (t.data = t.data.copy(); ...) or run the backward first."
                )


class Context(ContextBase):
    """What a forward pass leaves for its backward pass (PyTorch's ``ctx``), with room for
    the op's own values: ops may keep plain attributes (``ctx.axis``, ``ctx.out``), and
    `release` drops those too. (See `ContextBase` for what is saved and checked.)
    """

    if TYPE_CHECKING:  # ops keep values of their own on the context (ctx.axis, ctx.out, ...)

        def __getattr__(self, name: str) -> Any: ...
        def __setattr__(self, name: str, value: Any) -> None: ...

    def __init__(self, needs_input_grad: tuple[bool, ...] = ()) -> None:
        self.needs_input_grad = needs_input_grad

    def release(self) -> None:
        """Drop saved values and attributes so their memory can be reused."""
        attributes = self.__dict__  # the op's own attributes (ctx.out, ...), if any
        if attributes:
            attributes.clear()
        ContextBase.release(self)
