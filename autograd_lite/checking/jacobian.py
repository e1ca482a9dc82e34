"""gradcheck's Jacobians: central differences and backward passes, for Tensors and Values.

Also the small helpers on the (float64 copies of the) inputs and on ``fn``'s outputs that
both Jacobians and the report use: names, shapes, element access.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine.backward import grad
from ..engine.walk import topological_order
from ..scalar.value import Value
from ..tensor import Tensor

if TYPE_CHECKING:
    from .compare import GradcheckReport


def input_label(args: Sequence[Any], position: int) -> str:
    label = getattr(args[position], "label", "")
    return f"{position} ({label})" if label else str(position)


def call_outputs(
    fn: Callable[..., Any], args: Sequence[Any], kind: str, what: str
) -> tuple[Any, ...]:
    """Call ``fn`` and return its outputs as a tuple, checking their type."""
    result = fn(*args)
    outputs = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    expected = Tensor if kind == "tensor" else Value
    for k, out in enumerate(outputs):
        if not isinstance(out, expected):
            raise TypeError(
                f"{what}: output {k} of {function_name(fn)} is a {type(out).__name__}; a function "
                f"of {expected.__name__}s must return {expected.__name__}s (or a tuple of them)"
            )
    return outputs


def _output_arrays(outputs: tuple[Any, ...]) -> list[np.ndarray]:
    return [np.array(out.data, dtype=np.float64) for out in outputs]


def function_name(fn: Callable[..., Any]) -> str:
    """The name a report gives ``fn``: ``Square.apply`` rather than ``Function.apply``."""
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
            plus = _output_arrays(call_outputs(fn, args, kind, "gradcheck"))
            _set(arg, m, original - eps)
            minus = _output_arrays(call_outputs(fn, args, kind, "gradcheck"))
            _set(arg, m, original)
            columns.append([((p - q) / (2 * eps)).reshape(-1) for p, q in zip(plus, minus)])
        n_outputs = len(columns[0]) if columns else len(call_outputs(fn, args, kind, "gradcheck"))
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
    outputs: tuple[Any, ...], args: Sequence[Any], positions: Sequence[int], report: GradcheckReport
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
    outputs: tuple[Any, ...], args: Sequence[Any], positions: Sequence[int]
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
