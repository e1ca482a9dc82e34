"""diagnose_grads(): why a parameter's gradient is None, zero or tiny.

For each parameter it computes d output / d parameter itself (``grad(...,
retain_graph=True)``: no ``.grad`` is touched, before or after ``backward``) and reads the
graph to say which case it is:

- ``fine``: the gradient is not tiny (saturated units on its paths are still listed);
- ``unreachable``: the output was not computed from it at all;
- ``detached``, ``no_grad``, ``non-differentiable``: it reaches the output only through a
  link the graph does not differentiate: ``detach()`` (or ``Tensor(t)``), an op run inside
  ``no_grad``, a comparison (``w > 0``), or an op whose gradient is zero by definition
  (``floor``, ``ceil``, ``round``, ``sign``); where the link was cut is named when the
  forward pass ran under `detect_anomaly` (see `engine.provenance`);
- ``saturated``: it is reached, but the gradient dies in activations on its way: dead ReLU
  units (input <= 0 for every sample of the batch) or saturated tanh/sigmoid units (local
  derivative below 1% of its peak for every sample), counted per layer;
- ``zero`` / ``tiny``: reached, nothing saturated, yet the gradient is 0 or below ``tiny``
  (e.g. it multiplies an all-zero input, which the details name when they can);
- ``frozen``: the parameter does not require grad;
- ``unknown``: the graph was freed by ``backward()`` and the parameter has no ``.grad``.

A "unit" is one entry of an activation's output apart from the batch axis (axis 0 of a
tensor with two or more axes). A layer is named after the parameters that feed the
activation directly (``ReLU after layers.0``) when a Module is given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..engine.backward import grad
from ..engine.provenance import cuts_of, sources_of
from ..engine.walk import topological_order
from ..errors import GraphFreedError
from ..tensor import Tensor
from .diagnose_paths import cancelled, on_paths, zero_partners
from .diagnose_report import SATURATION, GradDiagnosis, LayerSaturation, ParamDiagnosis

#: ops whose gradient is zero by definition: a parameter behind only these gets none
NON_DIFFERENTIABLE = frozenset(["Floor", "Ceil", "Round", "Sign"])
#: activations whose units can die or saturate
ACTIVATIONS = frozenset(["ReLU", "Tanh", "Sigmoid"])
STATUSES = (
    "fine",
    "unreachable",
    "detached",
    "no_grad",
    "non-differentiable",
    "saturated",
    "zero",
    "tiny",
    "frozen",
    "unknown",
)
_CUT_STATUS = {"detach()": "detached", "Tensor(t)": "detached", "no_grad": "no_grad"}


def diagnose_grads(output: Any, params: Any, *, tiny: float = 1e-8) -> GradDiagnosis:
    """Say, for each parameter, why its gradient is None, zero or tiny (or that it is fine).

    Args:
        output: the Tensor computed from the parameters (a loss; for an output of several
            entries the gradient of their sum is diagnosed).
        params: a sequence of Tensors, or anything with ``named_parameters()`` (an
            ``nn.Module``), whose parameters are then named by their dotted names.
        tiny: a gradient whose 2-norm is below this (and above 0) is ``tiny``.

    Returns:
        A `GradDiagnosis`: ``str()`` is a table (name, shape, status, grad norm, why);
        ``report[name]`` gives one parameter's `ParamDiagnosis`.

    Raises:
        TypeError: if ``output`` is not a Tensor or ``params`` holds something else.

    Example:
        >>> w = Tensor([[1.0, -1.0]], requires_grad=True)
        >>> hidden = (Tensor([[-1.0, 1.0]]) @ w.T - 5.0).relu()   # every unit dead
        >>> report = diagnose_grads(hidden.sum(), [w])   # before or after backward()
        >>> report["params[0]"].status
        'saturated'
    """
    if not isinstance(output, Tensor):
        raise TypeError(
            f"diagnose_grads: output must be a Tensor, got {type(output).__name__} (for a "
            "Value graph, explain(output, v) shows every path to v)"
        )
    named = _named(params)
    root = output._vertex() if output.requires_grad else None
    order = topological_order([root]) if root is not None else []
    reach = {id(vertex) for vertex in order}
    differentiable = _differentiable_reach(root)
    cut_links = _cut_reach(order, output)
    freed = any(getattr(vertex, "freed", False) for vertex in order)
    notes: list[str] = []
    grads = _gradients(output, [p for _, p in named], reach, freed, notes)
    layers = _layers(order, named)
    tiny = float(tiny)
    norms = {
        id(param): (name, float(np.linalg.norm(gradient)))
        for (name, param), gradient in zip(named, grads)
        if gradient is not None
    }
    results = [
        _diagnose_one(
            name, param, gradient, order, reach, differentiable, cut_links, layers, norms, tiny
        )
        for (name, param), gradient in zip(named, grads)
    ]
    if freed:
        notes.append(
            "the graph was freed by backward(), so the gradients shown are the .grad "
            "attributes and dead units could not be counted; call diagnose_grads before "
            "backward() or run backward(retain_graph=True)"
        )
    if any(p.status in _CUT_STATUS.values() for p in results) and not any(
        where for links in cut_links.values() for _, where in links
    ):
        notes.append(
            "run the forward pass under detect_anomaly() to see the line where each link was cut"
        )
    saturated = [layer for layer in layers.values() if layer.count]
    return GradDiagnosis(output.shape, results, saturated, tiny, notes)


def _named(params: Any) -> list[tuple[str, Tensor]]:
    """(name, tensor) pairs: dotted names from a Module, else labels or positions."""
    if hasattr(params, "named_parameters"):
        named = list(params.named_parameters())
    else:
        if isinstance(params, Tensor):
            params = [params]
        if not isinstance(params, Sequence) and not hasattr(params, "__iter__"):
            raise TypeError(
                "diagnose_grads: params must be a sequence of Tensors or a Module, got "
                f"{type(params).__name__}"
            )
        params = list(params)
        named = [(getattr(p, "label", "") or f"params[{i}]", p) for i, p in enumerate(params)]
    for name, param in named:
        if not isinstance(param, Tensor):
            raise TypeError(
                f"diagnose_grads: parameter {name!r} is a {type(param).__name__}, not a Tensor"
            )
    return named


def _gradients(
    output: Tensor, params: list[Tensor], reach: set[int], freed: bool, notes: list[str]
) -> list[np.ndarray | None]:
    """d output / d param for each parameter (None for frozen ones), .grad if freed."""
    wanted = [p for p in params if p.requires_grad and id(p) in reach]
    computed: dict[int, np.ndarray] = {}
    if wanted and not freed:
        seed = np.ones(output.shape, dtype=output.dtype)
        try:
            for p, g in zip(wanted, grad(output, wanted, grad_outputs=seed, retain_graph=True)):
                computed[id(p)] = g.data
        except GraphFreedError:
            freed = True
    result: list[np.ndarray | None] = []
    for p in params:
        if not p.requires_grad:
            result.append(None)
        elif id(p) in computed:
            result.append(computed[id(p)])
        elif id(p) not in reach:
            result.append(np.zeros(p.shape))
        else:  # the graph was freed: what backward left
            result.append(None if p.grad is None else np.asarray(p.grad.data))
    return result


def _differentiable_reach(root: Any) -> set[int]:
    """Vertices reachable from ``root`` without going through a zero-gradient op."""
    if root is None:
        return set()
    seen = {id(root)}
    stack = [root]
    while stack:
        vertex = stack.pop()
        if getattr(getattr(vertex, "fn", None), "__name__", "") in NON_DIFFERENTIABLE:
            continue
        for parent in vertex._parents:
            if parent is not None and id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return seen


def _cut_reach(order: list[Any], output: Tensor) -> dict[int, list[tuple[str, str | None]]]:
    """id(vertex) -> [(how, where)] for vertices that reach the output through links the
    graph cut (detach, no_grad, comparisons), found from the cut links' records (vertices
    in the graph too, which may reach it both ways)."""
    found: dict[int, list[tuple[str, str | None]]] = {}
    reach = {id(vertex) for vertex in order}
    links: list[tuple[str, Any, str | None]] = []
    for vertex in order:
        for _, origin in cuts_of(vertex):
            links += sources_of(origin)
    if output._origin is not None:
        links += sources_of(output._origin)
    seen: set[tuple[int, str]] = set()
    while links:
        how, vertex, where = links.pop()
        for below in topological_order([vertex]):
            if (id(below), how) in seen:
                continue
            seen.add((id(below), how))
            found.setdefault(id(below), []).append((how, where))
            if id(below) not in reach:  # a cut behind a cut (those in the graph are listed)
                for _, origin in cuts_of(below):
                    links += sources_of(origin)
    return found


def _op_name(vertex: Any) -> str:
    return getattr(getattr(vertex, "fn", None), "__name__", "")


def _layers(order: list[Any], named: list[tuple[str, Tensor]]) -> dict[int, LayerSaturation]:
    """id(activation node) -> its dead/saturated units, for every activation in the graph."""
    names = {id(p): name for name, p in named}
    layers: dict[int, LayerSaturation] = {}
    count_by_op: dict[str, int] = {}
    for vertex in order:
        op = _op_name(vertex)
        if op not in ACTIVATIONS:
            continue
        count_by_op[op] = count_by_op.get(op, 0) + 1
        blocked = _blocked_units(vertex, op)
        if blocked is None:
            continue
        count, units, samples = blocked
        owner = _feeding_names(vertex, names)
        if owner.isdigit():  # a Sequential's module number
            owner = f"layer {owner}"
        layer = f"{op} after {owner}" if owner else f"{op} #{count_by_op[op]}"
        layers[id(vertex)] = LayerSaturation(
            layer, op, count, units, samples, vertex.created_at or ""
        )
    return layers


def _blocked_units(node: Any, op: str) -> tuple[int, int, int] | None:
    """(units passing no gradient for any sample, units, samples), or None if freed."""
    saved = node._saved
    if not saved:
        return None
    x = np.asarray(saved[0].data, dtype=np.float64)
    if op == "ReLU":
        blocked = x <= 0
    elif op == "Tanh":
        y = np.tanh(x)
        blocked = 1.0 - y * y < SATURATION
    else:  # Sigmoid: y (1 - y) < SATURATION * 1/4
        y = 1.0 / (1.0 + np.exp(-np.clip(x, -500, 500)))
        blocked = y * (1.0 - y) < SATURATION * 0.25
    if blocked.ndim >= 2:
        samples = blocked.shape[0]
        per_unit = blocked.reshape(samples, -1).all(axis=0)
    else:
        samples = 1
        per_unit = blocked.reshape(-1)
    return int(per_unit.sum()), int(per_unit.size), samples


def _feeding_names(activation: Any, names: dict[int, str]) -> str:
    """The layer feeding ``activation``: the dotted prefix of the named parameters nearest
    to it through ops that are not activations (``layers.0``; ``1`` for a BatchNorm right
    after a convolution ``0``), else the common prefix of all of them, else their names;
    "" if none is named."""
    found: list[tuple[int, str]] = []  # (ops between, name), nearest first
    frontier = [p for p in activation._parents if p is not None]
    seen: set[int] = set()
    depth = 0
    while frontier:
        depth += 1
        following = []
        for vertex in frontier:
            if id(vertex) in seen:
                continue
            seen.add(id(vertex))
            if id(vertex) in names:
                found.append((depth, names[id(vertex)]))
            if _op_name(vertex) not in ACTIVATIONS:
                following += [p for p in vertex._parents if p is not None]
        frontier = following
    if not found:
        return ""
    nearest = {name.rpartition(".")[0] for d, name in found if d == found[0][0]}
    if len(nearest) == 1 and "" not in nearest:
        return nearest.pop()
    prefixes = [name.rpartition(".")[0] or name for _, name in found]
    common = prefixes[0]
    for prefix in prefixes[1:]:
        while common and prefix != common and not prefix.startswith(common + "."):
            common = common.rpartition(".")[0]
    return common or ", ".join(sorted({name for _, name in found}))


def _diagnose_one(
    name: str,
    param: Tensor,
    gradient: np.ndarray | None,
    order: list[Any],
    reach: set[int],
    differentiable: set[int],
    cut_links: dict[int, list[tuple[str, str | None]]],
    layers: dict[int, LayerSaturation],
    norms: dict[int, tuple[str, float]],
    tiny: float,
) -> ParamDiagnosis:
    shape = tuple(param.shape)
    if not param.requires_grad:
        return ParamDiagnosis(name, shape, "frozen", 0.0, ["requires_grad is False"])
    norm = float("nan") if gradient is None else float(np.linalg.norm(gradient))
    if id(param) not in reach:
        links = cut_links.get(id(param))
        if not links:
            return ParamDiagnosis(
                name, shape, "unreachable", norm, ["the output was not computed from it"]
            )
        how, where = links[0]
        status = _CUT_STATUS.get(how, "non-differentiable")
        ways = sorted({h for h, _ in links})
        text = f"reaches the output only through {' and '.join(_how_text(h) for h in ways)}"
        if where:
            text += f" (at {where})"
        return ParamDiagnosis(name, shape, status, norm, [text])
    if id(param) not in differentiable:
        ops = sorted(
            {_op_name(v) for v in on_paths(order, param) if _op_name(v) in NON_DIFFERENTIABLE}
        )
        ways = [f"{', '.join(ops)}, whose gradient is 0"]
        ways += [_how_text(how) for how in sorted({h for h, _ in cut_links.get(id(param), [])})]
        return ParamDiagnosis(
            name,
            shape,
            "non-differentiable",
            norm,
            [f"reaches the output only through {' and '.join(ways)}"],
        )
    paths = on_paths(order, param)
    saturation = [layers[id(v)] for v in paths if id(v) in layers and layers[id(v)].count]
    details = [str(layer) for layer in saturation]
    if math.isnan(norm):
        return ParamDiagnosis(
            name, shape, "unknown", norm, ["the graph was freed and its .grad is None"]
        )
    if norm >= tiny:
        return ParamDiagnosis(name, shape, "fine", norm, details, saturation)
    status = "zero" if norm == 0.0 else "tiny"
    if any(layer.count == layer.units for layer in saturation):
        return ParamDiagnosis(name, shape, "saturated", norm, details, saturation)
    reasons = zero_partners(param, paths, layers) or cancelled(param, paths, norms, tiny)
    if saturation and status == "tiny" and not reasons:
        return ParamDiagnosis(name, shape, "saturated", norm, details, saturation)
    reasons = reasons or [
        "it is reached, but the gradient arriving is 0 here (the output does not vary with it)"
    ]
    return ParamDiagnosis(name, shape, status, norm, reasons + details, saturation)


def _how_text(how: str) -> str:
    if how.startswith("comparison"):
        return f"a {how} (comparisons have no gradient)"
    return {
        "detach()": "detach()",
        "Tensor(t)": "a copy Tensor(t), which is cut from the graph like detach()",
        "no_grad": "operations inside no_grad()",
    }.get(how, how)
