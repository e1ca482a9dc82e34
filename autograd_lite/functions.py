"""Module functions on Tensors: where, maximum, minimum, einsum, concatenate, stack, linear,
the fused softmax cross-entropy, sliding_window_view (the convolution primitive) and
block_max (max pooling's). Each checks its arguments, then applies one op from ``ops/``.
The recurrent cells are in ``functions_recurrent``, the fused layer ops (gelu, attention,
layer_norm) in ``functions_fused``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import ShapeError
from .ops.einsum import Einsum
from .ops.elementwise import Maximum, Minimum, Where
from .ops.linalg import Linear
from .ops.nonlinear import SoftmaxCrossEntropy
from .ops.shape import Concatenate, Stack
from .ops.windows import BlockMax, SlidingWindows
from .tensor import Tensor, as_tensor
from .tensor_args import axis_or_dim, check_integers, normalize_axes, shape_arguments


def maximum(a: Any, b: Any) -> Any:
    """Elementwise maximum of two tensors (broadcasting); tied elements share the gradient.

    Example:
        >>> maximum(Tensor([1.0, 5.0]), 3.0).numpy()
        array([3., 5.])
    """
    # A number on either side takes the Tensor's dtype, so float32 stays float32.
    if isinstance(b, Tensor) and not isinstance(a, Tensor):
        return Maximum.apply(b._operand(a), b)
    a = as_tensor(a)
    return Maximum.apply(a, a._operand(b))


def minimum(a: Any, b: Any) -> Any:
    """Elementwise minimum of two tensors (broadcasting); tied elements share the gradient.

    Example:
        >>> minimum(Tensor([1.0, 5.0]), 3.0).numpy()
        array([1., 3.])
    """
    if isinstance(b, Tensor) and not isinstance(a, Tensor):
        return Minimum.apply(b._operand(a), b)
    a = as_tensor(a)
    return Minimum.apply(a, a._operand(b))


def einsum(subscripts: str, *operands: Any) -> Any:
    """Einstein summation, as np.einsum: every subscript string NumPy takes, ``...`` included.

    Each operand's gradient is another einsum (see ``ops/einsum.py``), so einsum is
    differentiable twice and more.

    Args:
        subscripts: e.g. ``'ij,jk->ik'`` (matrix product), ``'ii->i'`` (diagonal),
            ``'...ij,...jk'`` (batched, implicit output), ``'bhqd,bhkd->bhqk'``.
        *operands: Tensors, arrays or numbers, one per input term.

    Returns:
        A Tensor.

    Raises:
        TypeError: for subscripts that are not a string.
        ValueError: naming einsum and the subscripts when they are malformed or do not fit
            the operands' shapes.

    Example:
        >>> einsum('ij,j->i', Tensor([[1.0, 2.0], [3.0, 4.0]]), Tensor([1.0, 1.0])).numpy()
        array([3., 7.])
    """
    return Einsum.apply(*operands, subscripts=subscripts)


def where(cond: Any, a: Any, b: Any) -> Any:
    """Pick ``a`` where ``cond`` is true and ``b`` elsewhere (broadcasting); cond gets no gradient.

    Example:
        >>> x = Tensor([-1.0, 2.0]); where(x > 0, x, 0.0).numpy()
        array([0., 2.])
    """
    cond_data = cond.data if isinstance(cond, Tensor) else np.asarray(cond)
    if cond_data.dtype.kind not in "biuf":
        raise TypeError(f"where: cond must be boolean or numeric, got dtype {cond_data.dtype}")
    reference = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else as_tensor(a)
    condition = Tensor._wrap(cond_data.astype(bool), False)
    if isinstance(cond, Tensor):  # a comparison's record goes on (engine.provenance)
        condition._origin = cond._origin
    return Where.apply(condition, reference._operand(a), reference._operand(b))


def linear(x: Any, weight: Any, bias: Any = None) -> Any:
    """The affine map of a dense layer, y = x @ weight.T + bias, as one differentiable op.

    Args:
        x: input of shape (..., in_features).
        weight: shape (out_features, in_features).
        bias: shape (out_features,), or None for no bias.

    Returns:
        A Tensor of shape (..., out_features).

    Raises:
        ShapeError: when the shapes do not fit together.

    Example:
        >>> linear(Tensor([[1.0, 2.0]]), Tensor([[1.0, 1.0]]), Tensor([0.5])).numpy()
        array([[3.5]])
    """
    if bias is None:
        return Linear.apply(x, weight)
    return Linear.apply(x, weight, bias)


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Any:
    """Join tensors along an existing axis; each input gets back its slice of the gradient.

    Example:
        >>> concatenate([Tensor([1.0]), Tensor([2.0, 3.0])]).shape
        (3,)
    """
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concatenate: needs at least one tensor")
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors: Sequence[Any], axis: int = 0) -> Any:
    """Join same-shaped tensors along a new axis.

    Example:
        >>> stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])]).shape
        (2, 2)
    """
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    return Stack.apply(*tensors, axis=axis)


def _indices_below(indices: np.ndarray, limit: int) -> bool:
    """True when every entry of a non-empty integer array is in [0, limit).

    [fast path: few targets] a small batch is compared as a Python list: NumPy's min and
    max have a fixed cost per call that dominates for a handful of indices.
    """
    if indices.size <= 64:
        values = indices.ravel().tolist()
        return min(values) >= 0 and max(values) < limit
    return bool(np.minimum.reduce(indices, axis=None) >= 0) and bool(
        np.maximum.reduce(indices, axis=None) < limit
    )


def softmax_cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Any:
    """Cross-entropy of integer class targets under softmax(logits), as one stable op.

    Args:
        logits: shape (N, C), raw scores.
        target: N integer class indices in [0, C).
        reduction: "mean" (default), "sum" or "none" (one loss per sample).

    Returns:
        A 0-d Tensor, or shape (N,) for "none".

    Raises:
        ShapeError: for logits that are not (N, C) with N, C >= 1 or a target of the wrong
            shape. IndexError: for a class out of range. TypeError: for non-integer targets.
        ValueError: for an unknown reduction.

    Example:
        >>> round(softmax_cross_entropy(Tensor([[0.0, 0.0]]), [1]).item(), 6)   # log 2
        0.693147
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(
            f"softmax_cross_entropy: reduction must be 'mean', 'sum' or 'none', got {reduction!r}"
        )
    array = logits.data if isinstance(logits, Tensor) else logits
    # an array's own shape: np.shape is a Python wrapper around it
    shape = array.shape if isinstance(array, np.ndarray) else np.shape(array)
    if len(shape) != 2 or 0 in shape:
        raise ShapeError(
            f"softmax_cross_entropy: logits must have shape (N, C) with N, C >= 1, got {shape}"
        )
    indices = np.asarray(target.data if isinstance(target, Tensor) else target)
    if indices.dtype.kind not in "iu":
        raise TypeError(
            f"softmax_cross_entropy: target must hold integer class indices, got {indices.dtype}"
        )
    if indices.shape != (shape[0],):
        raise ShapeError(
            f"softmax_cross_entropy: target shape {indices.shape} does not match {shape[0]} "
            f"samples (logits shape {shape})"
        )
    if indices.size and not _indices_below(indices, shape[1]):
        raise IndexError(
            f"softmax_cross_entropy: class index out of range [0, {shape[1]}) "
            f"(got min {indices.min()}, max {indices.max()})"
        )
    return SoftmaxCrossEntropy.apply(logits, target=indices, reduction=reduction)


