"""Gradient checking: the engine's Jacobian against central finite differences.

`gradcheck` builds the full Jacobian of ``fn(*inputs)`` twice: analytically, with one
backward pass per output element (each seeded with a one-hot upstream gradient), and
numerically, with two evaluations per input element::

    d out[j] / d x[m]  ~=  (fn(x + eps e_m)[j] - fn(x - eps e_m)[j]) / (2 eps)

Everything runs in float64 on copies of the inputs, so the caller's tensors and their
``.grad`` are never touched. When the Jacobians agree, one more backward pass with a random
upstream gradient checks that the rules scale with ``grad_output`` (a rule that ignores
it, or squares it, agrees with one-hot seeds but not with this one).

`gradgradcheck` runs the same check on the gradient function
``x -> grad(fn(x), x, grad_outputs=u, create_graph=True)`` for a random ``u``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .autograd import grad
from .graph import topological_order
from .tensor import Tensor
from .value import Value

#: At most this many rows of the failure table are shown (a screenful).
MAX_TABLE_ROWS = 20


class GradcheckError(RuntimeError):
    """The analytic and the numerical gradient disagree (or backward misbehaved).

    Attributes:
        report: the `GradcheckReport` with every mismatch, worst first, and any problem
            found (non-determinism, a backward that raised or returned a wrong shape).
    """

    def __init__(self, report: GradcheckReport) -> None:
        super().__init__(report.format())
        self.report = report


class GradcheckWarning(UserWarning):
    """gradcheck changed something about the check, e.g. promoted float32 inputs."""


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

    @property
    def passed(self) -> bool:
        """True when no entry failed and no problem was found."""
        return not self.mismatches and not self.problems

    def format(self, max_rows: int = MAX_TABLE_ROWS) -> str:
        """The report as text: problems, counts, the worst rows as a table, hints."""
        if self.passed:
            return (
                f"{self.what} passed for {self.fn_name}: {self.num_checked} checked entries "
                f"agree (max abs error {self.max_abs_error:.2e})"
            )
        lines = [f"{self.what} failed for {self.fn_name}"]
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


# --------------------------------------------------------------------------- inputs


def _copy_inputs(inputs: Any, what: str) -> tuple[list[Any], list[int], str]:
    """float64 copies of the inputs, the positions to check, and 'tensor' or 'value'."""
    if isinstance(inputs, (Tensor, Value)):
        inputs = (inputs,)
    if not isinstance(inputs, (tuple, list)):
        raise TypeError(
            f"{what}: inputs must be a Tensor, a Value or a tuple/list of them, "
            f"got {type(inputs).__name__}"
        )
    has_tensor = any(isinstance(x, Tensor) for x in inputs)
    has_value = any(isinstance(x, Value) for x in inputs)
    if has_tensor and has_value:
        raise TypeError(f"{what}: inputs mix Tensors and Values; check one kind at a time")
    args: list[Any] = []
    checked: list[int] = []
    promoted: list[int] = []
    for position, item in enumerate(inputs):
        if isinstance(item, Tensor):
            if item.dtype == np.float32:
                promoted.append(position)
            copy = Tensor(item.data.astype(np.float64), requires_grad=item.requires_grad)
            copy.label = item.label
            if item.requires_grad:
                checked.append(position)
            args.append(copy)
        elif isinstance(item, Value):
            args.append(Value(item.data, label=item.label))
            checked.append(position)
        else:
            args.append(item)
    if promoted:
        warnings.warn(
            f"{what}: input(s) {promoted} are float32; checking in float64, because central "
            "differences need the precision",
            GradcheckWarning,
            stacklevel=4,  # the caller of gradcheck / gradgradcheck
        )
    if not checked:
        raise ValueError(
            f"{what}: no input to check; give at least one Tensor with requires_grad=True "
            "(or a Value)"
        )
    return args, checked, "value" if has_value else "tensor"


def _input_name(args: Sequence[Any], position: int) -> str:
    label = getattr(args[position], "label", "")
    return f"{position} ({label})" if label else str(position)


def _outputs(fn: Callable[..., Any], args: Sequence[Any], kind: str, what: str) -> tuple:
    """Call ``fn`` and return its outputs as a tuple, checking their type."""
    result = fn(*args)
    outputs = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    expected = Tensor if kind == "tensor" else Value
    for k, out in enumerate(outputs):
        if not isinstance(out, expected):
            raise TypeError(
                f"{what}: output {k} of {_name(fn)} is a {type(out).__name__}; a function "
                f"of {expected.__name__}s must return {expected.__name__}s (or a tuple of them)"
            )
    return outputs


def _output_arrays(outputs: tuple) -> list[np.ndarray]:
    return [np.array(out.data, dtype=np.float64) for out in outputs]


def _name(fn: Callable[..., Any]) -> str:
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, type):  # e.g. Square.apply: name the subclass, not Function
        return f"{owner.__name__}.{fn.__name__}"
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


def _flat(arg: Any) -> np.ndarray:
    """A writable flat view of a Tensor copy's data (our own float64 copy)."""
    return arg.data.reshape(-1)


