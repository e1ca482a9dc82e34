"""Plumbing shared by the transforms of functional.py: argument checks, the tuple-or-Tensor
structure of PyTorch's ``torch.autograd.functional``, and `grad` calls that can report an
input the outputs do not reach (what PyTorch's ``allow_unused=True`` answers with None).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, overload

import numpy as np

from ..engine.backward import grad
from ..engine.walk import topological_order
from ..errors import ShapeError
from ..tensor import Tensor, as_tensor


class VectorShapeError(ShapeError, RuntimeError):
    """``v`` does not match the tensors it multiplies (a ShapeError, and a RuntimeError as
    PyTorch raises for it)."""


def func_name(func: Callable[..., Any]) -> str:
    """The user's function as error messages name it."""
    return getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or repr(func)


def as_tuple(value: Any, where: str, caller: str) -> tuple[bool, tuple[Tensor, ...]]:
    """(was it a tuple, the Tensors as a tuple); anything but a Tensor or a tuple of them is a
    TypeError naming ``where`` (e.g. "inputs", "the output of f") and the element."""
    is_tuple = isinstance(value, tuple)
    items = value if is_tuple else (value,)
    for index, item in enumerate(items):
        if not isinstance(item, Tensor):
            place = f"element {index} of {where}" if is_tuple else where
            hint = " (pass a tuple, not a list)" if isinstance(value, list) else ""
            raise TypeError(
                f"{caller}: {where} must be a Tensor or a tuple of Tensors, but {place} is a "
                f"{type(item).__name__}{hint}"
            )
    return is_tuple, items


def prepare_inputs(inputs: Sequence[Tensor], create_graph: bool) -> tuple[Tensor, ...]:
    """Fresh tensors for ``func`` to run on, one per input, each requiring grad.

    Without create_graph, a detached copy (sharing the data): the caller's graph is not
    touched. With it, an input that requires grad becomes a recorded reshape of itself, so
    results stay differentiable with respect to the caller's tensor; the same tensor given
    twice still becomes two separate arguments (PyTorch's ``view_as``).
    """
    prepared = []
    for tensor in inputs:
        if create_graph and tensor.requires_grad:
            prepared.append(tensor.reshape(tensor.shape))
        else:
            prepared.append(tensor.detach().requires_grad_(True))
    return tuple(prepared)


def prepare_v(
    v: Any,
    others: Sequence[Tensor],
    others_tuple: bool,
    what: str,
    caller: str,
    create_graph: bool,
) -> tuple[Tensor, ...]:
    """``v`` as a tuple of Tensors shaped like ``others`` (``what`` names them in errors, e.g.
    "output of f").

    NumPy arrays are taken as constant Tensors (an addition to PyTorch, which wants Tensors).
    """
    if isinstance(v, np.ndarray):
        v = as_tensor(v)
    elif isinstance(v, tuple):
        v = tuple(as_tensor(item) if isinstance(item, np.ndarray) else item for item in v)
    _, vs = as_tuple(v, "v", caller)
    if len(vs) != len(others):
        if others_tuple:
            raise VectorShapeError(
                f"{caller}: v has {len(vs)} tensor(s) for {len(others)} tensors (each {what}); "
                "give one tensor per tensor, in a tuple"
            )
        raise VectorShapeError(
            f"{caller}: v has {len(vs)} tensors, but the {what} is a single Tensor, of shape "
            f"{others[0].shape}; give one Tensor of that shape"
        )
    for index, (vector, other) in enumerate(zip(vs, others)):
        if vector.shape != other.shape:
            name = f"v[{index}]" if others_tuple else "v"
            target = f"element {index} of the {what}" if others_tuple else f"the {what}"
            raise VectorShapeError(
                f"{caller}: {name} has shape {vector.shape} but {target} has shape "
                f"{other.shape}; they must be equal"
            )
    if create_graph:
        return vs
    return tuple(vector.detach() for vector in vs)


def require_single_element(tensors: Sequence[Tensor], what: str, caller: str) -> None:
    """The error for ``v=None`` where ``what`` is not one single-element Tensor."""
    if len(tensors) != 1 or tensors[0].size != 1:
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise RuntimeError(
            f"{caller}: v can be left out only when {what} is a single Tensor with a single "
            f"element, but it has shape(s) {shapes}; pass v (one tensor of each shape)"
        )


def zeros(shape: tuple[int, ...], dtype: np.dtype, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(shape, dtype=dtype), requires_grad=requires_grad)


def one_hot(shape: tuple[int, ...], index: int, dtype: np.dtype) -> Tensor:
    seed = np.zeros(shape, dtype=dtype)
    seed.reshape(-1)[index] = 1
    return Tensor(seed)


