"""The Tensor machinery behind functional.py: the Jacobian (rows by backward passes, or columns
by the double-vjp trick), the scalar-output check, and the vhp/hvp products.

The double-vjp trick, used for `jvp` and forward-mode Jacobians: with ``u`` a zero vector
shaped like the outputs, one recorded backward pass gives ``g(u) = J^T u``, linear in ``u``;
a backward pass of ``g`` seeded with ``v`` then gives ``d<g(u), v>/du = J v``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from ..functions import stack
from ..grad_mode import enable_grad
from ..tensor import Tensor
from .helpers import (
    as_tuple,
    check_requires_grad,
    fill_unused,
    finish,
    func_name,
    grads,
    one_hot,
    prepare_inputs,
    prepare_v,
    reachable,
    refuse_custom_functions,
    require_single_element,
    unpack,
    unpack_nested,
    zeros,
)
from .values import is_value_input


def tensor_inputs(inputs: Any, caller: str) -> tuple[bool, tuple[Tensor, ...]]:
    if is_value_input(inputs):
        raise TypeError(
            f"{caller}: inputs are Values; {caller} takes Tensors (jacobian and hessian also "
            "take Values)"
        )
    return as_tuple(inputs, "inputs", caller)


def call(
    func: Callable[..., Any], args: tuple[Tensor, ...], caller: str
) -> tuple[bool, tuple[Any, ...]]:
    return as_tuple(func(*args), f"the output of {func_name(func)}", caller)


def check_outputs(outputs: tuple[Tensor, ...], name: str, caller: str) -> None:
    """strict: every output must be computed differentiably from the inputs."""
    check_requires_grad(
        outputs,
        lambda k: (
            f"{caller}: output {k} of {name} does not require grad; with strict=True "
            "every output must be computed differentiably from the inputs"
        ),
    )


def double_vjp_start(
    outputs: tuple[Tensor, ...], args: tuple[Tensor, ...]
) -> tuple[tuple[Tensor, ...], list[Tensor]]:
    """The first half of the double-vjp trick: ``u`` (zeros, one per output, requiring grad)
    and ``J^T u`` per input, recorded. Its value is 0; only its dependence on ``u`` is used."""
    u = tuple(zeros(out.shape, out.dtype, requires_grad=True) for out in outputs)
    return u, grads(outputs, args, u, create_graph=True)


def _assemble(parts: list[Tensor], out: Tensor, arg: Tensor, axis: int) -> Tensor:
    """Rows (axis 0) or columns (axis -1) of one Jacobian block, shaped out.shape + arg.shape."""
    if not parts:  # an empty output or input
        return zeros(out.shape + arg.shape, arg.dtype)
    return stack(parts, axis=axis).reshape(out.shape + arg.shape)


def _jacobian_rows(
    outputs: tuple[Tensor, ...],
    args: tuple[Tensor, ...],
    create_graph: bool,
    strict: bool,
    caller: str,
    name: str,
) -> tuple[tuple[Tensor, ...], ...]:
    """Reverse mode: one backward pass per output element, seeded with a one-hot gradient."""
    blocks = []
    for k, out in enumerate(outputs):
        if strict:
            reached = reachable([out])
            for i, arg in enumerate(args):
                if id(arg._vertex()) not in reached:
                    raise RuntimeError(
                        f"{caller}: output {k} of {name} does not depend on input {i} (strict=True)"
                    )
        rows: list[list[Tensor]] = [[] for _ in args]
        for j in range(out.size):
            seed = one_hot(out.shape, j, out.dtype)
            found = grads([out], args, [seed], create_graph=create_graph, retain_graph=True)
            for i, row in enumerate(found):
                if strict and create_graph and not row.requires_grad:
                    raise RuntimeError(
                        f"{caller}: row {j} of d output {k} / d input {i} of {name} is constant "
                        "in the inputs, so it cannot be differentiated (strict=True with "
                        "create_graph=True; is the function linear in that input?)"
                    )
                rows[i].append(row)
        blocks.append(tuple(_assemble(rows[i], out, arg, 0) for i, arg in enumerate(args)))
    return tuple(blocks)


def _jacobian_columns(
    outputs: tuple[Tensor, ...], args: tuple[Tensor, ...], create_graph: bool
) -> tuple[tuple[Tensor, ...], ...]:
    """Forward mode: one Jacobian-vector product per input element (double-vjp trick,
    its first backward pass shared by all columns)."""
    u, grad_inputs = double_vjp_start(outputs, args)
    columns: list[list[list[Tensor]]] = [[[] for _ in args] for _ in outputs]
    for i, (arg, grad_input) in enumerate(zip(args, grad_inputs)):
        for m in range(arg.size):
            seed = one_hot(arg.shape, m, grad_input.dtype)
            found = grads([grad_input], u, [seed], create_graph=create_graph, retain_graph=True)
            for k, column in enumerate(found):
                columns[k][i].append(column)
    return tuple(
        tuple(_assemble(columns[k][i], out, arg, -1) for i, arg in enumerate(args))
        for k, out in enumerate(outputs)
    )


def tensor_jacobian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool,
    strict: bool,
    strategy: str,
    caller: str,
    name: str,
) -> Any:
    """`jacobian` for Tensors; ``caller`` and ``name`` say who asks about what (hessian runs
    it on the gradient function)."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(
            f"{caller}: strategy must be 'reverse-mode' or 'forward-mode', got {strategy!r}"
        )
    if strategy == "forward-mode" and strict:
        raise RuntimeError(
            f"{caller}: strict=True is not supported with strategy='forward-mode' (as in "
            "PyTorch); use strategy='reverse-mode'"
        )
    is_inputs_tuple, inputs_t = tensor_inputs(inputs, caller)
    with enable_grad():
        args = prepare_inputs(inputs_t, create_graph)
        is_outputs_tuple, outputs = call(func, args, caller)
        if strict:
            check_outputs(outputs, name, caller)
        if strategy == "forward-mode":
            refuse_custom_functions(outputs, f"{caller} with strategy='forward-mode'")
            blocks = _jacobian_columns(outputs, args, create_graph)
        else:
            blocks = _jacobian_rows(outputs, args, create_graph, strict, caller, name)
    blocks = tuple(finish(row, create_graph) for row in blocks)
    return unpack_nested(blocks, is_outputs_tuple, is_inputs_tuple)