def _size(arg: Any) -> int:
    return arg.data.size if isinstance(arg, Tensor) else 1


def _shape(arg: Any) -> tuple[int, ...]:
    return arg.data.shape if isinstance(arg, Tensor) else ()


def _check_settings(prefix: str, eps: Any, atol: Any, rtol: Any) -> None:
    """Reject a step or tolerance that would make the check meaningless, naming it.

    ``prefix`` starts each message: "gradcheck: " for the API, "--" for the command line.
    """
    for name, number in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if isinstance(number, (bool, np.bool_)) or not isinstance(
            number, (int, float, np.integer, np.floating)
        ):
            raise TypeError(f"{prefix}{name} must be a real number, got {type(number).__name__}")
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"{prefix}eps must be a positive finite number, got {eps!r}")
    for name, number in (("atol", atol), ("rtol", rtol)):
        if not (math.isfinite(number) and number >= 0):
            raise ValueError(f"{prefix}{name} must be a finite number >= 0, got {number!r}")


# --------------------------------------------------------------------------- Jacobians


def numerical_jacobian(
    fn: Callable[..., Any], args: Sequence[Any], positions: Sequence[int], eps: float = 1e-6
) -> list[list[np.ndarray]]:
    """Central-difference Jacobian blocks ``J[i][k]`` of shape (output k size, input i size).

    ``args`` are modified in place one element at a time and restored exactly; pass copies
    (as `gradcheck` does) if the originals matter.

    Args:
        fn: the function; returns a Tensor/Value or a tuple of them.
        args: its arguments; the ones at ``positions`` are float64 Tensors or Values.
        positions: which arguments to differentiate with respect to.
        eps: the step of the central difference.

    Returns:
        One list per position, holding one 2-D array per output.

    Example:
        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> numerical_jacobian(lambda t: t * t, [x], [0])[0][0].round(6)
        array([[2., 0.],
               [0., 4.]])
    """
    kind = "value" if isinstance(args[positions[0]], Value) else "tensor"
    blocks: list[list[np.ndarray]] = []
    for position in positions:
        arg = args[position]
        columns: list[list[np.ndarray]] = []
        for m in range(_size(arg)):
            original = _get(arg, m)
            _set(arg, m, original + eps)
            plus = _output_arrays(_outputs(fn, args, kind, "gradcheck"))
            _set(arg, m, original - eps)
            minus = _output_arrays(_outputs(fn, args, kind, "gradcheck"))
            _set(arg, m, original)
            columns.append([((p - q) / (2 * eps)).reshape(-1) for p, q in zip(plus, minus)])
        n_outputs = len(columns[0]) if columns else len(_outputs(fn, args, kind, "gradcheck"))
        sizes = [c.size for c in columns[0]] if columns else None
        blocks.append(
            [
                np.stack([col[k] for col in columns], axis=1)
                if columns
                else np.zeros((0 if sizes is None else sizes[k], 0))
                for k in range(n_outputs)
            ]
        )
    return blocks


def _get(arg: Any, m: int) -> float:
    return float(_flat(arg)[m]) if isinstance(arg, Tensor) else arg.data


def _set(arg: Any, m: int, number: float) -> None:
    if isinstance(arg, Tensor):
        _flat(arg)[m] = number
    else:
        arg.data = number


