"""What a registry entry is: the `OpEntry` record, input domains, shape and argument kinds.

Input domains (per input):

- ``"real"``: any moderate float;
- ``"positive"``: bounded away from 0 from above (log, sqrt, the base of a power);
- ``"nonzero"``: bounded away from 0 on either side (a divisor, a ``where`` condition);
- ``"distinct"``: nonzero and at least 0.05 apart from every other value of every input,
  so no kink (abs, relu at 0) or tie (max, maximum) is within the finite-difference step;
- ``"small"``: within [-1, 1] (tan, away from its poles at ±pi/2);
- ``"off_steps"``: at least 1/16 away from every multiple of 0.5, where the step functions
  (sign, floor, ceil, round) jump.

Keyword kinds of the math entries: ``"variance"`` (axis, keepdims and a ddof that leaves
degrees of freedom), ``"norm"`` (and an ord), ``"cumsum"`` (one axis or None), ``"clip"``
(bounds that no "distinct" value sits on); the ``"einsum"`` shape kind draws subscripts
with the shapes.

Shape kinds say how the input shapes relate, keyword-argument kinds which arguments to
draw; ``tests/strategies.py`` knows how to draw each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..tensor import Tensor

DOMAINS = ("real", "positive", "nonzero", "distinct", "small", "off_steps")
SHAPE_KINDS = (
    "same",
    "broadcast",
    "matmul",
    "concatenate",
    "stack",
    "linear",
    "logits",
    "inplace",  # a tensor and an operand that broadcasts to its shape (t += x)
    "setitem",  # a tensor, a value fitting t[index], and the basic index (kwargs "index")
    "einsum",  # subscripts drawn with the shapes that fit them
    "lstm_cell",  # x, h, c, w_ih, w_hh, b_ih, b_hh of one LSTM step (batched or not)
    "gru_cell",  # x, h, w_ih, w_hh, b_ih, b_hh
    "rnn_cell",  # x, h, w_ih, w_hh, b_ih, b_hh
    "lstm_sequence",  # x (L, N, I), h0, c0, w_ih, w_hh, b_ih, b_hh
)
KWARGS_KINDS = (
    None,
    "reduce",
    "axis",
    "reshape",
    "transpose",
    "basic_index",
    "array_index",
    "exponent",
    "variance",
    "norm",
    "cumsum",
    "clip",
    "squeeze",
    "expand_dims",
    "flatten",
    "swapaxes",
    "broadcast_to",
    "tile",
    "repeat",
    "split",
    "chunk",
    "pad",
    "flip",
    "take_along_axis",
    "masked_fill",
    "windows",
    "blocks",
)


@dataclass(frozen=True)
class OpEntry:
    """One public op: how to call it on Tensors, what it should compute, where to test it.

    Attributes:
        name: the registry key.
        op: ``op(*tensors, **kwargs) -> Tensor``, going through the public API.
        reference: ``reference(*arrays, **kwargs) -> ndarray``, plain NumPy.
        domains: one input domain (see the module docstring) per input.
        covers: the public names this entry exercises, e.g. ``("Tensor.__add__",)``.
        shapes: how the input shapes relate (one of `SHAPE_KINDS`); ``"broadcast"``
            means the op broadcasts its inputs the NumPy way.
        kwargs: which keyword arguments to draw (one of `KWARGS_KINDS`).
        differentiable: False for comparisons (their result never requires grad).
        twice_differentiable: whether its backward is itself differentiable (gradgradcheck).
    """

    name: str
    op: Callable[..., Tensor]
    reference: Callable[..., Any]  # returns an array-like
    domains: tuple[str, ...]
    covers: tuple[str, ...]
    shapes: str = "same"
    kwargs: str | None = None
    differentiable: bool = True
    twice_differentiable: bool = True

    @property
    def n_inputs(self) -> int:
        """How many tensors the op takes."""
        return len(self.domains)

    @property
    def broadcasts(self) -> bool:
        """True when the inputs may have different, NumPy-broadcastable shapes."""
        return self.shapes == "broadcast"
