"""Making new tensors: zeros, ones, full, the *_like forms, ranges, eye, and random draws.

Each takes ``dtype=None`` (float64, or float32 when asked; a Tensor holds floats only) and
``requires_grad=False``, and returns a new leaf Tensor. Shapes are ints or one tuple, as in
PyTorch: ``zeros(2, 3)`` and ``zeros((2, 3))`` are the same. ``rand`` and ``randn`` draw
from ``generator`` or, when it is None, from the engine's global generator that
`manual_seed` resets.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from .engine.tensor_base import float_array
from .rng import generator_or_default
from .tensor import Tensor


def zeros(*shape: Any, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros.

    Args:
        *shape: the sizes, as ints or one tuple (none gives a 0-d tensor).
        dtype: float64 (default) or float32.
        requires_grad: make a leaf that records operations.

    Raises:
        TypeError: for sizes that are not integers or a dtype that is not a float.
        ValueError: for a negative size.

    Example:
        >>> zeros(2, 3).shape, zeros((2, 3)).shape
        ((2, 3), (2, 3))
    """
    return _make(np.zeros(_shape("zeros", shape)), dtype, requires_grad, "zeros")


def ones(*shape: Any, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones; arguments as `zeros`.

    Example:
        >>> ones(3).numpy()
        array([1., 1., 1.])
    """
    return _make(np.ones(_shape("ones", shape)), dtype, requires_grad, "ones")


def full(
    shape: Any, value: float, dtype: DTypeLike | None = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of ``shape`` (an int or a tuple) filled with the number ``value``.

    Example:
        >>> full((2,), 0.5).numpy()
        array([0.5, 0.5])
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"full: value must be a real number, got {type(value).__name__}")
    sizes = _shape("full", (shape,))
    return _make(np.full(sizes, float(value)), dtype, requires_grad, "full")


def zeros_like(t: Any, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``t``'s shape, and of its dtype when that is float32 or float64.

    Example:
        >>> zeros_like(Tensor([1.0, 2.0])).numpy()
        array([0., 0.])
    """
    shape, like = _shape_and_dtype_of(t)
    return _make(np.zeros(shape, like), dtype, requires_grad, "zeros_like")


def ones_like(t: Any, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """Ones of ``t``'s shape and float dtype, as `zeros_like`."""
    shape, like = _shape_and_dtype_of(t)
    return _make(np.ones(shape, like), dtype, requires_grad, "ones_like")


def arange(
    start: float,
    stop: float | None = None,
    step: float = 1,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """Evenly spaced values in [start, stop), as np.arange; ``arange(n)`` is 0, 1, ..., n - 1.

    The values are floats (float64 by default): PyTorch's arange of ints gives an integer
    tensor, but a Tensor here holds floats. Use NumPy's arange for integer indices.

    Raises:
        TypeError: for a bound or step that is not a real number.
        ValueError: for a step of 0 or a bound that is not finite.

    Example:
        >>> arange(4).numpy(), arange(1, 2, 0.5).numpy()
        (array([0., 1., 2., 3.]), array([1. , 1.5]))
    """
    if stop is None:
        start, stop = 0, start
    for what, value in (("start", start), ("stop", stop), ("step", step)):
        _check_finite("arange", what, value)
    if step == 0:
        raise ValueError("arange: step must not be 0")
    return _make(np.arange(start, stop, step, dtype=np.float64), dtype, requires_grad, "arange")


def linspace(
    start: float,
    stop: float,
    num: int,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """``num`` evenly spaced values from start to stop, both included (np.linspace).

    Example:
        >>> linspace(0, 1, 5).numpy()
        array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    """
    _check_finite("linspace", "start", start)
    _check_finite("linspace", "stop", stop)
    (count,) = _shape("linspace", (num,))
    return _make(np.linspace(start, stop, count), dtype, requires_grad, "linspace")


def eye(
    n: int, m: int | None = None, dtype: DTypeLike | None = None, requires_grad: bool = False
) -> Tensor:
    """The n x m matrix with ones on the diagonal (n x n when m is None).

    Example:
        >>> eye(2).numpy()
        array([[1., 0.],
               [0., 1.]])
    """
    rows, columns = _shape("eye", (n, n if m is None else m))
    return _make(np.eye(rows, columns), dtype, requires_grad, "eye")


def rand(
    *shape: Any,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Uniform draws from [0, 1); shape as `zeros`.

    The numbers are drawn in float64 and then cast, so float32 gives the same values
    rounded. ``generator`` defaults to the global one (see `manual_seed`).

    Example:
        >>> rand(2, 2, generator=np.random.default_rng(0)).shape
        (2, 2)
    """
    sizes = _shape("rand", shape)
    rng = generator_or_default(generator, "rand")
    return _make(rng.random(sizes), dtype, requires_grad, "rand")


def randn(
    *shape: Any,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Standard normal draws (mean 0, variance 1); shape and generator as `rand`.

    Example:
        >>> randn(3, generator=np.random.default_rng(0)).shape
        (3,)
    """
    sizes = _shape("randn", shape)
    rng = generator_or_default(generator, "randn")
    return _make(rng.standard_normal(sizes), dtype, requires_grad, "randn")


def _shape(name: str, sizes: tuple[Any, ...]) -> tuple[int, ...]:
    """Sizes given as ints or one tuple/list, checked: integers (not bools), not negative."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError(
                f"{name}: sizes must be integers, got {type(size).__name__} {size!r} in {sizes!r}"
            )
        if size < 0:
            raise ValueError(f"{name}: sizes must not be negative, got {sizes!r}")
    return tuple(int(size) for size in sizes)


def _shape_and_dtype_of(t: Any) -> tuple[tuple[int, ...], np.dtype]:
    """The shape of a Tensor or array-like, and its dtype if float32/64 (else float64)."""
    data = t.data if isinstance(t, Tensor) else np.asarray(t)
    dtype = data.dtype if data.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    return data.shape, dtype


def _check_finite(name: str, what: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: {what} must be a real number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{name}: {what} must be finite, got {value}")


def _make(array: np.ndarray, dtype: DTypeLike | None, requires_grad: bool, name: str) -> Tensor:
    """The new leaf Tensor, in ``dtype`` (checked: float32 or float64)."""
    return Tensor(float_array(array, dtype, name), requires_grad=requires_grad)