def _analytic_tensor(
    outputs: tuple, args: Sequence[Any], positions: Sequence[int], report: GradcheckReport
) -> list[list[np.ndarray]] | None:
    """One backward per output element; None (with a problem recorded) if backward failed."""
    inputs = [args[p] for p in positions]
    blocks = [[np.zeros((out.data.size, _size(args[p]))) for out in outputs] for p in positions]
    for k, out in enumerate(outputs):
        if not out.requires_grad:
            continue  # a constant output: its Jacobian is zero
        for j in range(out.data.size):
            seed = np.zeros(out.shape, dtype=out.dtype)
            seed.reshape(-1)[j] = 1.0
            grads = _safe_grad([out], inputs, [seed], report, f"output {k}, element {j}")
            if grads is None:
                return None
            for i, gradient in enumerate(grads):
                blocks[i][k][j, :] = gradient.reshape(-1)
    return blocks


def _safe_grad(
    outputs: list[Tensor],
    inputs: list[Tensor],
    seeds: list[np.ndarray],
    report: GradcheckReport,
    where: str,
) -> list[np.ndarray] | None:
    """`grad` with every failure turned into a recorded problem (shape, dtype, exception)."""
    try:
        grads = grad(outputs, inputs, grad_outputs=[Tensor(s) for s in seeds], retain_graph=True)
    except Exception as exc:  # noqa: BLE001 - any failure of backward is the finding
        report.problems.append(f"backward raised {type(exc).__name__} (seeded at {where}): {exc}")
        return None
    arrays = []
    for tensor, gradient in zip(inputs, grads):
        if gradient.shape != tensor.shape or gradient.dtype != tensor.dtype:
            report.problems.append(
                f"backward returned a gradient of shape {gradient.shape} and dtype "
                f"{gradient.dtype} for an input of shape {tensor.shape} and dtype {tensor.dtype}"
            )
            return None
        arrays.append(gradient.data)
    return arrays


def _analytic_value(
    outputs: tuple, args: Sequence[Any], positions: Sequence[int]
) -> list[list[np.ndarray]]:
    """d out_k / d v_i from `Value.backward`, zeroing every reached ``.grad`` first."""
    blocks = [[np.zeros((1, 1)) for _ in outputs] for _ in positions]
    for k, out in enumerate(outputs):
        for vertex in topological_order([out]):
            vertex.grad = 0.0
        for position in positions:
            args[position].grad = 0.0
        out.backward()
        for i, position in enumerate(positions):
            blocks[i][k][0, 0] = args[position].grad
    return blocks


# --------------------------------------------------------------------------- the check


def _run(
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
) -> GradcheckReport:
    """Compare analytic and numerical Jacobians of ``fn`` at ``args``; records, never raises."""
    report = GradcheckReport(what=what, fn_name=_name(fn), atol=atol, rtol=rtol)
    outputs = _outputs(fn, args, kind, what)
    first = _output_arrays(outputs)
    second = _output_arrays(_outputs(fn, args, kind, what))
    for k, (a, b) in enumerate(zip(first, second)):
        if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True):
            difference = np.nanmax(np.abs(a - b)) if a.shape == b.shape else "shape changed"
            report.problems.append(
                f"{_name(fn)} is not deterministic: two evaluations at the same point differ "
                f"in output {k} (max difference {difference}); finite differences need a "
                "function that gives the same result for the same input"
            )
            return report
    if output_names is None:
        output_names = [str(k) for k in range(len(outputs))]

    if kind == "tensor":
        analytic = _analytic_tensor(outputs, args, positions, report)
        if analytic is None:
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
                        input_name=_input_name(args, position),
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
    report.hints = _hints(report, analytic, numerical, args, positions)
    return report


