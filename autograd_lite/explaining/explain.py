"""explain(): the chain-rule breakdown of one gradient, path by path, as the documents write it.

For a `Value` graph, d output / d wrt is the sum over every path from ``wrt`` to ``output``
of the product of the local derivatives on the path. Each local derivative is already stored
on its edge (``Value._local_grads``); its formula comes from the table
(`scalar_ops.SCALAR_OPS`).

Folding: when intermediate Values carry labels, the factors run between consecutive
labelled values. The factor between labelled ``u`` and ``v`` is d v / d u restricted to the
sub-paths that pass through no other labelled value (summed over those sub-paths), so an
unlabelled ``0.5 * (t - out) ** 2`` becomes one factor d E_o1 / d out. A labelled value that
only enters a plain sum (``E = E_o1 + E_o2``, derivative exactly 1) is folded into the factor
below it (``merge_sums``), which gives the document's "d E / d out_o1 = 0.74136507".

Shared structure: values that every path goes through (``out_h1`` for dE/dw1) cut the
breakdown into *stages*; a stage between two such values is one factor or a sum of branches.
That is the document's form dE/dw1 = (dE_o1/dout_h1 + dE_o2/dout_h1) * dout_h1/dnet_h1 * ...

For a `Tensor` graph, `explain` follows one element of a gradient through the operations
(see `explain_tensor`). Path counts are found by dynamic programming first; graphs with many
paths are summarised (the largest paths by |product| plus the exact total). No recursion.

This module holds the public entry; the work is split by concept:
explain_results.py (result objects and their text), explain_values.py (names, formulas and
folding for Value graphs), explain_keygraph.py (paths, counts and stages on the folded
graph), explain_tensors.py (Tensor op-level paths). Their names are re-exported here.
"""

from __future__ import annotations

from typing import Any

from ..scalar.value import Value
from ..tensor import Tensor
from .results import (
    Branch,
    Explanation,
    Factor,
    OpStep,
    Path,
    Stage,
    TensorExplanation,
    TensorPath,
    array_text,
    num_text,
)
from .tensors import explain_tensor
from .values import explain_value, exponent_text

__all__ = [
    "Branch",
    "Explanation",
    "Factor",
    "OpStep",
    "Path",
    "Stage",
    "TensorExplanation",
    "TensorPath",
    "array_text",
    "exponent_text",
    "num_text",
    "explain",
]


# ------------------------------------------------------------------------ public entry
def explain(
    output: Any,
    wrt: Any,
    *,
    fold: bool | None = None,
    merge_sums: bool = True,
    max_paths: int = 20,
    index: int | tuple[int, ...] | None = None,
    module: Any = None,
) -> Any:
    """Break d output / d wrt into chain-rule paths with every local derivative's formula.

    Args:
        output: the Value (or single-element Tensor) that was computed.
        wrt: the Value (or Tensor requiring grad) to differentiate with respect to.
        fold: run factors between labelled values, folding unlabelled steps in. ``None``
            (default) folds when some intermediate value on a path carries a label.
        merge_sums: fold a labelled value that only enters a plain sum (factor exactly 1,
            as ``E = E_o1 + E_o2``) into the factor below it.
        max_paths: list at most this many paths (and branches per stage); beyond that the
            largest by |product| are listed and the rest summarised.
        index: for Tensors, which element of ``wrt``'s gradient to explain: a tuple with
            one integer per axis of ``wrt`` (``(1, 0)`` is row 1, column 0); a single
            integer only for a 1-D ``wrt``. Optional when ``wrt`` has one element.
        module: anything with ``named_parameters()``; its parameters get dotted names.

    Returns:
        An `Explanation` (Values) or `TensorExplanation` (Tensors) with ``.total``,
        ``.paths`` and a readable ``str``.

    Raises:
        TypeError: if ``output`` and ``wrt`` are not both Values or both Tensors.
        ValueError: for ``max_paths < 1``, a Tensor output with several elements or a
            missing/out-of-range ``index``, or one without one entry per axis of ``wrt``.
        GraphFreedError: if a Tensor graph was freed by ``backward()`` (call explain first,
            or use ``backward(retain_graph=True)``).

    Example:
        >>> x = Value(2.0, label="x"); y = (x * x).tanh(); y.label = "y"
        >>> result = explain(y, x)
        >>> round(result.total, 6)  # (1 - tanh(4)**2) * 2x
        0.005364
    """
    if max_paths < 1:
        raise ValueError(f"explain: max_paths must be at least 1, got {max_paths}")
    names = parameter_names(module)
    if isinstance(output, Value) and isinstance(wrt, Value):
        return explain_value(output, wrt, fold, merge_sums, max_paths, names)
    if isinstance(output, Tensor) and isinstance(wrt, Tensor):
        return explain_tensor(output, wrt, index, max_paths, names)
    raise TypeError(
        "explain: output and wrt must both be Values or both be Tensors, got "
        f"{type(output).__name__} and {type(wrt).__name__}"
    )


def parameter_names(module: Any, caller: str = "explain") -> dict[int, str]:
    """id(parameter) -> dotted name for anything with ``named_parameters()`` (duck typing:
    the engine does not import nn); ``caller`` names the function in the error."""
    if module is None:
        return {}
    if not hasattr(module, "named_parameters"):
        raise TypeError(
            f"{caller}: module must have named_parameters() (an nn.Module), got "
            f"{type(module).__name__}"
        )
    return {id(parameter): name for name, parameter in module.named_parameters()}
