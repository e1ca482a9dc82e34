"""gradcheck's comparison: analytic against numerical Jacobians, and the report it builds.

`run_comparison` records every disagreeing entry as a `Mismatch` in a `GradcheckReport` (plus a
random-upstream check for Tensors); `GradcheckReport.format` renders the failure table and
the hints (`_hints`, judged per input and output: zero, sign, constant factor, transposed,
a few entries). With ``analyse`` (gradcheck, not gradgradcheck) it also looks for kinks the
check met (`kinks`) and, on failure, for the first faulty op (`culprit`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .culprit import Culprit, find_culprit
from .jacobian import (
    _analytic_tensor,
    _analytic_value,
    _get,
    _output_arrays,
    _safe_grad,
    _set,
    _shape,
    call_outputs,
    function_name,
    input_label,
    numerical_jacobian,
)
from .kinks import KinkNote, find_kinks

#: At most this many rows of the failure table are shown (a screenful).
MAX_TABLE_ROWS = 20


@dataclass
class Mismatch:
    """One Jacobian entry (or random-upstream product) where analytic != numerical."""

    input_position: int
    input_name: str
    input_index: tuple[int, ...]
    output_name: str
    output_index: tuple[int, ...] | None
    analytic: float
    numerical: float

    @property
    def abs_error(self) -> float:
        """|analytic - numerical| (inf when either is not finite)."""
        error = abs(self.analytic - self.numerical)
        return math.inf if math.isnan(error) else error

    @property
    def rel_error(self) -> float:
        """abs_error / |numerical| (inf when numerical is 0 and the error is not)."""
        if self.abs_error == 0.0:
            return 0.0
        scale = abs(self.numerical)
        return self.abs_error / scale if scale > 0 else math.inf


@dataclass
class GradcheckReport:
    """Everything one check found; `format` renders it as the error message."""

    what: str
    fn_name: str
    atol: float
    rtol: float
    num_checked: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    max_abs_error: float = 0.0
    #: the first recorded op whose backward disagrees with its own forward (Tensor
    #: functions that fail gradcheck), or None
    culprit: Culprit | None = None
    #: ops of the function at or near one of their kinks (see `kinks`)
    kinks: list[KinkNote] = field(default_factory=list)
    #: remarks shown even when the check passes (a point exactly at a kink)
    notes: list[str] = field(default_factory=list)
    eps: float = 0.0

    @property
    def passed(self) -> bool:
        """True when no entry failed and no problem was found."""
        return not self.mismatches and not self.problems

    def format(self, max_rows: int = MAX_TABLE_ROWS) -> str:
        """The report as text: problems, counts, the worst rows as a table, hints."""
        if self.passed:
            passed = (
                f"{self.what} passed for {self.fn_name}: {self.num_checked} checked entries "
                f"agree (max abs error {self.max_abs_error:.2e})"
            )
            return "\n".join([passed] + [f"  note: {note}" for note in self.notes])
        lines = [f"{self.what} failed for {self.fn_name}"]
        if self.culprit is not None:
            lines.append(f"  culprit: {self.culprit}")
        lines += [f"  {problem}" for problem in self.problems]
        if self.mismatches:
            lines.append(
                f"  {len(self.mismatches)} of {self.num_checked} entries differ "
                f"(failing: |analytic - numerical| > atol + rtol * |numerical|, "
                f"atol={self.atol:g}, rtol={self.rtol:g}); worst first:"
            )
            lines += _table(self.mismatches[:max_rows])
            hidden = len(self.mismatches) - max_rows
            if hidden > 0:
                lines.append(f"  ... and {hidden} more failing entries not shown")
        lines += [f"  hint: {hint}" for hint in self.hints]
        return "\n".join(lines)


def _table(rows: Sequence[Mismatch]) -> list[str]:
    header = ("input", "input index", "output", "output index", "analytic", "numerical")
    cells = [header + ("abs error", "rel error")]
    for row in rows:
        cells.append(
            (
                row.input_name,
                _index_text(row.input_index),
                row.output_name,
                "-" if row.output_index is None else _index_text(row.output_index),
                f"{row.analytic:.6g}",
                f"{row.numerical:.6g}",
                f"{row.abs_error:.2e}",
                f"{row.rel_error:.2e}",
            )
        )
    widths = [max(len(line[col]) for line in cells) for col in range(len(header) + 2)]
    return ["    " + "  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in cells]


def _index_text(index: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(i) for i in index) + ("," if len(index) == 1 else "") + ")"


def run_comparison(
    fn: Callable[..., Any],
    args: list[Any],
    positions: list[int],
    kind: str,
    *,
    eps: float,
    atol: float,
    rtol: float,
    what: str,
    output_names: Sequence[str] | None = None,
    analyse: bool = False,
) -> GradcheckReport:
    """Compare analytic and numerical Jacobians of ``fn`` at ``args``; records, never raises.

    With ``analyse``: also note kinks near the point, and on failure of a Tensor function
    search for the faulty op (`culprit.find_culprit`).
    """
    report = GradcheckReport(what=what, fn_name=function_name(fn), atol=atol, rtol=rtol, eps=eps)
    outputs = call_outputs(fn, args, kind, what)
    first = _output_arrays(outputs)
    second = _output_arrays(call_outputs(fn, args, kind, what))
    for k, (a, b) in enumerate(zip(first, second)):
        if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True):
            difference = np.nanmax(np.abs(a - b)) if a.shape == b.shape else "shape changed"
            report.problems.append(
                f"{function_name(fn)} is not deterministic: two evaluations at the same point "
                f"differ in output {k} (max difference {difference}); finite differences need a "
                "function that gives the same result for the same input"
            )
            return report
    if output_names is None:
        output_names = [str(k) for k in range(len(outputs))]

    if kind == "tensor":
        analytic = _analytic_tensor(outputs, args, positions, report)
        if analytic is None:
            if analyse:
                _search_culprit(fn, args, report)
            return report
    else:
        analytic = _analytic_value(outputs, args, positions)
    numerical = numerical_jacobian(fn, args, positions, eps)

    for i, position in enumerate(positions):
        for k in range(len(outputs)):
            a, n = analytic[i][k], numerical[i][k]
            report.num_checked += a.size
            if a.size:
                finite = np.abs(a - n)[np.isfinite(a - n)]
                if finite.size:
                    report.max_abs_error = max(report.max_abs_error, float(finite.max()))
            bad = ~np.isclose(a, n, rtol=rtol, atol=atol)
            for j, m in zip(*np.nonzero(bad)):
                report.mismatches.append(
                    Mismatch(
                        input_position=position,
                        input_name=input_label(args, position),
                        input_index=tuple(
                            int(v) for v in np.unravel_index(m, _shape(args[position]))
                        ),
                        output_name=output_names[k],
                        output_index=tuple(int(v) for v in np.unravel_index(j, first[k].shape)),
                        analytic=float(a[j, m]),
                        numerical=float(n[j, m]),
                    )
                )
    if not report.mismatches and kind == "tensor":
        _check_random_upstream(outputs, args, positions, numerical, report)
    report.mismatches.sort(key=lambda row: (-row.abs_error, row.input_position))
    if analyse:
        failing = [(row.input_position, row.input_index) for row in report.mismatches]
        report.kinks = find_kinks(fn, args, kind, eps, failing, get=_get, put=_set, shape=_shape)
        if not report.passed and kind == "tensor":
            _search_culprit(fn, args, report)
    report.hints = _hints(report, analytic, numerical, args, positions, output_names)
    if report.passed:
        report.notes += [_kink_note_when_passing(note, eps) for note in report.kinks]
    return report


def _search_culprit(fn: Callable[..., Any], args: list[Any], report: GradcheckReport) -> None:
    """Name the first faulty op (`culprit`); say so when every op agrees on its own."""
    try:
        search = find_culprit(fn, args, eps=report.eps, atol=report.atol, rtol=report.rtol)
    except Exception as exc:  # noqa: BLE001 - the search must never hide the check's result
        report.hints.append(f"the search for the faulty op could not run ({exc})")
        return
    report.culprit = search.culprit
    crossed = any(note.crossed for note in report.kinks)
    if search.culprit is None and search.n_checked and not crossed:
        report.hints.append(
            f"each of the {search.n_checked} recorded ops that could be judged agrees with "
            "finite differences of its own forward at the inputs it was given, so the "
            "difference comes from outside the recorded graph (a step through .data, "
            ".numpy() or NumPy, detach(), or a value the function captured) or from an op "
            "that was not judged" + (f" ({'; '.join(search.skipped)})" if search.skipped else "")
        )


def _kink_note_when_passing(note: KinkNote, eps: float) -> str:
    return (
        f"{note.describe(eps)}. The check passed, but at a kink it compares the engine's "
        "convention (one side's slope, or 0 as PyTorch gives at abs(0) and relu(0)) with the "
        "average of the slopes on both sides; it says nothing about the slopes beside the "
        "kink. Check at a point further than eps from it as well."
    )


def _kink_hints(report: GradcheckReport, args: Sequence[Any]) -> tuple[list[str], set[int]]:
    """Hints for failing entries whose finite-difference step crossed a kink, and the
    inputs they explain (their generic hints would mislead: not a factor, not a zero)."""
    hints = []
    explained: set[int] = set()
    for note in report.kinks:
        if not note.crossed:
            continue
        positions = sorted({position for position, _ in note.crossed})
        explained.update(positions)
        names = ", ".join(f"input {input_label(args, p)}" for p in positions)
        hints.append(
            f"{names}: the step of the check crosses a kink: {note.describe(report.eps)}. "
            "There the central difference averages the slopes on both sides while the "
            "engine gives one side's slope, so this disagreement is expected, not a bug in "
            "backward; check at a point further than eps from the kink (CLI: --at)"
        )
    for note in report.kinks:
        if not note.crossed and note.distance <= report.eps:
            hints.append(f"{note.describe(report.eps)}: finite differences are unreliable there")
    return hints, explained


def _check_random_upstream(
    outputs: tuple[Any, ...],
    args: list[Any],
    positions: list[int],
    numerical: list[list[np.ndarray]],
    report: GradcheckReport,
) -> None:
    """One backward with a random upstream gradient for all outputs: u . J must agree."""
    rng = np.random.default_rng(0)
    upstream = [rng.standard_normal(out.shape) for out in outputs]
    live = [k for k, out in enumerate(outputs) if out.requires_grad]
    if not live:
        return
    inputs = [args[p] for p in positions]
    grads = _safe_grad(
        [outputs[k] for k in live], inputs, [upstream[k] for k in live], report, "random upstream"
    )
    if grads is None:
        return
    for i, position in enumerate(positions):
        expected = sum(upstream[k].reshape(-1) @ numerical[i][k] for k in range(len(outputs)))
        got = grads[i].reshape(-1)
        report.num_checked += got.size
        for m in np.nonzero(~np.isclose(got, expected, rtol=report.rtol, atol=report.atol))[0]:
            report.mismatches.append(
                Mismatch(
                    input_position=position,
                    input_name=input_label(args, position),
                    input_index=tuple(int(v) for v in np.unravel_index(m, _shape(args[position]))),
                    output_name="random upstream",
                    output_index=None,
                    analytic=float(got[m]),
                    numerical=float(expected[m]),
                )
            )
    if report.mismatches:
        report.hints.append(
            "every one-hot row of the Jacobian agrees but a random upstream gradient does "
            "not: does backward use grad_output linearly (not ignore, square or reshape it)?"
        )


def _hints(
    report: GradcheckReport,
    analytic: list[list[np.ndarray]],
    numerical: list[list[np.ndarray]],
    args: Sequence[Any],
    positions: Sequence[int],
    output_names: Sequence[str],
) -> list[str]:
    """Guesses at the kind of bug, per input and output: zero, sign, constant factor,
    transposed, a few entries. Kinks the check crossed replace them for the inputs involved."""
    hints = list(report.hints)
    kink_hints, explained = _kink_hints(report, args)
    hints += kink_hints
    failing = {
        (row.input_position, row.output_name)
        for row in report.mismatches
        if row.output_index is not None
    }
    several = len(output_names) > 1
    for i, position in enumerate(positions):
        if position in explained:
            continue
        for k, output_name in enumerate(output_names):
            if (position, output_name) not in failing:
                continue
            name = f"input {input_label(args, position)}"
            if several:
                name += f", output {output_name}"
            hint = _block_hint(
                report,
                analytic[i][k],
                numerical[i][k],
                _shape(args[position]),
                name,
                sum(
                    1
                    for row in report.mismatches
                    if row.input_position == position and row.output_name == output_name
                ),
            )
            if hint:
                hints.append(hint)
    return hints


def _block_hint(
    report: GradcheckReport,
    analytic: np.ndarray,
    numerical: np.ndarray,
    shape: tuple[int, ...],
    name: str,
    count: int,
) -> str | None:
    """The hint for one block of the Jacobian (one input, one output), if one fits."""
    a, n = analytic.reshape(-1), numerical.reshape(-1)
    scale = report.atol + report.rtol * np.abs(n)
    significant = np.abs(n) > scale
    if not np.any(a) and np.any(n):
        return (
            f"{name}: the analytic gradient is all zero; no gradient reaches it "
            "(a missing return value in backward, or a step outside the graph?)"
        )
    if np.any(significant) and np.allclose(a, -n, rtol=report.rtol, atol=report.atol):
        return f"{name}: analytic = -numerical everywhere (a sign error?)"
    if not np.any(significant):
        return None
    ratios = a[significant] / n[significant]
    factor = float(np.median(ratios))
    if np.allclose(a, factor * n, rtol=report.rtol, atol=report.atol):
        return (
            f"{name}: analytic = {factor:.6g} * numerical everywhere "
            "(a missing or extra constant factor?)"
        )
    if _looks_transposed([analytic], [numerical], shape, report):
        return (
            f"{name}: the analytic gradient matches the numerical one with its "
            "two axes swapped (a transposed gradient?)"
        )
    if count <= 2 < a.size:
        return (
            f"{name}: only {count} of {a.size} entries are wrong (a special case, "
            "an index or a boundary?)"
        )
    return None


def _looks_transposed(
    analytic: list[np.ndarray], numerical: list[np.ndarray], shape: tuple[int, ...], report: Any
) -> bool:
    if len(shape) != 2 or shape[0] != shape[1]:
        return False
    return all(
        np.allclose(
            a.reshape(-1, *shape).transpose(0, 2, 1),
            n.reshape(-1, *shape),
            rtol=report.rtol,
            atol=report.atol,
        )
        for a, n in zip(analytic, numerical)
    )
