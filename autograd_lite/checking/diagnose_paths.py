"""Reading the graph around one parameter for `diagnose_grads`: which vertices lie on its
paths to the output, and why a reached parameter's gradient is nevertheless zero."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .diagnose_report import LayerSaturation


def on_paths(order: list[Any], start: Any) -> list[Any]:
    """The vertices on some path from ``start`` up to the output (``order`` is bottom-up)."""
    marked = {id(start)}
    on = []
    for vertex in order:
        if any(parent is not None and id(parent) in marked for parent in vertex._parents):
            marked.add(id(vertex))
            on.append(vertex)
    return on


def consumers(param: Tensor, paths: list[Any]) -> list[Any]:
    """The ops on ``paths`` that take ``param`` itself as an input."""
    return [v for v in paths if any(parent is param for parent in v._parents)]


def zero_partners(param: Tensor, paths: list[Any], layers: dict[int, LayerSaturation]) -> list[str]:
    """Why a gradient of exactly zero: the ops using ``param`` multiply it by zeros."""
    found = []
    for vertex in consumers(param, paths):
        saved = vertex._saved or ()
        for position, (parent, item) in enumerate(zip(vertex._parents, saved)):
            if parent is param or not hasattr(item, "data"):
                continue
            if np.all(np.asarray(item.data) == 0):
                source = ""
                if parent is not None and id(parent) in layers:
                    source = f", the output of {layers[id(parent)]}"
                found.append(f"{vertex.name} multiplies it by an all-zero input {position}{source}")
    return found


def cancelled(
    param: Tensor, paths: list[Any], norms: dict[int, tuple[str, float]], tiny: float
) -> list[str]:
    """Why a gradient that should not be zero is: it cancels out, not dies.

    An op using ``param`` passes a real gradient to another named input (a layer's weight
    beside its bias), so the gradient arriving at that op is not zero; this parameter's
    share of it sums to (almost) nothing. That is what a bias before a normalisation
    (BatchNorm subtracts the batch mean) or a shift before a softmax gets: the output does
    not change when every sample is shifted alike.
    """
    for vertex in consumers(param, paths):
        for parent in vertex._parents:
            name, norm = norms.get(id(parent), ("", 0.0))
            if parent is not param and name and norm >= tiny:
                return [
                    f"the gradient reaching {vertex.name} is not zero ({name} gets "
                    f"{norm:.3g}) but sums to about 0 for this parameter: shifting every "
                    "sample alike does not change the output (a bias before BatchNorm's "
                    "mean subtraction, or before a softmax)"
                ]
    return []