@overload
def grads(
    outputs: Sequence[Tensor],
    inputs: Sequence[Tensor],
    grad_outputs: Sequence[Any] | None = None,
    *,
    create_graph: bool,
    retain_graph: bool | None = None,
    mark_unused: Literal[False] = False,
) -> list[Tensor]: ...


@overload
def grads(
    outputs: Sequence[Tensor],
    inputs: Sequence[Tensor],
    grad_outputs: Sequence[Any] | None = None,
    *,
    create_graph: bool,
    retain_graph: bool | None = None,
    mark_unused: bool,
) -> list[Tensor | None]: ...


def grads(
    outputs: Sequence[Tensor],
    inputs: Sequence[Tensor],
    grad_outputs: Sequence[Any] | None = None,
    *,
    create_graph: bool,
    retain_graph: bool | None = None,
    mark_unused: bool = False,
) -> list[Tensor] | list[Tensor | None]:
    """`grad` over the outputs that require grad (the others contribute nothing).

    Returns one gradient per input: zeros where the outputs do not reach an input, or None
    there with ``mark_unused`` (for the strict checks).
    """
    seeds = [None] * len(outputs) if grad_outputs is None else list(grad_outputs)
    pairs = [(out, seed) for out, seed in zip(outputs, seeds) if out.requires_grad]
    if pairs:
        found: list[Tensor | None] = list(
            grad(
                [out for out, _ in pairs],
                list(inputs),
                [seed for _, seed in pairs],
                retain_graph=retain_graph,
                create_graph=create_graph,
            )
        )
    else:
        found = [zeros(t.shape, t.dtype) for t in inputs]
    if mark_unused:
        reached = reachable([out for out, _ in pairs])
        found = [g if id(t._vertex()) in reached else None for g, t in zip(found, inputs)]
    return found


def reachable(outputs: Sequence[Tensor]) -> set[int]:
    """ids of every graph vertex the outputs depend on."""
    roots = [out._vertex() for out in outputs if out.requires_grad]
    return {id(vertex) for vertex in topological_order(roots)}


def check_requires_grad(tensors: Sequence[Tensor | None], message: Callable[[int], str]) -> None:
    """Raise ``message(index)`` for the first tensor that does not require grad (strict)."""
    for index, tensor in enumerate(tensors):
        if tensor is None or not tensor.requires_grad:
            raise RuntimeError(message(index))


def refuse_custom_functions(outputs: Sequence[Tensor], caller: str) -> None:
    """Raise if a custom Function lies on the graph of ``outputs``.

    A custom Function is differentiable once (its backward runs on arrays and is not
    recorded), so a second derivative through it would silently miss its part.
    """
    roots = [out._vertex() for out in outputs if out.requires_grad]
    for vertex in topological_order(roots):
        fn = getattr(vertex, "fn", None)
        if fn is not None and getattr(fn, "is_builtin", True) is False:
            raise RuntimeError(
                f"{caller} needs second derivatives, but the graph holds the custom Function "
                f"{fn.__name__}, which is differentiable once (its backward is not recorded); "
                "write it with Tensor operations instead"
            )


def finish(tensors: Sequence[Tensor], create_graph: bool) -> tuple[Tensor, ...]:
    """Results as handed back: detached unless create_graph."""
    return tuple(tensors) if create_graph else tuple(t.detach() for t in tensors)


def unpack(result: tuple[Any, ...], is_tuple: bool) -> Any:
    """Undo `as_tuple`: a lone Tensor for a lone Tensor given."""
    return result if is_tuple else result[0]


def unpack_nested(result: tuple[Any, ...], outer_tuple: bool, inner_tuple: bool) -> Any:
    """Undo `as_tuple` on both levels of a tuple (per output) of tuples (per input)."""
    if not inner_tuple:
        result = tuple(row[0] for row in result)
    return result if outer_tuple else result[0]


def fill_unused(
    found: Sequence[Tensor | None],
    refs: Sequence[Tensor],
    strict: bool,
    create_graph: bool,
    unused: Callable[[int], str],
    constant: Callable[[int], str],
) -> list[Tensor]:
    """Zeros (shaped and typed like ``refs``) where nothing was reached; under ``strict``,
    ``unused(i)`` for such an entry and, with create_graph, ``constant(i)`` for a result that
    does not depend on the inputs (so cannot be differentiated further)."""
    filled = []
    for index, (found_grad, ref) in enumerate(zip(found, refs)):
        if found_grad is None:
            if strict:
                raise RuntimeError(unused(index))
            found_grad = zeros(ref.shape, ref.dtype)
        elif strict and create_graph and not found_grad.requires_grad:
            raise RuntimeError(constant(index))
        filled.append(found_grad)
    return filled