def sliding_window_view(
    x: Any,
    window_shape: int | Sequence[int],
    axis: int | Sequence[int] | None = None,
    *,
    dim: int | Sequence[int] | None = None,
) -> Any:
    """Every window of ``x`` as a view (NumPy's ``sliding_window_view``), with its gradient.

    For each axis in ``axis`` (every axis when None) the axis shrinks to the number of
    window positions, ``n - w + 1``, and a trailing axis of length ``w`` holds the offset
    inside the window: ``y[..., p, ..., k] = x[..., p + k, ...]``. Nothing is copied. The
    gradient adds each window's gradient back at its place, one vectorised add per window
    offset. Convolution is built on it (docs/tensor_ops_shape.md): stride by slicing the
    position axes, dilation by slicing the window axes, then einsum or matmul.

    Args:
        x: a Tensor (or array).
        window_shape: the window length on each axis in ``axis`` (an int for one axis).
        axis: the windowed axes (``dim=`` is accepted too); an axis may appear twice.

    Returns:
        A Tensor of shape ``x`` with the windowed axes shrunk, followed by ``window_shape``.

    Raises:
        ShapeError: for a window longer than its axis, or window and axes that do not match.

    Example:
        >>> sliding_window_view(Tensor([1.0, 2.0, 3.0]), 2).numpy()
        array([[1., 2.],
               [2., 3.]])
    """
    x = as_tensor(x)
    axis = axis_or_dim("sliding_window_view", axis, dim)
    window = shape_arguments((window_shape,))
    check_integers("sliding_window_view", "window_shape", window)
    if axis is None:
        if len(window) != x.ndim:
            raise ShapeError(
                f"sliding_window_view: window_shape {window} needs one length per axis of a "
                f"tensor of shape {x.shape} when axis is None"
            )
        axes = tuple(range(x.ndim))
    else:
        given = shape_arguments((axis,))
        # one axis at a time: an axis may be windowed twice, as in NumPy
        axes = tuple(normalize_axes("sliding_window_view", x.shape, (a,))[0] for a in given)
        if len(axes) != len(window):
            raise ShapeError(
                f"sliding_window_view: {len(window)} window length(s) {window} for "
                f"{len(axes)} axes {given}"
            )
    remaining = list(x.shape)
    for ax, length in zip(axes, window):
        if length < 0 or length > remaining[ax]:
            raise ShapeError(
                f"sliding_window_view: a window of {length} does not fit axis {ax} of length "
                f"{remaining[ax]} (tensor shape {x.shape})"
            )
        remaining[ax] -= length - 1
    return SlidingWindows.apply(x, window_shape=window, axis=axes)


