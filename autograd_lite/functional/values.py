"""`jacobian` and `hessian` for functions of scalar `Value`s (teaching-sized graphs).

Results have PyTorch's nesting with Python floats in place of 0-d Tensors: a float for one
Value in and out, a tuple of floats for a tuple of inputs, and for `hessian` a tuple of
tuples of floats.

- The Jacobian (a gradient, for one output) comes from the Value graph itself: each edge
  holds its local derivative as a number, so the chain rule along the edges is exact and any
  function of Values works. The caller's Values and their ``.grad`` are not touched.
- A Value graph stores first derivatives as numbers, not as a graph, so it cannot be
  differentiated again. `hessian` therefore runs ``func`` a second time on 0-d float64
  Tensors and takes the exact Hessian with the Tensor machinery. The limit: ``func`` must
  only use what Value and Tensor share (``+ - * / **``, unary ``-``, numbers, ``exp log tanh
  sigmoid relu``). A function that makes Values inside (``Value(2.0) * x``), closes over
  Values (weights: pass them as inputs, or use numbers) or reads ``.data`` into Python
  arithmetic fails there with a TypeError that says so; the value it computes on Tensors is
  checked against the one on Values.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..grad_mode import enable_grad
from ..scalar.value import Value
from ..scalar.walk import values_below
from ..tensor import Tensor
from .helpers import func_name, unpack_nested


def is_value_input(inputs: Any) -> bool:
    """True when ``inputs`` is a Value or a tuple holding one."""
    items = inputs if isinstance(inputs, tuple) else (inputs,)
    return any(isinstance(item, Value) for item in items)


def _values(
    inputs: Any, create_graph: bool, strategy: str, caller: str
) -> tuple[bool, tuple[Any, ...]]:
    """(was it a tuple, fresh copies of the Values) after checking the arguments."""
    if create_graph:
        raise ValueError(
            f"{caller}: create_graph=True needs Tensor inputs; a Value graph records its "
            "derivatives as numbers, which cannot be differentiated again"
        )
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(
            f"{caller}: strategy must be 'reverse-mode' or 'forward-mode', got {strategy!r}"
        )
    is_tuple = isinstance(inputs, tuple)
    items = inputs if is_tuple else (inputs,)
    for index, item in enumerate(items):
        if not isinstance(item, Value):
            raise TypeError(
                f"{caller}: inputs mix Values and other types (element {index} is a "
                f"{type(item).__name__}); give all Values or all Tensors"
            )
    # copies: the same Value given twice is two arguments, and the caller's graph stays as it is
    return is_tuple, tuple(Value(item.data, label=item.label) for item in items)


def _value_outputs(
    result: Any, func: Callable[..., Any], caller: str
) -> tuple[bool, tuple[Any, ...]]:
    is_tuple = isinstance(result, tuple)
    outputs = result if is_tuple else (result,)
    for index, out in enumerate(outputs):
        if not isinstance(out, Value):
            place = f"element {index} of its output" if is_tuple else "its output"
            raise TypeError(
                f"{caller}: {func_name(func)} takes Values, so it must return a Value or a "
                f"tuple of Values, but {place} is a {type(out).__name__}"
            )
    return is_tuple, outputs


def value_gradient(output: Value, inputs: tuple[Value, ...]) -> list[float | None]:
    """d output / d input for each input (None where the output does not depend on it).

    The chain rule over the recorded edges, in reverse topological order, with the running
    totals in a dict: no ``.grad`` is touched.
    """
    totals: dict[int, float] = {id(output): 1.0}
    for value in reversed(values_below(output)):  # each Value before its parents
        total = totals.get(id(value), 0.0)
        for parent, local in zip(value._parents, value._local_grads):
            totals[id(parent)] = totals.get(id(parent), 0.0) + local * total
    return [totals.get(id(value)) for value in inputs]


def value_jacobian(
    func: Callable[..., Any], inputs: Any, create_graph: bool, strict: bool, strategy: str
) -> Any:
    """`jacobian` for Value inputs: floats, nested as PyTorch nests 0-d Tensors."""
    is_inputs_tuple, copies = _values(inputs, create_graph, strategy, "jacobian")
    with enable_grad():  # a Value records its edges only in grad mode
        is_outputs_tuple, outputs = _value_outputs(func(*copies), func, "jacobian")
    rows = []
    for k, out in enumerate(outputs):
        found = value_gradient(out, copies)
        if strict and None in found:
            raise RuntimeError(
                f"jacobian: output {k} of {func_name(func)} does not depend on input "
                f"{found.index(None)} (strict=True)"
            )
        rows.append(tuple(0.0 if slope is None else slope for slope in found))
    return unpack_nested(tuple(rows), is_outputs_tuple, is_inputs_tuple)


def value_hessian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool,
    strict: bool,
    tensor_hessian: Callable[..., Any],
    strategy: str = "reverse-mode",
) -> Any:
    """`hessian` for Value inputs: ``func`` run on 0-d Tensors (module docstring), floats out."""
    is_tuple, copies = _values(inputs, create_graph, strategy, "hessian")
    name = func_name(func)
    with enable_grad():
        is_outputs_tuple, outputs = _value_outputs(func(*copies), func, "hessian")
    if is_outputs_tuple:
        raise RuntimeError(
            f"hessian: {name} must return a single Value (hessian needs a scalar function), "
            f"not a tuple of {len(outputs)}"
        )
    expected = outputs[0]

    def on_tensors(*args: Tensor) -> Any:
        try:
            out = func(*args)
        except (TypeError, AttributeError) as exc:
            raise TypeError(
                f"hessian: a Value graph holds first derivatives only, so hessian runs {name} "
                f"on 0-d Tensors, and it failed there ({exc}). Use only what Value and Tensor "
                "share: + - * / **, numbers, exp log tanh sigmoid relu; no Value made inside "
                "or closed over (use a number), no .data"
            ) from exc
        if isinstance(out, Tensor) and out.size == 1:
            got = out.item()
            if not math.isclose(got, expected.data, rel_tol=1e-9, abs_tol=1e-300):
                raise RuntimeError(
                    f"hessian: {name} gives {expected.data!r} on Values but {got!r} on 0-d "
                    "Tensors; it must compute the same function of both"
                )
        return out

    on_tensors.__qualname__ = name
    tensors = tuple(Tensor(value.data) for value in copies)
    result = tensor_hessian(
        on_tensors,
        tensors if is_tuple else tensors[0],
        strict=strict,
        outer_jacobian_strategy=strategy,
    )
    if is_tuple:
        return tuple(tuple(block.item() for block in row) for row in result)
    return result.item()
