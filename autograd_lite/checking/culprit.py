"""Which op is wrong: when gradcheck fails for a Tensor function, check each recorded op alone.

The function is run once more under `engine.anomaly.recording_inputs`: every op it applies
records its call site in the user's code and a copy of its input arrays and options. Then,
in forward order, each op is re-run on copies of those arrays and its backward is compared
with central differences of its own forward there, along random directions (one backward
with a random upstream gradient ``u``, and for each input a random direction ``v``)::

    u . (f(x + eps v) - f(x - eps v)) / (2 eps)   against   (J^T u) . v

The first op that disagrees (or whose backward raises) is the culprit; it is named with the
file and line that created it. An op sitting within a few ``eps`` of one of its kinks is
not judged (see `kinks`); nor are ops that compute in float32 or that give different
results for the same inputs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.anomaly import recording_inputs
from ..engine.backward import grad
from ..engine.walk import topological_order
from ..grad_mode import enable_grad, no_grad
from ..tensor import Tensor
from .kinks import KINK_OPS, distance

_SITE = re.compile(r"^(?P<file>.*?):(?P<line>\d+) in ")
#: an op whose input is this many eps from a kink is not judged (its step may cross it)
KINK_MARGIN = 10.0


@dataclass(frozen=True)
class Culprit:
    """The first recorded op whose backward disagrees with its own forward.

    Attributes:
        op: the op's name (a custom Function's class name, or e.g. ``Mul``).
        created_at: ``"file:line in function: source"`` of the user's code that applied it.
        position: its place among the function's recorded ops, in forward order (1 first).
        n_ops: how many recorded ops the function applied.
        input: which input of the op has the wrong gradient (None when backward raised).
        analytic: ``(J^T u) . v`` from the op's backward.
        numerical: the same from central differences of its forward.
        problem: what went wrong, when backward raised instead.
    """

    op: str
    created_at: str
    position: int
    n_ops: int
    input: int | None = None
    analytic: float = float("nan")
    numerical: float = float("nan")
    problem: str = ""

    @property
    def filename(self) -> str:
        """The file of the user's code that created the op ("" when unknown)."""
        match = _SITE.match(self.created_at)
        return match.group("file") if match else ""

    @property
    def lineno(self) -> int | None:
        """The line of the user's code that created the op (None when unknown)."""
        match = _SITE.match(self.created_at)
        return int(match.group("line")) if match else None

    def __str__(self) -> str:
        head = f"{self.op} (op {self.position} of {self.n_ops}, created at {self.created_at})"
        if self.problem:
            return f"{head}: its backward {self.problem}"
        return (
            f"{head}: its backward disagrees with finite differences of its own forward at "
            f"the inputs it was given: for its input {self.input}, (J^T u) . v = "
            f"{self.analytic:.6g} from backward but {self.numerical:.6g} numerically "
            "(u, v random directions)"
        )


@dataclass
class CulpritSearch:
    """What the search found: the culprit (or None) and how many ops it judged."""

    culprit: Culprit | None
    n_ops: int
    n_checked: int
    skipped: list[str]


def find_culprit(
    fn: Callable[..., Any], args: Sequence[Any], *, eps: float, atol: float, rtol: float
) -> CulpritSearch:
    """Run ``fn(*args)`` recording its ops and check each one alone, in forward order."""
    with recording_inputs(), enable_grad():
        result = fn(*args)
    outputs = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    roots = [out._vertex() for out in outputs if isinstance(out, Tensor) and out._node is not None]
    nodes = [v for v in topological_order(roots) if not isinstance(v, Tensor)] if roots else []
    rng = np.random.default_rng(0)
    search = CulpritSearch(None, len(nodes), 0, [])
    for number, node in enumerate(nodes, start=1):
        recorded = getattr(node, "recorded", None)
        if recorded is None:
            continue
        arrays, kwargs = recorded
        needs = [parent is not None for parent in node._parents]
        verdict = check_op(node.fn, arrays, kwargs, needs, eps, atol, rtol, rng)
        if isinstance(verdict, str):
            search.skipped.append(f"{node.name}: {verdict}")
            continue
        search.n_checked += 1
        if verdict is not None:
            search.culprit = Culprit(
                node.name,
                node.created_at or "<unknown location>",
                number,
                len(nodes),
                *verdict,
            )
            return search
    return search


def check_op(
    fn: Any,
    arrays: Sequence[np.ndarray],
    kwargs: dict[str, Any],
    needs: Sequence[bool],
    eps: float,
    atol: float,
    rtol: float,
    rng: np.random.Generator,
) -> tuple[int | None, float, float, str] | str | None:
    """Check one op's backward against its forward at ``arrays``.

    Returns:
        None when they agree; (input, analytic, numerical, problem) when they do not; a
        string saying why the op was not judged (a kink, float32, not deterministic).
    """
    name = getattr(fn, "__name__", "op")
    if name in KINK_OPS and distance(name, arrays, kwargs) <= KINK_MARGIN * eps:
        return "not judged: an input sits at its kink"
    checked = [
        i for i, (array, need) in enumerate(zip(arrays, needs)) if need and array.dtype.kind == "f"
    ]
    if not checked:
        return "not judged: no input needs a gradient"

    def inputs_at(shifts: dict[int, np.ndarray] | None = None) -> list[Tensor]:
        made = []
        for i, array in enumerate(arrays):
            data = array.astype(np.float64) if i in checked else array.copy()
            if shifts and i in shifts:
                data = data + shifts[i]
            made.append(Tensor._wrap(data, i in checked))
        return made

    def run(xs: list[Tensor]) -> tuple[Tensor, ...]:
        out = fn.apply(*xs, **kwargs)
        return tuple(out) if isinstance(out, (tuple, list)) else (out,)

    try:
        with no_grad():
            first = [o.data.copy() for o in run(inputs_at())]
            again = [o.data for o in run(inputs_at())]
    except Exception as exc:  # noqa: BLE001 - the op no longer runs on copies: say so
        return f"not judged: its forward raised {type(exc).__name__} on copies of its inputs"
    if any(a.dtype != np.float64 for a in first):
        return "not judged: it computes in float32"
    if any(
        a.shape != b.shape or not np.array_equal(a, b, equal_nan=True) for a, b in zip(first, again)
    ):
        return "not judged: its forward is not deterministic"
    xs = inputs_at()
    with enable_grad():
        outputs = run(xs)
    upstream = [rng.standard_normal(o.shape) for o in outputs]
    live = [k for k, o in enumerate(outputs) if o.requires_grad]
    try:
        grads: list[np.ndarray] = [np.zeros(xs[i].shape) for i in checked]
        if live:
            computed = grad(
                [outputs[k] for k in live],
                [xs[i] for i in checked],
                grad_outputs=[Tensor(upstream[k]) for k in live],
            )
            grads = [g.data for g in computed]
    except Exception as exc:  # noqa: BLE001 - a backward that raises is the finding
        return (None, float("nan"), float("nan"), f"raised {type(exc).__name__}: {exc}")
    for i, gradient in zip(checked, grads):
        direction = rng.standard_normal(arrays[i].shape)
        terms = gradient * direction
        analytic = float(np.sum(terms))
        with no_grad():
            plus = run(inputs_at({i: eps * direction}))
            minus = run(inputs_at({i: -eps * direction}))
        numerical = float(
            sum(np.sum(u * (p.data - m.data)) for u, p, m in zip(upstream, plus, minus)) / (2 * eps)
        )
        scale = max(abs(numerical), float(np.sum(np.abs(terms))))
        if not abs(analytic - numerical) <= atol + rtol * scale:
            return (i, analytic, numerical, "")
    return None
