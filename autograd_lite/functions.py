"""Module functions on Tensors: where, maximum, minimum, einsum, concatenate, stack, linear,
the fused softmax cross-entropy, sliding_window_view (the convolution primitive) and the
fused recurrent cells (lstm_cell, gru_cell, rnn_cell). Each checks its arguments, then
applies one op from ``ops/``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import ShapeError
from .ops.einsum import Einsum
from .ops.elementwise import Maximum, Minimum, Where
from .ops.linalg import Linear
from .ops.nonlinear import SoftmaxCrossEntropy
from .ops.recurrent import GRUCell, LSTMCell, RNNCell, check_cell
from .ops.shape import Concatenate, Stack
from .ops.windows import SlidingWindows
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


def _cell_inputs(
    name: str,
    x: Any,
    h: Any,
    c: Any,
    w_ih: Any,
    w_hh: Any,
    b_ih: Any,
    b_hh: Any,
) -> tuple[list[Any], tuple[str, ...], bool]:
    """The given inputs as Tensors, their names (the op's ``names``) and whether x came
    without a batch axis; shapes checked (`ops.recurrent.check_cell`), 1-D ones made rows."""
    given = {"x": x, "h": h, "c": c, "w_ih": w_ih, "w_hh": w_hh, "b_ih": b_ih, "b_hh": b_hh}
    tensors = {key: as_tensor(value) for key, value in given.items() if value is not None}
    if w_ih is None and b_ih is not None:
        raise ValueError(f"{name}: b_ih without w_ih (fold it into the precomputed input gates)")
    shapes = {key: t.shape for key, t in tensors.items()}
    check_cell(
        name,
        shapes["x"],
        shapes["h"],
        shapes.get("c"),
        shapes.get("w_ih"),
        shapes["w_hh"],
        {key: shapes[key] for key in ("b_ih", "b_hh") if key in shapes},
    )
    unbatched = len(shapes["x"]) == 1
    if unbatched:  # one sample: a batch of one row, taken off the results again
        for key in ("x", "h", "c"):
            if key in tensors:
                tensors[key] = tensors[key].reshape(1, -1)
    return list(tensors.values()), tuple(tensors), unbatched


def lstm_cell(
    x: Any,
    h: Any,
    c: Any,
    w_ih: Any,
    w_hh: Any,
    b_ih: Any = None,
    b_hh: Any = None,
) -> tuple[Any, Any]:
    """One LSTM time step (PyTorch's gates i, f, g, o), as one differentiable op.

    gates = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh in four column blocks; i, f, o are their
    sigmoids and g the tanh; c' = f * c + i * g and h' = o * tanh(c'). Forward keeps the
    activations and one backward rule gives every input its gradient (twice
    differentiable), so a step is one node in the graph instead of about a dozen.

    Args:
        x: input (N, input_size) or (input_size,). With ``w_ih=None``, x is instead the
            input's share of the gates already, x @ w_ih.T + b_ih, of shape
            (N, 4 * hidden_size): a layer computes it for all time steps with one product.
        h, c: hidden and cell state, (N, hidden_size) or (hidden_size,).
        w_ih: (4 * hidden_size, input_size), or None (see x).
        w_hh: (4 * hidden_size, hidden_size).
        b_ih, b_hh: (4 * hidden_size,) each, or None for no bias.

    Returns:
        ``(h', c')``, each of h's shape.

    Raises:
        ShapeError: naming the argument and the shapes when they do not fit.

    Example:
        >>> w = Tensor(np.zeros((8, 3)))
        >>> h, c = lstm_cell(Tensor(np.ones((1, 3))), Tensor([[0.0, 0.0]]), Tensor([[1.0, 2.0]]),
        ...                  Tensor(np.zeros((8, 3))), Tensor(np.zeros((8, 2))))
        >>> c.numpy()          # f = 1/2, i * g = 0: c' = c / 2
        array([[0.5, 1. ]])
    """
    tensors, names, unbatched = _cell_inputs("lstm_cell", x, h, c, w_ih, w_hh, b_ih, b_hh)
    h_new, c_new = LSTMCell.apply(*tensors, names=names)
    if unbatched:
        return h_new.reshape(-1), c_new.reshape(-1)
    return h_new, c_new


def gru_cell(x: Any, h: Any, w_ih: Any, w_hh: Any, b_ih: Any = None, b_hh: Any = None) -> Any:
    """One GRU time step (PyTorch's gates r, z, n and formulas), as one differentiable op.

    With a = x @ w_ih.T + b_ih and b = h @ w_hh.T + b_hh in blocks r, z, n:
    r = sigmoid(a_r + b_r), z = sigmoid(a_z + b_z), n = tanh(a_n + r * b_n) and
    h' = (1 - z) * n + z * h.

    Args:
        x: input (N, input_size) or (input_size,); with ``w_ih=None`` the precomputed
            a = x @ w_ih.T + b_ih, (N, 3 * hidden_size) (see `lstm_cell`).
        h: hidden state, (N, hidden_size) or (hidden_size,).
        w_ih: (3 * hidden_size, input_size), or None. w_hh: (3 * hidden_size, hidden_size).
        b_ih, b_hh: (3 * hidden_size,) each, or None for no bias.

    Returns:
        h', of h's shape.

    Raises:
        ShapeError: naming the argument and the shapes when they do not fit.

    Example:
        >>> gru_cell(Tensor([1.0]), Tensor([2.0]), Tensor(np.zeros((3, 1))),
        ...          Tensor(np.zeros((3, 1)))).numpy()     # z = 1/2, n = 0: h' = h / 2
        array([1.])
    """
    tensors, names, unbatched = _cell_inputs("gru_cell", x, h, None, w_ih, w_hh, b_ih, b_hh)
    out = GRUCell.apply(*tensors, names=names)
    return out.reshape(-1) if unbatched else out


def rnn_cell(
    x: Any,
    h: Any,
    w_ih: Any,
    w_hh: Any,
    b_ih: Any = None,
    b_hh: Any = None,
    nonlinearity: str = "tanh",
) -> Any:
    """One Elman RNN time step, h' = act(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh), as one op.

    Args:
        x, h, w_ih, w_hh, b_ih, b_hh: as `gru_cell`, with hidden_size rows in the weights.
        nonlinearity: "tanh" (default) or "relu".

    Returns:
        h', of h's shape.

    Raises:
        ShapeError: naming the argument and the shapes when they do not fit.
        ValueError: for another nonlinearity.

    Example:
        >>> rnn_cell(Tensor([1.0]), Tensor([-2.0]), Tensor([[3.0]]), Tensor([[1.0]]),
        ...          nonlinearity="relu").numpy()
        array([1.])
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_cell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    tensors, names, unbatched = _cell_inputs("rnn_cell", x, h, None, w_ih, w_hh, b_ih, b_hh)
    out = RNNCell.apply(*tensors, names=names, nonlinearity=nonlinearity)
    return out.reshape(-1) if unbatched else out
