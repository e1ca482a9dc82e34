"""The Tensors a graph's nodes made, found among the live objects, for pictures and explain.

A node does not keep its output Tensors (that would be a reference cycle), so the label,
data and ``.grad`` of an intermediate result (``h = (x * 3).tanh(); h.label = "h"``) are
reachable only from the Tensor itself. While the user holds it, it is alive and refers to
its node; `gc.get_referrers` finds it in one pass over the tracked objects (about 20 ms per
100,000 objects: a cost for a picture or an explanation, never for the engine).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from typing import Any

from ..engine.tensor_base import TensorBase


def live_outputs(nodes: Iterable[Any]) -> dict[tuple[int, int], TensorBase]:
    """(id(node), output slot) -> the live Tensor holding that output, for ``nodes``.

    Where several Tensors hold the same output (it cannot happen through the engine, but a
    labelled one is preferred), the labelled one wins.
    """
    wanted = [node for node in nodes if not isinstance(node, TensorBase)]
    if not wanted:
        return {}
    ids = {id(node) for node in wanted}
    found: dict[tuple[int, int], TensorBase] = {}
    for referrer in gc.get_referrers(*wanted):
        if isinstance(referrer, TensorBase) and id(referrer._node) in ids:
            key = (id(referrer._node), referrer._slot)
            if key not in found or referrer.label and not found[key].label:
                found[key] = referrer
    return found
