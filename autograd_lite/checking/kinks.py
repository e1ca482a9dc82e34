"""Kinks: points where an op is not differentiable (abs and relu at 0, max/maximum at a tie,
clip at its bounds, floor/round/sign at their jumps), and whether a gradient check met one.

At a kink the engine's gradient is one side's slope (PyTorch's conventions: 0 for relu and
abs at 0, an equal split for tied maxima), while a central difference whose step straddles
the kink averages the slopes of both sides. So a check *near* a kink fails with numbers that
look like a wrong factor or a missing gradient, and a check *exactly at* a symmetric kink
(abs at 0: both give 0) passes without saying anything about the slopes beside it. This
module finds both cases, for Tensor functions (recorded ops, with their input arrays) and
Value functions (``relu``), and words them as notes and hints.

How: the function is run once under `engine.anomaly.recording_inputs` (every op keeps a copy
of its inputs and its call site); each op with a kink measures how far its inputs are from
it (`distance`). For a failing check, the entries that disagree are re-evaluated at
``x +- eps`` and an op whose inputs changed side (`side`) is named: the step crossed its kink.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.anomaly import recording_inputs
from ..engine.walk import topological_order
from ..scalar.walk import values_below

#: op name -> where its kink is, in words
KINK_OPS = {
    "Abs": "abs has a kink at 0",
    "ReLU": "relu has a kink at 0",
    "Max": "max has a kink where two entries tie for the maximum",
    "Min": "min has a kink where two entries tie for the minimum",
    "Maximum": "maximum(a, b) has a kink where a == b",
    "Minimum": "minimum(a, b) has a kink where a == b",
    "Clip": "clip has kinks at its bounds",
    "Clamp": "clamp has kinks at its bounds",
    "Sign": "sign jumps at 0",
    "Floor": "floor jumps at every integer",
    "Ceil": "ceil jumps at every integer",
    "Round": "round jumps halfway between integers",
}
#: at most this many failing entries are re-evaluated to find the kink their step crossed
MAX_CROSSING_PROBES = 8


@dataclass(frozen=True)
class KinkNote:
    """An op of the checked function that sits at or near one of its kinks."""

    op: str
    where: str  # "created at file:line in f: source", or "" when unknown
    distance: float  # how far its nearest input is from the kink
    crossed: tuple[tuple[int, tuple[int, ...]], ...] = ()  # (input, element) steps crossing it

    def describe(self, eps: float) -> str:
        place = f" ({self.where})" if self.where else ""
        if self.distance == 0.0:
            at = "an input exactly at the kink"
        else:
            at = f"an input {self.distance:.3g} from the kink"
        return f"{self.op}{place} has {at} ({KINK_OPS.get(self.op, 'a kink')}; eps={eps:g})"


@dataclass
class _KinkSite:
    """One op with a kink, from one recorded run."""

    op: str
    where: str
    arrays: tuple[np.ndarray, ...]
    kwargs: dict[str, Any]


def _sites(fn: Callable[..., Any], args: Sequence[Any], kind: str) -> list[_KinkSite]:
    """Run ``fn`` once, recording, and list its ops that have kinks, in forward order."""
    if kind == "value":
        outputs = fn(*args)
        outputs = tuple(outputs) if isinstance(outputs, (tuple, list)) else (outputs,)
        seen: set[int] = set()
        sites = []
        for out in outputs:
            for value in values_below(out):
                if value._op == "relu" and id(value) not in seen:
                    seen.add(id(value))
                    data = np.array([value._parents[0].data])
                    sites.append(_KinkSite("ReLU", "", (data,), {}))
        return sites
    with recording_inputs():
        outputs = fn(*args)
    outputs = tuple(outputs) if isinstance(outputs, (tuple, list)) else (outputs,)
    roots = [out._vertex() for out in outputs if getattr(out, "_node", None) is not None]
    sites = []
    for vertex in topological_order(roots) if roots else []:
        name = getattr(getattr(vertex, "fn", None), "__name__", "")
        recorded = getattr(vertex, "recorded", None)
        if name in KINK_OPS and recorded is not None:
            where = f"created at {vertex.created_at}" if vertex.created_at else ""
            sites.append(_KinkSite(name, where, recorded[0], recorded[1]))
    return sites


def _bounds(kwargs: dict[str, Any]) -> list[np.ndarray]:
    """The bounds a clip op was given (numbers or arrays), whatever its keyword names."""
    bounds = []
    for value in kwargs.values():
        if value is None or isinstance(value, (bool, np.bool_)):
            continue
        array = np.asarray(value)
        if array.dtype.kind in "iuf":
            bounds.append(array.astype(np.float64))
    return bounds


def _extreme_gaps(x: np.ndarray, axis: Any, largest: bool) -> np.ndarray:
    """For max/min over ``axis``: the gap between the best and the runner-up of each slice."""
    if x.ndim == 0:
        return np.array([np.inf])
    axes = tuple(range(x.ndim)) if axis is None else np.atleast_1d(axis).tolist()
    axes = tuple(int(a) % x.ndim for a in axes)
    rest = [a for a in range(x.ndim) if a not in axes]
    slices = np.transpose(x, rest + list(axes)).reshape(
        -1, int(np.prod([x.shape[a] for a in axes]))
    )
    if slices.shape[1] < 2:
        return np.array([np.inf])
    ordered = np.sort(slices, axis=1)
    if largest:
        return ordered[:, -1] - ordered[:, -2]
    return ordered[:, 1] - ordered[:, 0]


def distance(op: str, arrays: Sequence[np.ndarray], kwargs: dict[str, Any]) -> float:
    """How far the op's inputs are from its kink (0 = exactly at it; inf = no kink met)."""
    x = np.asarray(arrays[0], dtype=np.float64)
    if op in ("Abs", "ReLU", "Sign"):
        d = np.abs(x)
    elif op in ("Maximum", "Minimum") and len(arrays) > 1:
        d = np.abs(x - np.asarray(arrays[1], dtype=np.float64))
    elif op in ("Max", "Min"):
        d = _extreme_gaps(x, kwargs.get("axis"), op == "Max")
    elif op in ("Clip", "Clamp"):
        bounds = _bounds(kwargs) + [np.asarray(a, dtype=np.float64) for a in arrays[1:]]
        if not bounds:
            return float("inf")
        return min(float(np.min(np.abs(x - bound))) for bound in bounds)
    elif op in ("Floor", "Ceil"):
        d = np.abs(x - np.round(x))
    elif op == "Round":
        d = np.abs(np.abs(x - np.floor(x)) - 0.5)
    else:
        return float("inf")
    return float(np.min(d)) if np.size(d) else float("inf")


