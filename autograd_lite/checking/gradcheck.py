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

This module holds the public entries, input copies and settings validation; the Jacobians
are in jacobian.py, the comparison with its report (failure table, hints) in compare.py,
the search for the faulty op in culprit.py and the kinks in kinks.py. Their public names
are re-exported here.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine.backward import grad
from ..scalar.value import Value
from ..tensor import Tensor
from .compare import MAX_TABLE_ROWS, GradcheckReport, Mismatch, run_comparison
from .culprit import Culprit
from .jacobian import call_outputs, function_name, input_label, numerical_jacobian
from .kinks import KinkNote

__all__ = [
    "MAX_TABLE_ROWS",
    "Culprit",
    "GradcheckError",
    "GradcheckReport",
    "GradcheckWarning",
    "KinkNote",
    "Mismatch",
    "gradcheck",
    "gradcheck_report",
    "gradgradcheck",
    "numerical_jacobian",
]


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


def check_settings(prefix: str, eps: Any, atol: Any, rtol: Any) -> None:
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

    On failure of a Tensor function each recorded op is checked alone, at the inputs it
    was given, and the first whose backward disagrees with its own forward is named with
    the file and line that applied it (``error.report.culprit``). Ops at or within ``eps``
    of a kink (abs, relu, max, maximum, clip...) are reported as such instead of a
    misleading hint; a pass exactly at a kink warns (`GradcheckWarning`).

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
            index, analytic, numerical, errors), worst first, the culprit op and hints
            judged per output; or a backward that raised or returned a wrong shape/dtype;
            or a non-deterministic ``fn``.
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
    for note in report.notes:  # a pass that deserves a word (a point exactly at a kink)
        warnings.warn(note, GradcheckWarning, stacklevel=2)
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
    check_settings("gradcheck: ", eps, atol, rtol)
    args, positions, kind = _copy_inputs(inputs, "gradcheck")
    return run_comparison(
        fn, args, positions, kind, eps=eps, atol=atol, rtol=rtol, what="gradcheck", analyse=True
    )


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
    check_settings("gradgradcheck: ", eps, atol, rtol)
    args, positions, kind = _copy_inputs(inputs, "gradgradcheck")
    if kind == "value":
        raise TypeError(
            "gradgradcheck: Values are differentiable once (their local derivatives are "
            "plain floats); use Tensors to check second derivatives"
        )
    outputs = call_outputs(fn, args, kind, "gradgradcheck")
    upstream = _upstream(grad_outputs, outputs)

    def gradient(*xs: Any) -> tuple[Tensor, ...]:
        outs = call_outputs(fn, xs, "tensor", "gradgradcheck")
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

    gradient.__qualname__ = f"gradient of {function_name(fn)}"
    names = [f"d/d input {input_label(args, p)}" for p in positions]
    report = run_comparison(
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


def _upstream(grad_outputs: Any, outputs: tuple[Any, ...]) -> list[np.ndarray]:
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
