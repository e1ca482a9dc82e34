"""`Parameter`, the trainable Tensor a Module registers, and the dtype rule of the layers."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from autograd_lite import Tensor

#: The dtypes a layer's parameters may have (``dtype=`` of every layer with parameters).
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class Parameter(Tensor):
    """A Tensor that a Module registers as trainable; ``requires_grad`` is True by default.

    Args:
        data: the initial values (anything `Tensor` accepts); a Tensor's array is shared.
        requires_grad: False freezes the parameter (the optimizers then skip it).
        dtype: force float32 or float64.

    Example:
        >>> w = Parameter([[0.15, 0.20]])
        >>> w.requires_grad, w.shape
        (True, (1, 2))
    """

    __slots__ = ()

    def __init__(
        self, data: ArrayLike, requires_grad: bool = True, dtype: DTypeLike | None = None
    ) -> None:
        super().__init__(data, requires_grad=requires_grad, dtype=dtype)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def layer_dtype(layer: str, dtype: Any) -> np.dtype:
    """``dtype`` as a NumPy dtype, refused with the layer's name unless float32 or float64.

    Example:
        >>> layer_dtype("Linear", "float32")
        dtype('float32')
    """
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved not in FLOAT_DTYPES:  # (a dtype == None is True)
        raise TypeError(
            f"{layer}: dtype must be float32 or float64 (np.float32, np.float64 or their "
            f"names), got {dtype!r}"
        )
    return resolved
