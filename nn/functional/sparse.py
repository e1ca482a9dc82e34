"""`embedding`: rows of a weight matrix picked by integer indices, PyTorch's ``F.embedding``."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from autograd_lite import Tensor, where

from .helpers import as_tensor


def embedding_indices(name: str, input: Any, num_embeddings: int) -> np.ndarray:
    """``input`` as an integer array of indices in [0, num_embeddings), or a clear error.

    Raises:
        TypeError: for floats (a Tensor holds floats), bools or anything not integer.
        IndexError: for an index outside [0, num_embeddings).
    """
    data = input.data if isinstance(input, Tensor) else input
    indices = np.asarray(data)
    if indices.dtype.kind not in "iu":
        raise TypeError(
            f"{name}: input must hold integer indices (a NumPy integer array or a list of "
            f"ints), got {type(input).__name__} of dtype {indices.dtype}; convert class or "
            "token ids with .astype(np.int64)"
        )
    if indices.size:
        low, high = int(indices.min()), int(indices.max())
        if low < 0 or high >= num_embeddings:
            bad = low if low < 0 else high
            raise IndexError(
                f"{name}: index {bad} is out of range for num_embeddings={num_embeddings} "
                f"(indices must be in [0, {num_embeddings - 1}]; input shape {indices.shape})"
            )
    return indices


def padding_index(name: str, padding_idx: Any, num_embeddings: int) -> int | None:
    """``padding_idx`` checked and made non-negative (PyTorch's rule), or None."""
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, numbers.Integral):
        raise TypeError(f"{name}: padding_idx must be an integer or None, got {padding_idx!r}")
    padding_idx = int(padding_idx)
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(
            f"{name}: padding_idx must be within num_embeddings={num_embeddings} "
            f"([-{num_embeddings}, {num_embeddings - 1}]), got {padding_idx}"
        )
    return padding_idx % num_embeddings


def renorm_rows(weight: Tensor, indices: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Scale, in place, the looked-up rows whose norm exceeds ``max_norm`` (PyTorch's rule)."""
    rows = np.unique(indices)
    values = weight.data[rows]
    norms = np.linalg.norm(values, ord=norm_type, axis=1).astype(np.float64)
    over = norms > max_norm
    if over.any():
        updated = weight.data.copy()
        scale = max_norm / (norms[over] + 1e-7)
        updated[rows[over]] = values[over] * scale[:, None].astype(values.dtype)
        weight.data = updated  # a new version: a graph that saved the old rows refuses


def embedding(
    input: Any,
    weight: Any,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
    *,
    name: str = "embedding",
) -> Tensor:
    """The rows ``weight[input]``: shape ``input.shape + (embedding_dim,)``.

    Args:
        input: integer indices (a NumPy integer array, a list or an int), each in
            [0, num_embeddings).
        weight: (num_embeddings, embedding_dim).
        padding_idx: this row's entries get no gradient (its output is still the row).
        max_norm: first rescale, in place, every looked-up row whose ``norm_type``-norm is
            larger to norm ``max_norm`` (PyTorch's renormalisation).
        norm_type: the p of the norm for ``max_norm``.
        scale_grad_by_freq, sparse: not supported (True raises NotImplementedError).

    Raises:
        TypeError: for non-integer indices. IndexError: for an index out of range.

    Example:
        >>> embedding(np.array([[2, 0]]), Tensor(np.arange(6.0).reshape(3, 2))).numpy()
        array([[[4., 5.],
                [0., 1.]]])
    """
    weight = as_tensor(weight)
    if weight.ndim != 2:
        raise ValueError(
            f"{name}: weight must be (num_embeddings, embedding_dim), got shape {weight.shape}"
        )
    if scale_grad_by_freq or sparse:
        raise NotImplementedError(
            f"{name}: scale_grad_by_freq=True and sparse=True are not supported"
        )
    num_embeddings = weight.shape[0]
    indices = embedding_indices(name, input, num_embeddings)
    padding = padding_index(name, padding_idx, num_embeddings)
    if max_norm is not None:
        renorm_rows(weight, indices, float(max_norm), float(norm_type))
    out = weight[indices]
    if padding is not None:
        is_padding = (indices == padding)[..., None]
        if is_padding.any():  # the padding row's value, cut off from the gradient
            out = where(is_padding, Tensor(weight.data[padding]), out)
    return out