def _check_random_upstream(
    outputs: tuple,
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
                    input_name=_input_name(args, position),
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
) -> list[str]:
    """Guesses at the kind of bug, per input: zero, sign, constant factor, transposed, few."""
    hints = list(report.hints)
    failing = {row.input_position for row in report.mismatches if row.output_index is not None}
    for i, position in enumerate(positions):
        if position not in failing:
            continue
        a = np.concatenate([block.reshape(-1) for block in analytic[i]])
        n = np.concatenate([block.reshape(-1) for block in numerical[i]])
        name = _input_name(args, position)
        count = sum(1 for row in report.mismatches if row.input_position == position)
        scale = report.atol + report.rtol * np.abs(n)
        significant = np.abs(n) > scale
        if not np.any(a) and np.any(n):
            hints.append(
                f"input {name}: the analytic gradient is all zero; no gradient reaches it "
                "(a missing return value in backward, or a step outside the graph?)"
            )
        elif np.any(significant) and np.allclose(a, -n, rtol=report.rtol, atol=report.atol):
            hints.append(f"input {name}: analytic = -numerical everywhere (a sign error?)")
        elif np.any(significant):
            ratios = a[significant] / n[significant]
            factor = float(np.median(ratios))
            if np.allclose(a, factor * n, rtol=report.rtol, atol=report.atol):
                hints.append(
                    f"input {name}: analytic = {factor:.6g} * numerical everywhere "
                    "(a missing or extra constant factor?)"
                )
            elif _looks_transposed(analytic[i], numerical[i], _shape(args[position]), report):
                hints.append(
                    f"input {name}: the analytic gradient matches the numerical one with its "
                    "two axes swapped (a transposed gradient?)"
                )
            elif count <= 2 < a.size:
                hints.append(
                    f"input {name}: only {count} of {a.size} entries are wrong (a special case, "
                    "an index or a boundary?)"
                )
    return hints


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


def _finish(report: GradcheckReport, raise_exception: bool) -> bool:
    if report.passed:
        return True
    if raise_exception:
        raise GradcheckError(report)
    return False


def gradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check the engine's gradient of ``fn`` against central finite differences.

    The full Jacobian of ``fn(*inputs)`` with respect to every input that requires grad
    (every Value, for scalar functions) is computed by backward passes and by central
    differences, in float64 on copies of the inputs. Entries fail when
    ``|analytic - numerical| > atol + rtol * |numerical|``.

    Args:
        fn: a function of Tensors returning a Tensor (any shape) or a tuple of Tensors; or
            a function of Values returning a Value or a tuple of Values.
        inputs: a Tensor/Value or a tuple/list of them (other items are passed unchanged).
            float32 tensors are promoted to float64 for the check, with a warning.
        eps: the finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance.
        raise_exception: raise `GradcheckError` on failure (else return False).

    Returns:
        True when every entry agrees (False on failure if ``raise_exception`` is False).

    Raises:
        GradcheckError: a table of the failing entries (input, input index, output, output
            index, analytic, numerical, errors), worst first; or a backward that raised or
            returned a wrong shape/dtype; or a non-deterministic ``fn``.
        ValueError: if no input requires grad, ``eps`` is not > 0, or a tolerance is < 0
            (or any of them is not finite).
        TypeError: for inputs or outputs of the wrong kind, or a setting that is not a
            number.

    Example:
        >>> x = Tensor([[1.0, 2.0]], requires_grad=True)
        >>> gradcheck(lambda t: (t * t).sum(axis=1), (x,))
        True
    """
    report = gradcheck_report(fn, inputs, eps=eps, atol=atol, rtol=rtol)
    return _finish(report, raise_exception)


def gradcheck_report(
    fn: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    second_order: bool = False,
    grad_outputs: Any = None,
) -> GradcheckReport:
    """Run `gradcheck` (or `gradgradcheck` when ``second_order``) and return the full report.

    Used by the command line, which prints a summary on success too.

    Args:
        fn: as for `gradcheck`.
        inputs: as for `gradcheck`.
        eps: the finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance.
        second_order: check second derivatives instead.
        grad_outputs: for ``second_order``: the upstream gradient(s), random when None.

    Returns:
        The `GradcheckReport`; ``report.passed`` says whether the check passed.

    Raises:
        ValueError: if no input requires grad, or for a bad ``eps``/``atol``/``rtol``.
        TypeError: for inputs or outputs of the wrong kind, or a setting that is not a
            number.

    Example:
        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> gradcheck_report(lambda t: t.exp(), x).passed
        True
    """
    if second_order:
        return _gradgrad_report(fn, inputs, grad_outputs, eps=eps, atol=atol, rtol=rtol)
    _check_settings("gradcheck: ", eps, atol, rtol)
    args, positions, kind = _copy_inputs(inputs, "gradcheck")
    return _run(fn, args, positions, kind, eps=eps, atol=atol, rtol=rtol, what="gradcheck")


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check second derivatives: gradcheck of the gradient function of ``fn``.

    The gradient function is ``x -> grad(fn(x), x, grad_outputs=u, create_graph=True)``
    with ``u`` the given ``grad_outputs`` (random normal, seed 0, when None). Its Jacobian
    (Hessian-vector products) is compared with central differences of it.

    Args:
        fn: a function of Tensors (Values are differentiable only once).
        inputs: a Tensor or tuple/list; the ones with ``requires_grad`` are checked.
        grad_outputs: the upstream gradient(s) ``u``, one array per output of ``fn``.
        eps: the finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance.
        raise_exception: raise `GradcheckError` on failure (else return False).

    Returns:
        True when the second derivatives agree (False on failure if not raising).

    Raises:
        GradcheckError: as for `gradcheck`; outputs are named "d/d input i".
        TypeError: for Values or outputs that are not Tensors, or a setting that is not a
            number.
        ValueError: if no input requires grad, ``grad_outputs`` has the wrong shape, or
            ``eps``/``atol``/``rtol`` is out of range.

    Example:
        >>> x = Tensor([0.5, 1.5], requires_grad=True)
        >>> gradgradcheck(lambda t: (t ** 3).sum(), (x,))
        True
    """
    report = _gradgrad_report(fn, inputs, grad_outputs, eps=eps, atol=atol, rtol=rtol)
    return _finish(report, raise_exception)


