"""What diagnose_grads returns: one `ParamDiagnosis` per parameter, the saturation of each
activation layer, and the `GradDiagnosis` report with its text table."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

#: a tanh/sigmoid unit is saturated where its local derivative is below this share of its peak
SATURATION = 0.01


@dataclass(frozen=True)
class LayerSaturation:
    """Dead or saturated units of one activation (one op of the graph).

    Attributes:
        layer: its name, e.g. ``ReLU after layers.0``.
        op: ``ReLU``, ``Tanh`` or ``Sigmoid``.
        count: units that pass no gradient for any sample of the batch.
        units: units in all.
        samples: the batch size the units were judged over (1 without a batch axis).
        created_at: the user's line that applied it (under `detect_anomaly`), or "".
    """

    layer: str
    op: str
    count: int
    units: int
    samples: int
    created_at: str = ""

    @property
    def fraction(self) -> float:
        """count / units."""
        return self.count / self.units if self.units else 0.0

    @property
    def kind(self) -> str:
        """ "dead" for ReLU, "saturated" for tanh and sigmoid."""
        return "dead" if self.op == "ReLU" else "saturated"

    def __str__(self) -> str:
        over = f" over a batch of {self.samples}" if self.samples > 1 else ""
        return (
            f"{self.layer}: {self.count} of {self.units} units {self.kind} "
            f"({100 * self.fraction:.0f}%){over}"
        )


@dataclass
class ParamDiagnosis:
    """What `diagnose_grads` found for one parameter.

    Attributes:
        name: its dotted name (a Module) or label / position.
        shape: its shape.
        status: one of `STATUSES` (see the module docstring).
        grad_norm: the 2-norm of d output / d parameter (0.0 when none reaches it; NaN when
            it could not be computed because the graph was freed).
        details: sentences saying why.
        saturation: the activations on its paths to the output with dead/saturated units.
    """

    name: str
    shape: tuple[int, ...]
    status: str
    grad_norm: float
    details: list[str] = field(default_factory=list)
    saturation: list[LayerSaturation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the status is ``fine``."""
        return self.status == "fine"


@dataclass
class GradDiagnosis:
    """The report of `diagnose_grads`: one `ParamDiagnosis` per parameter, and the layers.

    ``str(report)`` is a table; in Jupyter it shows as an HTML table. Index it by name:
    ``report["layers.0.weight"].status``.
    """

    output_shape: tuple[int, ...]
    params: list[ParamDiagnosis]
    layers: list[LayerSaturation]
    tiny: float
    notes: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> ParamDiagnosis:
        for param in self.params:
            if param.name == name:
                return param
        raise KeyError(f"diagnose_grads: no parameter named {name!r}")

    def __iter__(self) -> Any:
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)

    @property
    def ok(self) -> bool:
        """True when every parameter is ``fine``."""
        return all(param.ok for param in self.params)

    def _rows(self) -> list[tuple[str, str, str, str, str]]:
        rows = []
        for param in self.params:
            norm = "n/a" if math.isnan(param.grad_norm) else f"{param.grad_norm:.3g}"
            # a fine parameter needs no "why"; the activations it passes are listed below
            why = "" if param.ok else "; ".join(param.details)
            rows.append((param.name, str(param.shape), param.status, norm, why))
        return rows

    def __str__(self) -> str:
        fine = sum(param.ok for param in self.params)
        seed = "" if self.output_shape == () else " (of the sum of its entries)"
        lines = [
            f"diagnose_grads: {fine} of {len(self.params)} parameters get a gradient "
            f"(d output{seed} / d parameter, computed without touching .grad; tiny < {self.tiny:g})"
        ]
        header = ("name", "shape", "status", "grad norm", "why")
        rows = [header, *self._rows()]
        widths = [max(len(row[col]) for row in rows) for col in range(4)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row[:4], widths)]
            lines.append("  " + "  ".join(cells) + "  " + row[4])
        if self.layers:
            lines.append("activations (dead ReLU units: input <= 0 for every sample; saturated")
            lines.append(
                f"  tanh/sigmoid: derivative < {SATURATION:g} of its peak for every sample):"
            )
            lines += [f"  {layer}" for layer in self.layers]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(line.rstrip() for line in lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        colours = {"fine": "#2b8a3e", "saturated": "#e67700", "tiny": "#e67700"}
        cells = []
        for name, shape, status, norm, why in self._rows():
            colour = colours.get(status, "#c92a2a")
            cells.append(
                f"<tr><td><code>{html.escape(name)}</code></td><td>{html.escape(shape)}</td>"
                f'<td style="color:{colour}"><b>{html.escape(status)}</b></td>'
                f"<td>{html.escape(norm)}</td>"
                f"<td style='text-align:left'>{html.escape(why)}</td></tr>"
            )
        layers = "".join(f"<li>{html.escape(str(layer))}</li>" for layer in self.layers)
        notes = "".join(f"<p><i>{html.escape(note)}</i></p>" for note in self.notes)
        return (
            "<table><tr><th>name</th><th>shape</th><th>status</th><th>grad norm</th>"
            "<th>why</th></tr>"
            + "".join(cells)
            + "</table>"
            + (f"<p>activations:</p><ul>{layers}</ul>" if layers else "")
            + notes
        )


# ------------------------------------------------------------------------ the entry