def side(op: str, arrays: Sequence[np.ndarray], kwargs: dict[str, Any]) -> np.ndarray:
    """Which side of its kink each input entry is on; two runs differ where a step crossed."""
    x = np.asarray(arrays[0], dtype=np.float64)
    if op in ("Abs", "ReLU", "Sign"):
        return np.sign(x)
    if op in ("Maximum", "Minimum") and len(arrays) > 1:
        return np.sign(x - np.asarray(arrays[1], dtype=np.float64))
    if op in ("Max", "Min"):
        axis = kwargs.get("axis")
        best = (
            np.max(x, axis=axis, keepdims=True)
            if op == "Max"
            else np.min(x, axis=axis, keepdims=True)
        )
        return x == best
    if op in ("Clip", "Clamp"):
        bounds = _bounds(kwargs) + [np.asarray(a, dtype=np.float64) for a in arrays[1:]]
        sides = [
            np.broadcast_to(np.sign(x - bound), np.broadcast(x, bound).shape) for bound in bounds
        ]
        return np.stack([side.reshape(-1) for side in sides]) if sides else np.zeros(0)
    if op == "Round":
        return np.round(x)
    if op == "Floor":
        return np.floor(x)
    if op == "Ceil":
        return np.ceil(x)
    return np.zeros(0)


def _same_ops(first: list[_KinkSite], second: list[_KinkSite]) -> bool:
    return [s.op for s in first] == [s.op for s in second]


def find_kinks(
    fn: Callable[..., Any],
    args: list[Any],
    kind: str,
    eps: float,
    failing: Sequence[tuple[int, tuple[int, ...]]] = (),
    get: Callable[[Any, int], float] | None = None,
    put: Callable[[Any, int, float], None] | None = None,
    shape: Callable[[Any], tuple[int, ...]] | None = None,
) -> list[KinkNote]:
    """Ops of ``fn`` at ``args`` within ``eps`` of a kink, and kinks the steps of the failing
    entries crossed (``failing``: (input position, element index) pairs).

    ``get``/``put``/``shape`` read and write one element of an argument (gradcheck's own
    helpers); ``args`` are modified one element at a time and restored exactly.
    """
    try:
        base = _sites(fn, args, kind)
    except Exception:  # noqa: BLE001 - the kink search must never hide the check's result
        return []
    if not base:
        return []
    crossed: dict[int, list[tuple[int, tuple[int, ...]]]] = {}
    probes = list(dict.fromkeys(failing))[:MAX_CROSSING_PROBES]
    if probes and get is not None and put is not None and shape is not None:
        base_sides = [side(s.op, s.arrays, s.kwargs) for s in base]
        for position, index in probes:
            arg = args[position]
            flat = int(np.ravel_multi_index(index, shape(arg))) if index else 0
            original = get(arg, flat)
            try:
                for step in (eps, -eps):
                    put(arg, flat, original + step)
                    try:
                        moved = _sites(fn, args, kind)
                    except Exception:  # noqa: BLE001
                        continue
                    if not _same_ops(base, moved):
                        continue
                    for number, (was, now) in enumerate(zip(base_sides, moved)):
                        now_side = side(now.op, now.arrays, now.kwargs)
                        if was.shape != now_side.shape or not np.array_equal(was, now_side):
                            entry = (position, tuple(index))
                            if entry not in crossed.setdefault(number, []):
                                crossed[number].append(entry)
            finally:
                put(arg, flat, original)
    notes = []
    for number, site_ in enumerate(base):
        gap = distance(site_.op, site_.arrays, site_.kwargs)
        if number in crossed or gap <= eps:
            notes.append(KinkNote(site_.op, site_.where, gap, tuple(crossed.get(number, ()))))
    return notes
