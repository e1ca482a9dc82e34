"""What the engine needs of a Tensor: its array, version, gradient and place in the graph.

`TensorBase` is the record the engine works on; `autograd_lite.tensor.Tensor` adds the
operators and methods users call. The engine sits below `Tensor` in the layers (tensor.py
imports the engine to run its ops), yet it has to make Tensors: the outputs of every op and
the gradients handed to users. So tensor.py hands its class down once, at import, with
`bind_tensor_class`; engine code makes Tensors with ``bound.wrap(array, requires_grad)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from .versions import VERSION_STAMPS, mutations

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def float_array(data: Any, dtype: DTypeLike | None, where: str = "Tensor") -> np.ndarray:
    """Convert ``data`` to a float32/float64 array following the API's dtype rules."""
    if isinstance(data, TensorBase):
        data = data._data
    target = None
    if dtype is not None:
        try:
            target = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"{where}: dtype must be float32 or float64, got {dtype!r}") from None
        if target not in FLOAT_DTYPES:
            raise TypeError(f"{where}: dtype must be float32 or float64, got {target}")
    try:
        array = np.asarray(data)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{where}: data is not a rectangular array of numbers ({exc})") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{where}: data must be numeric (bool, int or float), got dtype {array.dtype} "
            f"from {type(data).__name__}"
        )
    if target is not None:
        return array.astype(target, copy=False)
    if array.dtype == np.float32:
        return array
    return array.astype(np.float64, copy=False)


class TensorBase:
    """A float32/float64 array with its version stamp, gradient and producing node.

    Attributes:
        grad: the accumulated gradient (a Tensor) or None.
        requires_grad: whether operations on it are recorded.
        label: a name for pictures and explain().
    """

    __slots__ = (
        "_data",
        "_version",
        "_base",
        "grad",
        "requires_grad",
        "label",
        "_node",
        "_slot",
        "_hooks",
        "__weakref__",
    )
    # graph-vertex interface (see walk.py): a leaf tensor is its own vertex
    _parents: tuple[Any, ...] = ()
    _parent_slots = None
    _n_outputs = 1

    _data: np.ndarray
    _version: int
    #: the tensor whose array this one views (detach, reshape, ...), for the in-place check
    _base: TensorBase | None
    grad: Any
    requires_grad: bool
    label: str
    #: the Node that produced this tensor (None for a leaf) and which of its outputs it is
    _node: Any
    _slot: int
    #: a leaf's hooks (`engine.hooks.VertexHooks`); unset until its first hook, so making a
    #: tensor costs nothing more: read it with ``getattr(t, "_hooks", None)``
    _hooks: Any

    @classmethod
    def _wrap(cls, array: np.ndarray, requires_grad: bool) -> Any:
        """Make a tensor around an array that is already valid (no checks, no copy)."""
        tensor = _new_object(cls)
        tensor._data = array
        tensor._version = 0
        tensor._base = None
        tensor.grad = None
        tensor.requires_grad = requires_grad
        tensor.label = ""
        tensor._node = None
        tensor._slot = 0
        return tensor

    def _vertex(self) -> Any:
        """This tensor's graph vertex: the node that made it, itself if a leaf, else None."""
        if self._node is not None:
            return self._node
        return self if self.requires_grad else None

    @property
    def data(self) -> np.ndarray:
        """The NumPy array holding the values (shared, not copied).

        Assigning to it (``t.data = new`` or ``t.data -= lr * g``) gives the tensor a new
        version stamp, so a backward pass that needs the old values raises instead of using
        the new ones (see `engine.context.Context.check_unchanged`).
        """
        return self._data

    @data.setter
    def data(self, value: np.ndarray) -> None:
        # the constructor's dtype rules (a float array is taken as it is, without a copy)
        if type(value) is not np.ndarray or value.dtype not in FLOAT_DTYPES:
            value = float_array(value, None, "Tensor.data")
        self._data = value
        self._mark_changed()

    def _mark_changed(self) -> None:
        """Give this tensor (and the tensor it views) a new version: its array changed."""
        self._version = version = next(VERSION_STAMPS)
        if self._base is not None:  # a view: the array it shares changed too (conservative)
            self._base._version = version
        mutations.last = version

    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape."""
        return self._data.shape

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        """float32 or float64 (bool for the result of a comparison)."""
        return self._data.dtype

    @property
    def size(self) -> int:
        """Number of elements."""
        return self._data.size

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by a recorded operation."""
        return self._node is None

    @property
    def grad_fn(self) -> Any:
        """The graph node that produced this tensor (None for leaves)."""
        return self._node


_new_object = object.__new__


class _BoundTensorClass:
    """The user-facing Tensor class, once tensor.py has bound it (see the module docstring)."""

    __slots__ = ("cls", "wrap")

    def __init__(self) -> None:
        self.cls: type[TensorBase] = TensorBase
        self.wrap: Callable[[np.ndarray, bool], Any] = TensorBase._wrap


bound = _BoundTensorClass()


def bind_tensor_class(cls: type[TensorBase]) -> None:
    """Make ``cls`` the class of every Tensor the engine creates (called once by tensor.py)."""
    bound.cls = cls
    bound.wrap = cls._wrap
