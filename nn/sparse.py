"""`Embedding`: a lookup table of vectors indexed by integers, PyTorch's ``nn.Embedding``."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from autograd_lite import Tensor

from . import init
from .functional.sparse import embedding, padding_index
from .module import Module
from .parameter import Parameter, layer_dtype


class Embedding(Module):
    """Row ``i`` of ``weight`` for every index ``i`` of the input, PyTorch's ``nn.Embedding``.

    The weight, of shape (num_embeddings, embedding_dim), starts as PyTorch's: N(0, 1)
    draws, with the ``padding_idx`` row set to zeros. Indices are integers (a NumPy
    integer array or a list; Tensors hold floats, so they are refused); an input of shape
    S gives an output of shape S + (embedding_dim,).

    Args:
        num_embeddings: the number of rows (the vocabulary size).
        embedding_dim: the length of each vector.
        padding_idx: this row starts at zero and gets no gradient (negative counts from
            the end).
        max_norm: rescale, in place, each looked-up row whose norm exceeds it.
        norm_type: the p of that norm.
        scale_grad_by_freq, sparse: not supported (True raises NotImplementedError).
        dtype: float64 (default) or float32 weight.
        generator: draws the initial values (default: the global one, `nn.manual_seed`).

    Raises:
        TypeError: for a non-integer input (when called); IndexError for an index outside
        [0, num_embeddings).

    Example:
        >>> table = Embedding(10, 3, padding_idx=0)
        >>> table(np.array([[1, 2, 0]])).shape
        (1, 3, 3)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Any = None,
        _freeze: bool = False,
        dtype: Any = np.float64,
        generator: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        sizes = (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim))
        for argument, size in sizes:
            if not isinstance(size, numbers.Integral) or isinstance(size, bool):
                raise TypeError(f"Embedding: {argument} must be an integer, got {size!r}")
            if size < 1:
                raise ValueError(f"Embedding: {argument} must be positive, got {size}")
        if scale_grad_by_freq or sparse:
            raise NotImplementedError(
                "Embedding: scale_grad_by_freq=True and sparse=True are not supported"
            )
        dtype = layer_dtype("Embedding", dtype)
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = padding_index("Embedding", padding_idx, self.num_embeddings)
        self.max_norm = None if max_norm is None else float(max_norm)
        self.norm_type = float(norm_type)
        self.scale_grad_by_freq, self.sparse = False, False
        if _weight is None:
            self.weight = Parameter(np.zeros((num_embeddings, embedding_dim)), dtype=dtype)
            self.reset_parameters(generator)
        else:
            values = _weight.data if isinstance(_weight, Tensor) else np.asarray(_weight)
            if values.shape != (num_embeddings, embedding_dim):
                raise ValueError(
                    f"Embedding: _weight has shape {values.shape}, expected "
                    f"({num_embeddings}, {embedding_dim})"
                )
            self.weight = Parameter(values.copy(), requires_grad=not _freeze, dtype=dtype)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        """Draw the weight again from N(0, 1) and zero the padding row."""
        init.normal_(self.weight, 0.0, 1.0, generator)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0.0

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Any,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding holding a copy of ``embeddings`` (2-D); ``freeze`` stops its training.

        Example:
            >>> Embedding.from_pretrained(np.eye(3))(np.array([1])).numpy()
            array([[0., 1., 0.]])
        """
        values = embeddings.data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if values.ndim != 2:
            raise ValueError(
                f"Embedding.from_pretrained: embeddings must be 2-D, got shape {values.shape}"
            )
        return cls(
            values.shape[0],
            values.shape[1],
            padding_idx,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            sparse,
            _weight=values,
            _freeze=freeze,
            dtype=values.dtype if values.dtype.kind == "f" else np.float64,
        )

    def forward(self, input: Any) -> Tensor:
        return embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            name="Embedding",
        )

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2.0:
            text += f", norm_type={self.norm_type}"
        return text