def _gradgrad_report(
    fn: Callable[..., Any], inputs: Any, grad_outputs: Any, *, eps: float, atol: float, rtol: float
) -> GradcheckReport:
    _check_settings("gradgradcheck: ", eps, atol, rtol)
    args, positions, kind = _copy_inputs(inputs, "gradgradcheck")
    if kind == "value":
        raise TypeError(
            "gradgradcheck: Values are differentiable once (their local derivatives are "
            "plain floats); use Tensors to check second derivatives"
        )
    outputs = _outputs(fn, args, kind, "gradgradcheck")
    upstream = _upstream(grad_outputs, outputs)

    def gradient(*xs: Any) -> tuple[Tensor, ...]:
        outs = _outputs(fn, xs, "tensor", "gradgradcheck")
        live = [(out, u) for out, u in zip(outs, upstream) if out.requires_grad]
        wrt = [xs[p] for p in positions]
        if not live:
            return tuple(Tensor(np.zeros(x.shape)) for x in wrt)
        return grad(
            [out for out, _ in live],
            wrt,
            grad_outputs=[Tensor(u) for _, u in live],
            create_graph=True,
        )

    gradient.__qualname__ = f"gradient of {_name(fn)}"
    names = [f"d/d input {_input_name(args, p)}" for p in positions]
    report = _run(
        gradient,
        args,
        positions,
        kind,
        eps=eps,
        atol=atol,
        rtol=rtol,
        what="gradgradcheck",
        output_names=names,
    )
    if not report.passed:
        with_graph = gradient(*args)
        if not any(g.requires_grad for g in with_graph):
            report.hints = [
                "no graph was recorded while computing the gradient, so its analytic "
                "derivative is 0: either fn is piecewise linear here, or its backward is not "
                "differentiable (custom Functions are differentiable once)"
            ]
    return report


def _upstream(grad_outputs: Any, outputs: tuple) -> list[np.ndarray]:
    """The upstream gradients for gradgradcheck: given, or random normal with seed 0."""
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        return [rng.standard_normal(out.shape) for out in outputs]
    if isinstance(grad_outputs, (Tensor, np.ndarray)) or not isinstance(
        grad_outputs, (tuple, list)
    ):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"gradgradcheck: got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs"
        )
    arrays = []
    for k, (u, out) in enumerate(zip(grad_outputs, outputs)):
        array = np.asarray(u.data if isinstance(u, Tensor) else u, dtype=np.float64)
        if array.shape != out.shape:
            raise ValueError(
                f"gradgradcheck: grad_outputs[{k}] has shape {array.shape} but output {k} "
                f"has shape {out.shape}"
            )
        arrays.append(array)
    return arrays