def scalar_output(func: Callable[..., Any], args: tuple[Tensor, ...], caller: str) -> Tensor:
    """Call ``func``; its output must be one single-element Tensor (a scalar function)."""
    name = func_name(func)
    result = func(*args)
    is_tuple, outputs = as_tuple(result, f"the output of {name}", caller)
    if is_tuple:
        raise RuntimeError(
            f"{caller}: {name} must return a single Tensor (a scalar function), not a tuple of "
            f"{len(outputs)}"
        )
    if result.size != 1:
        raise RuntimeError(
            f"{caller}: {name} returned a Tensor of shape {result.shape}; {caller} needs a "
            "scalar function (one element): sum it, or use jacobian for a vector function"
        )
    refuse_custom_functions(outputs, caller)
    return result


def hessian_product(
    func: Callable[..., Any], inputs: Any, v: Any, create_graph: bool, strict: bool, caller: str
) -> tuple[Tensor, Any]:
    """vhp: grad of (grad f seeded with v). hvp: the double-backward trick on top of it."""
    is_inputs_tuple, inputs_t = tensor_inputs(inputs, caller)
    name = func_name(func)
    with enable_grad():
        args = prepare_inputs(inputs_t, create_graph)
        if v is None:
            require_single_element(args, f"the input of {name}", caller)
            vs = None
        else:
            vs = prepare_v(v, args, is_inputs_tuple, f"input of {name}", caller, create_graph)
        output = scalar_output(func, args, caller)
        if strict:
            check_outputs((output,), name, caller)
        gradient = grads([output], args, create_graph=True)
        if strict:
            check_requires_grad(
                gradient,
                lambda i: (
                    f"{caller}: the gradient of {name} with respect to input {i} does not "
                    "depend on the inputs (strict=True; is the function linear in it?)"
                ),
            )
        if caller == "hvp":  # H^T w is linear in w: its gradient w.r.t. w, seeded with v, is Hv
            w = tuple(zeros(arg.shape, arg.dtype, requires_grad=True) for arg in args)
            seeded, targets = grads(gradient, args, w, create_graph=True), w
        else:
            seeded, targets = gradient, args
    with enable_grad() if create_graph else nullcontext():
        found = grads(seeded, targets, vs, create_graph=create_graph, mark_unused=strict)
    result = fill_unused(
        found,
        args,
        strict,
        create_graph,
        lambda i: f"{caller}: no part of the gradient of {name} depends on input {i} (strict=True)",
        lambda i: (
            f"{caller}: the result for input {i} does not depend on the inputs, so it "
            "cannot be differentiated (strict=True with create_graph=True)"
        ),
    )
    return finish((output,), create_graph)[0], unpack(finish(result, create_graph), is_inputs_tuple)
