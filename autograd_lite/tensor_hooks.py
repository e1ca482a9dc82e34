"""`HookMethods`: the Tensor methods for watching and changing gradients during backward.

``register_hook`` and ``retain_grad`` as in PyTorch; the work is done in `engine.hooks`
(where a hook is kept and when the walk runs it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .engine.hooks import RemovableHandle, add_hook, retain, retains


class HookMethods:
    """Tensor methods: ``register_hook``, ``retain_grad`` and ``retains_grad``."""

    __slots__ = ()

    def register_hook(self, hook: Callable[[Any], Any]) -> RemovableHandle:
        """Run ``hook(grad)`` whenever the gradient of this tensor is computed.

        ``grad`` is a Tensor of this tensor's shape (after any broadcast reduction), the
        total of every path; the hook may return a replacement (a Tensor of the same shape
        and dtype), used from then on by the rest of the backward pass and by ``.grad``, or
        None to keep it. Several hooks run in the order they were registered, each seeing
        what the one before returned. Hooks run in ``backward()`` and in ``grad()`` (only
        where that pass goes), in no_grad mode unless ``create_graph=True``: then ``grad``
        is part of the graph and what the hook computes from it can be differentiated.

        Works on leaves (the hook runs before the gradient is added into ``.grad``) and on
        intermediate results. A hook that holds the tensor it is registered on (a closure
        naming it) keeps that tensor's graph alive until the hook is removed.

        Returns:
            A handle; ``handle.remove()`` removes the hook.

        Raises:
            RuntimeError: if this tensor does not require grad.

        Example:
            >>> x = Tensor([1.0, 2.0], requires_grad=True)
            >>> h = x.register_hook(lambda g: g * 2)   # double x's gradient
            >>> (x * x).sum().backward(); x.grad.numpy()
            array([4., 8.])
            >>> h.remove()
        """
        return add_hook(self, hook)  # type: ignore[arg-type]

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after ``backward()``.

        Like a leaf's, it accumulates over backward calls (set ``.grad = None`` to
        reset); it is the gradient after this tensor's hooks. A no-op on a leaf, which keeps
        its ``.grad`` anyway. As in PyTorch it is a hook, so ``grad()`` passes that go
        through this tensor fill it too.

        Raises:
            RuntimeError: if this tensor does not require grad.
        """
        retain(self)  # type: ignore[arg-type]

    @property
    def retains_grad(self) -> bool:
        """True for a non-leaf tensor whose ``.grad`` is filled by backward (`retain_grad`)."""
        return retains(self)  # type: ignore[arg-type]