def block_max(x: Any, block: int | Sequence[int]) -> Any:
    """The maximum of every block of the last ``len(block)`` axes (max pooling's primitive).

    The blocks tile those axes without overlap, ``block`` long on each; rows and columns
    past the last whole block are left out (PyTorch's max pooling with stride equal to the
    kernel): ``y[..., i, j] = max(x[..., i*bh : (i+1)*bh, j*bw : (j+1)*bw])``. The whole
    gradient of a block goes to one element, the one PyTorch's ``max_pool2d`` gives it to:
    the block's first maximum in row-major order, or its last NaN. (``Tensor.max`` splits
    a gradient among ties.) Nothing is copied in the forward pass but the result.

    Args:
        x: a Tensor (or array) with at least ``len(block)`` axes.
        block: the block length on each trailing axis (an int for the last axis alone).

    Returns:
        A Tensor of ``x``'s shape with each blocked axis of length n shrunk to n // b.

    Raises:
        ShapeError: for more block lengths than axes, or a block longer than its axis.
        ValueError: for a block length below 1.

    Example:
        >>> x = Tensor([[1.0, 5.0, 2.0, 2.0], [3.0, 0.0, 4.0, 1.0]], requires_grad=True)
        >>> y = block_max(x, (2, 2))
        >>> y.numpy()
        array([[5., 4.]])
        >>> y.sum().backward(); x.grad.numpy()
        array([[0., 1., 0., 0.],
               [0., 0., 1., 0.]])
    """
    x = as_tensor(x)
    given = shape_arguments((block,))
    check_integers("block_max", "block", given)
    lengths = tuple(int(length) for length in given)
    if len(lengths) > x.ndim:
        raise ShapeError(
            f"block_max: {len(lengths)} block lengths {lengths} for a tensor of shape "
            f"{x.shape} ({x.ndim} axes)"
        )
    if any(length < 1 for length in lengths):
        raise ValueError(f"block_max: block lengths must be >= 1, got {lengths}")
    trailing = x.shape[x.ndim - len(lengths) :]
    if any(length > size for length, size in zip(lengths, trailing)):
        raise ShapeError(
            f"block_max: block {lengths} is longer than the trailing axes {trailing} "
            f"(tensor shape {x.shape})"
        )
    return BlockMax.apply(x, block=lengths)
