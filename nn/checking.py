"""gradcheck_module: check a whole model's gradients, one number per parameter.

A full Jacobian per parameter (what `autograd_lite.gradcheck` builds) costs two loss
evaluations per entry; a model has thousands. Here each named parameter ``p`` gets one
random unit direction ``d`` and two evaluations: the directional derivative of the loss
along ``d`` by central differences,

    (L(p + eps d) - L(p - eps d)) / (2 eps),

against the engine's ``grad(L, p) . d``. A wrong gradient anywhere in ``p`` shows up along
almost every direction. Nothing is left changed: ``.grad`` is not touched, each parameter's
array is restored exactly, and the parameters keep their version stamps (so a graph built
before the check still runs backward), except float32 parameters, which are checked as
float64 copies (central differences need the precision) and then given their arrays back.
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd_lite import Tensor, grad, no_grad


@dataclass(frozen=True)
class ParameterCheck:
    """One row of `gradcheck_module`'s table."""

    name: str
    shape: tuple[int, ...]
    analytic: float  # grad . d
    numerical: float  # (L(p + eps d) - L(p - eps d)) / (2 eps)
    ok: bool

    @property
    def abs_error(self) -> float:
        """|analytic - numerical|."""
        return abs(self.analytic - self.numerical)

    @property
    def rel_error(self) -> float:
        """abs_error / |numerical| (inf when numerical is 0 and the error is not)."""
        if self.abs_error == 0.0:
            return 0.0
        return self.abs_error / abs(self.numerical) if self.numerical else math.inf


@dataclass
class ModuleGradcheckReport:
    """The table of `gradcheck_module`: one `ParameterCheck` per named parameter.

    ``str(report)`` is the table (name, shape, analytic, numeric, rel. error, ok); in
    Jupyter it shows as HTML; ``report.passed`` is True when every row is ok;
    ``report[name]`` is one row.
    """

    rows: list[ParameterCheck]
    loss: float
    eps: float
    atol: float
    rtol: float
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every parameter's directional derivatives agree."""
        return all(row.ok for row in self.rows)

    def __getitem__(self, name: str) -> ParameterCheck:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"gradcheck_module: no parameter named {name!r}")

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def _cells(self) -> list[tuple[str, ...]]:
        return [
            (
                row.name,
                str(row.shape),
                f"{row.analytic:.8g}",
                f"{row.numerical:.8g}",
                f"{row.rel_error:.2e}",
                "ok" if row.ok else "WRONG",
            )
            for row in self.rows
        ]

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        wrong = sum(not row.ok for row in self.rows)
        lines = [
            f"gradcheck_module {verdict}: {len(self.rows) - wrong} of {len(self.rows)} "
            f"parameters agree (loss {self.loss:.8g}; directional derivatives along a random "
            f"unit direction, eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g})"
        ]
        table = [("name", "shape", "analytic", "numeric", "rel. error", "ok"), *self._cells()]
        widths = [max(len(row[col]) for row in table) for col in range(6)]
        for row in table:
            lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        header = "".join(
            f"<th>{h}</th>" for h in ("name", "shape", "analytic", "numeric", "rel. error", "ok")
        )
        body = "".join(
            "<tr>"
            + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells[:5])
            + f'<td style="color:{"#2b8a3e" if cells[5] == "ok" else "#c92a2a"}">'
            + f"<b>{cells[5]}</b></td></tr>"
            for cells in self._cells()
        )
        return f"<table><tr>{header}</tr>{body}</table>"


