"""Argument checks shared by the Tensor method mixins: axes, ``dim=`` aliases, shapes.

Each raises with the calling method's name and the values at fault.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ShapeError

if TYPE_CHECKING:
    from .engine.tensor_base import TensorBase
    from .tensor import Tensor

    class TensorMixinBase(TensorBase):
        """What the Tensor method mixins use of Tensor, for the type checker.

        At run time a mixin's base is object and Tensor supplies all of this.
        """

        def item(self) -> float: ...
        def abs(self) -> Tensor: ...
        def _operand(self, other: Any) -> Tensor: ...

else:
    TensorMixinBase = object


def is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_integers(name: str, what: str, values: tuple[Any, ...]) -> None:
    """Raise TypeError unless every entry of ``values`` is an int (NumPy integers too)."""
    for value in values:
        if not is_int(value):
            raise TypeError(f"{name}: {what} must be integers, got {values!r}")


def shape_arguments(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """``f(2, 3)`` and ``f((2, 3))`` (or a list) as one tuple."""
    if len(values) == 1 and isinstance(values[0], (tuple, list)):
        return tuple(values[0])
    return tuple(values)


def axis_or_dim(
    name: str,
    axis: Any,
    dim: Any,
    default: Any = None,
    words: tuple[str, str] = ("axis", "dim"),
) -> Any:
    """``axis``, or ``dim`` (PyTorch's word for it) when that was given instead."""
    if dim is None:
        return axis
    if axis is not None and axis != default:
        raise TypeError(
            f"{name}: got both {words[0]}={axis!r} and {words[1]}={dim!r} (PyTorch's name for "
            f"{words[0]}); give one"
        )
    return dim


def normalize_axes(name: str, shape: tuple[int, ...], axes: Any) -> tuple[int, ...]:
    """Each axis (of an int or a sequence) as a non-negative int, checked against ``shape``;
    repeats are an error."""
    axes = (axes,) if is_int(axes) else tuple(axes)
    check_integers(name, "axes", axes)
    ndim = len(shape)
    result = []
    for axis in axes:
        if not -ndim <= axis < ndim:
            raise ShapeError(
                f"{name}: axis {axis} is out of range for a tensor of shape {shape} "
                f"({ndim} dimensions: axes {-ndim}..{ndim - 1})"
            )
        result.append(int(axis) % ndim)
    if len(set(result)) != len(result):
        raise ShapeError(f"{name}: repeated axis in {tuple(axes)} (tensor shape {shape})")
    return tuple(result)


def transpose_trap(tensor: Tensor, axes: tuple[int, int]) -> None:
    """PyTorch's transpose(a, b) swaps two axes; NumPy's wants every axis: say which to use."""
    ndim = tensor.ndim
    if ndim == 2:
        if tuple(a % 2 for a in axes) != (0, 1):
            return  # (1, 0): the swap in NumPy and in PyTorch alike
        raise ShapeError(
            f"transpose{tuple(axes)} on a 2-D tensor: NumPy's transpose takes a permutation of "
            "all axes, so this is the identity, not PyTorch's swap of two axes. To swap them "
            f"write .T or swapaxes{tuple(axes)}"
        )
    raise ShapeError(
        f"transpose{tuple(axes)} on a {ndim}-D tensor of shape {tensor.shape}: NumPy's "
        f"transpose takes a permutation of all {ndim} axes. To swap two axes (PyTorch's "
        f"transpose(a, b)) write swapaxes{tuple(axes)}"
    )


def pad_pairs(pad_width: Any, shape: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """``pad_width`` as one (before, after) pair of ints >= 0 per axis, the way np.pad reads it."""
    widths = np.asarray(pad_width)
    expected = (
        "an int, a (before, after) pair, or one (before, after) pair per axis, "
        f"{len(shape)} for a tensor of shape {shape}"
    )
    if widths.dtype.kind not in "iu":
        raise TypeError(f"pad: pad_width must hold integers ({expected}), got {pad_width!r:.80}")
    try:
        pairs = np.broadcast_to(widths, (len(shape), 2))
    except ValueError:
        raise ShapeError(f"pad: pad_width must be {expected}; got {pad_width!r:.80}") from None
    if np.any(pairs < 0):
        raise ShapeError(f"pad: widths must be >= 0, got {pad_width!r:.80}")
    return tuple((int(before), int(after)) for before, after in pairs)