def gradcheck_module(
    model: Any,
    loss_fn: Callable[[Any, Any], Tensor],
    inputs: Any,
    targets: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    generator: np.random.Generator | None = None,
) -> ModuleGradcheckReport:
    """Check every named parameter's gradient along a random direction.

    Args:
        model: an ``nn.Module`` (anything with ``named_parameters()`` that is callable).
        loss_fn: ``loss_fn(model(inputs), targets)`` must give a single-element Tensor.
        inputs: the model's input (a tuple is passed as several arguments).
        targets: passed to ``loss_fn`` as they are.
        eps: the central-difference step along the unit direction.
        atol: absolute tolerance; a row is ok when ``|analytic - numeric| <= atol + rtol *
            |numeric|``.
        rtol: relative tolerance.
        generator: draws the directions (default: ``np.random.default_rng(0)``).

    Returns:
        A `ModuleGradcheckReport` (``.passed``, ``str()`` is the table).

    Raises:
        ValueError: if the loss has more than one element or is not deterministic (e.g.
            dropout in training mode: call ``model.eval()`` first), or eps is not > 0.
        TypeError: if ``model`` has no ``named_parameters()``.

    Example:
        >>> model = nn.Linear(2, 1)
        >>> x, y = Tensor([[1.0, 2.0], [0.5, -1.0]]), Tensor([[0.5], [1.0]])
        >>> report = nn.gradcheck_module(model, nn.MSELoss(), x, y)
        >>> report.passed
        True
    """
    if not hasattr(model, "named_parameters"):
        raise TypeError(f"gradcheck_module: model must be an nn.Module, got {type(model).__name__}")
    if not (isinstance(eps, (int, float)) and math.isfinite(eps) and eps > 0):
        raise ValueError(f"gradcheck_module: eps must be a positive finite number, got {eps!r}")
    named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    rng = generator if generator is not None else np.random.default_rng(0)
    arguments = inputs if isinstance(inputs, tuple) else (inputs,)

    def loss_tensor() -> Tensor:
        loss = loss_fn(model(*arguments), targets)
        if not isinstance(loss, Tensor) or loss.data.size != 1:
            shape = getattr(loss, "shape", type(loss).__name__)
            raise ValueError(
                f"gradcheck_module: loss_fn must return a single-element Tensor, got {shape}"
            )
        return loss

    def loss_value() -> float:
        with no_grad():
            return float(np.asarray(loss_tensor().data, dtype=np.float64).reshape(()))

    notes: list[str] = []
    promoted = [(p, p.data) for _, p in named if p.dtype != np.float64]
    if promoted:
        warnings.warn(
            f"gradcheck_module: {len(promoted)} float32 parameter(s) are checked as float64 "
            "copies (central differences need the precision); their arrays are given back",
            stacklevel=2,
        )
        notes.append("float32 parameters were checked as float64 copies")
    try:
        for p, data in promoted:
            p.data = data.astype(np.float64)
        first, second = loss_value(), loss_value()
        if first != second:
            raise ValueError(
                "gradcheck_module: the loss is not deterministic (two evaluations gave "
                f"{first!r} and {second!r}); put the model in eval mode (model.eval()) or "
                "remove the randomness"
            )
        loss = loss_tensor()
        grads = grad(loss, [p for _, p in named]) if named else ()
        rows = []
        for (name, p), g in zip(named, grads):
            direction = rng.standard_normal(p.shape)
            norm = float(np.linalg.norm(direction))
            direction = direction / norm if norm else direction
            analytic = float(np.sum(np.asarray(g.data, dtype=np.float64) * direction))
            numerical = _directional(p, direction, eps, loss_value)
            ok = abs(analytic - numerical) <= atol + rtol * abs(numerical)
            rows.append(ParameterCheck(name, tuple(p.shape), analytic, numerical, bool(ok)))
    finally:
        for p, data in promoted:
            p.data = data
    return ModuleGradcheckReport(rows, first, float(eps), float(atol), float(rtol), notes)


def _directional(
    param: Tensor, direction: np.ndarray, eps: float, loss_value: Callable[[], float]
) -> float:
    """(L(p + eps d) - L(p - eps d)) / (2 eps), writing into p's array and restoring it
    exactly (an in-place write: the parameter keeps its version stamp)."""
    array = param.data
    saved = array.copy()
    try:
        array[...] = saved + eps * direction
        plus = loss_value()
        array[...] = saved - eps * direction
        minus = loss_value()
    finally:
        array[...] = saved
    return (plus - minus) / (2 * eps)
