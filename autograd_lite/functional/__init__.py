"""Function transforms: vjp, jvp, jacobian, hessian, hvp and vhp, as `torch.autograd.functional`.

Each takes ``func`` (Tensors in, a Tensor or a tuple of Tensors out) and ``inputs`` (a Tensor
or a tuple of Tensors) and returns results shaped and nested as PyTorch returns them: a tuple
given gives a tuple back (even of length one), a lone Tensor gives a lone Tensor. Results are
detached unless ``create_graph=True``; the caller's tensors and their ``.grad`` are not touched.

The engine is reverse-mode only, so `jvp` (and `jacobian` with ``strategy="forward-mode"``)
use the double-vjp trick: ``g(u) = J^T u`` is linear in ``u``, so differentiating
``<g(u), v>`` with respect to ``u`` gives ``J v``. `jacobian` and `hessian` also take scalar
`Value` inputs (see functional_values.py). The page docs/functional.md shows each one.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from ..grad_mode import enable_grad
from ..tensor import Tensor
from .helpers import (
    check_requires_grad,
    fill_unused,
    finish,
    func_name,
    grads,
    prepare_inputs,
    prepare_v,
    refuse_custom_functions,
    require_single_element,
    unpack,
    unpack_nested,
)
from .jacobian import (
    call,
    check_outputs,
    double_vjp_start,
    hessian_product,
    scalar_output,
    tensor_inputs,
    tensor_jacobian,
)
from .values import is_value_input, value_hessian, value_jacobian

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]

Inputs = Tensor | tuple[Tensor, ...]


def vjp(
    func: Callable[..., Any],
    inputs: Inputs,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """Vector-Jacobian product ``v^T J`` of ``func`` at ``inputs`` (one backward pass).

    Args:
        func: takes the input Tensors, returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors.
        v: shaped like the output(s) of ``func`` (Tensors or NumPy arrays); may be left out
            when ``func`` returns a single one-element Tensor.
        create_graph: make the results differentiable (w.r.t. inputs that require grad).
        strict: raise if an output does not require grad or does not depend on an input
            (otherwise that part of the product is zero).

    Returns:
        ``(func_output, vjp)``; ``vjp`` is shaped like ``inputs`` (a tuple for a tuple).

    Raises:
        TypeError: ``inputs``, ``v`` or the output of ``func`` are not Tensors (or tuples).
        ShapeError: ``v`` does not match the outputs (also a RuntimeError, as in PyTorch).
        RuntimeError: ``v`` is left out for an output that is not a single element.

    Example:
        >>> x = Tensor([1.0, 2.0])
        >>> out, g = vjp(lambda t: t * t, x, Tensor([1.0, 1.0]))
        >>> g.numpy()                                     # 2x
        array([2., 4.])
    """
    is_inputs_tuple, inputs_t = tensor_inputs(inputs, "vjp")
    name = func_name(func)
    with enable_grad():
        args = prepare_inputs(inputs_t, create_graph)
        is_outputs_tuple, outputs = call(func, args, "vjp")
        if strict:
            check_outputs(outputs, name, "vjp")
        if v is None:
            require_single_element(outputs, f"the output of {name}", "vjp")
            vs = None
        else:
            vs = prepare_v(v, outputs, is_outputs_tuple, f"output of {name}", "vjp", create_graph)
    with enable_grad() if create_graph else nullcontext():
        found = grads(outputs, args, vs, create_graph=create_graph, mark_unused=strict)
    result = fill_unused(
        found,
        args,
        strict,
        create_graph,
        lambda i: f"vjp: the output of {name} does not depend on input {i} (strict=True)",
        lambda i: (
            f"vjp: the vjp for input {i} does not depend on the inputs, so it cannot be "
            "differentiated (strict=True with create_graph=True)"
        ),
    )
    return (
        unpack(finish(outputs, create_graph), is_outputs_tuple),
        unpack(finish(result, create_graph), is_inputs_tuple),
    )


def jvp(
    func: Callable[..., Any],
    inputs: Inputs,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """Jacobian-vector product ``J v`` of ``func`` at ``inputs``, by the double-vjp trick.

    The engine has no forward mode. With ``u`` a zero vector shaped like the outputs, one
    recorded backward pass gives ``g(u) = J^T u``, linear in ``u``; a second backward pass
    of ``g`` seeded with ``v`` gives ``d<g(u), v>/du = J v``. That is two backward passes
    (PyTorch's ``torch.autograd.functional.jvp`` does the same). Built-in ops are twice
    differentiable; a custom Function on the graph raises (its backward is not recorded).

    Args:
        func: takes the input Tensors, returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors.
        v: shaped like ``inputs`` (Tensors or NumPy arrays); may be left out when the input
            is a single one-element Tensor.
        create_graph: make the results differentiable.
        strict: raise if an output does not depend on the inputs.

    Returns:
        ``(func_output, jvp)``; ``jvp`` is shaped like the output(s) of ``func``.

    Raises:
        TypeError, ShapeError, RuntimeError: as for `vjp` (``v`` against the inputs).

    Example:
        >>> x = Tensor([1.0, 2.0])
        >>> out, t = jvp(lambda t: t * t, x, Tensor([1.0, 0.0]))
        >>> t.numpy()                                     # diag(2x) @ v
        array([2., 0.])
    """
    is_inputs_tuple, inputs_t = tensor_inputs(inputs, "jvp")
    name = func_name(func)
    with enable_grad():
        args = prepare_inputs(inputs_t, create_graph)
        if v is None:
            require_single_element(args, f"the input of {name}", "jvp")
            vs = None
        else:
            vs = prepare_v(v, args, is_inputs_tuple, f"input of {name}", "jvp", create_graph)
        is_outputs_tuple, outputs = call(func, args, "jvp")
        if strict:
            check_outputs(outputs, name, "jvp")
        refuse_custom_functions(outputs, "jvp")
        u, grad_inputs = double_vjp_start(outputs, args)
        if strict:
            check_requires_grad(
                grad_inputs,
                lambda i: f"jvp: the output of {name} does not depend on input {i} (strict=True)",
            )
    with enable_grad() if create_graph else nullcontext():
        found = grads(grad_inputs, u, vs, create_graph=create_graph, mark_unused=strict)
    result = fill_unused(
        found,
        outputs,
        strict,
        create_graph,
        lambda k: f"jvp: output {k} of {name} does not depend on the inputs (strict=True)",
        lambda k: (
            f"jvp: the jvp of output {k} does not depend on the inputs, so it cannot "
            "be differentiated (strict=True with create_graph=True)"
        ),
    )
    return (
        unpack(finish(outputs, create_graph), is_outputs_tuple),
        unpack(finish(result, create_graph), is_outputs_tuple),
    )


def jacobian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian of ``func`` at ``inputs``: block ``[k][i]`` has shape
    ``output_k.shape + input_i.shape``, holding d output_k / d input_i.

    Nesting as in PyTorch: one Tensor for a Tensor input and a Tensor output; a tuple over
    inputs for tuple inputs; a tuple over outputs (of Tensors or of tuples over inputs) for
    tuple outputs. ``strategy="reverse-mode"`` runs one backward pass per output element;
    ``"forward-mode"`` one double-vjp Jacobian-vector product per input element (the same
    numbers; useful when outputs outnumber inputs, though each column costs a backward pass).

    For `Value` inputs (a Value or a tuple of Values, ``func`` returning Values) the result
    has the same nesting with Python floats in place of 0-d Tensors, from the Value graph's
    own (exact) derivatives.

    Args:
        func: takes the inputs, returns a Tensor or a tuple of Tensors (Values for Values).
        inputs: a Tensor or a tuple of Tensors, or a Value or a tuple of Values.
        create_graph: make the Jacobian differentiable (Tensors only).
        strict: raise if an output does not depend on an input, instead of a zero block.
        vectorize: accepted for PyTorch compatibility; it does not change the result.
        strategy: ``"reverse-mode"`` (default) or ``"forward-mode"``.

    Returns:
        The Jacobian, nested as described above.

    Raises:
        TypeError: inputs or outputs of the wrong type (names the function and element).
        ValueError: an unknown strategy, or create_graph=True with Values.

    Example:
        >>> W = Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        >>> jacobian(lambda x: W @ x, Tensor([0.5, -1.0])).shape
        (3, 2)
    """
    del vectorize  # rows are computed one by one either way
    if is_value_input(inputs):
        return value_jacobian(func, inputs, create_graph, strict, strategy)
    name = func_name(func)
    return tensor_jacobian(func, inputs, create_graph, strict, strategy, "jacobian", name)


def hessian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of a scalar function: the Jacobian of its gradient.

    Block ``[i][j]`` has shape ``input_i.shape + input_j.shape`` and holds
    d^2 f / d input_i d input_j. A Tensor input gives one Tensor; a tuple of inputs a tuple
    of tuples. For `Value` inputs: a float, or a tuple of tuples of floats (see
    docs/functional.md: ``func`` is run on 0-d Tensors for this).

    Args:
        func: returns a single-element Tensor (or a Value for Value inputs).
        inputs: a Tensor or a tuple of Tensors, or a Value or a tuple of Values.
        create_graph: make the Hessian differentiable (Tensors only).
        strict: raise if a gradient component does not depend on the inputs or a block is
            structurally zero (PyTorch's meaning; a separable function raises).
        vectorize: accepted for PyTorch compatibility; it does not change the result.
        outer_jacobian_strategy: the ``strategy`` of the outer Jacobian.

    Returns:
        The Hessian, nested as described above.

    Raises:
        RuntimeError: ``func`` does not return a single one-element Tensor.
        TypeError: inputs or output of the wrong type; for Values, a ``func`` that cannot run
            on 0-d Tensors.
        ValueError: create_graph=True with Values.

    Example:
        >>> A = Tensor([[1.0, 2.0], [0.0, 3.0]])
        >>> hessian(lambda x: x @ A @ x, Tensor([1.0, 1.0])).numpy()   # A + A^T
        array([[2., 2.],
               [2., 6.]])
    """
    del vectorize
    if is_value_input(inputs):
        return value_hessian(func, inputs, create_graph, strict, hessian, outer_jacobian_strategy)
    is_inputs_tuple, inputs_t = tensor_inputs(inputs, "hessian")
    name = func_name(func)

    def gradient(*args: Tensor) -> tuple[Tensor, ...]:
        def scalar(*inner: Tensor) -> Tensor:
            out = scalar_output(func, inner, "hessian")
            if strict:
                check_outputs((out,), name, "hessian")
            return out.reshape(())

        scalar.__qualname__ = name
        found = tensor_jacobian(scalar, args, True, strict, "reverse-mode", "hessian", name)
        if strict:
            check_requires_grad(
                found,
                lambda i: (
                    f"hessian: the gradient of {name} with respect to input {i} does not "
                    "depend on the inputs (strict=True; is the function linear in it?)"
                ),
            )
        return found

    gradient.__qualname__ = f"the gradient of {name}"
    result = tensor_jacobian(
        gradient,
        inputs_t,
        create_graph,
        strict,
        outer_jacobian_strategy,
        "hessian",
        gradient.__qualname__,
    )
    return unpack_nested(result, is_inputs_tuple, is_inputs_tuple)


def vhp(
    func: Callable[..., Any],
    inputs: Inputs,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Tensor, Any]:
    """Vector-Hessian product ``v^T H`` of a scalar function, without forming H.

    Two backward passes: the gradient, recorded, then its vjp with ``v``.

    Args:
        func: returns a single-element Tensor.
        inputs: a Tensor or a tuple of Tensors.
        v: shaped like ``inputs``; may be left out for a single one-element input.
        create_graph: make the results differentiable.
        strict: raise if the gradient does not depend on an input.

    Returns:
        ``(func_output, vhp)``; ``vhp`` is shaped like ``inputs``.

    Raises:
        RuntimeError: ``func`` is not scalar, or ``v`` is left out for a larger input.
        ShapeError: ``v`` does not match the inputs (also a RuntimeError).

    Example:
        >>> f = lambda x: (x ** 3).sum()                  # H = diag(6x)
        >>> vhp(f, Tensor([1.0, 2.0]), Tensor([1.0, 1.0]))[1].numpy()
        array([ 6., 12.])
    """
    return hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(
    func: Callable[..., Any],
    inputs: Inputs,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Tensor, Any]:
    """Hessian-vector product ``H v`` of a scalar function, without forming H.

    As in PyTorch, by the double-backward trick (three backward passes, against two for
    `vhp`): for a twice continuously differentiable function H is symmetric and
    ``hvp == vhp``, so prefer `vhp` where speed matters.

    Args:
        func: returns a single-element Tensor.
        inputs: a Tensor or a tuple of Tensors.
        v: shaped like ``inputs``; may be left out for a single one-element input.
        create_graph: make the results differentiable.
        strict: raise if the gradient does not depend on an input.

    Returns:
        ``(func_output, hvp)``; ``hvp`` is shaped like ``inputs``.

    Raises:
        RuntimeError: ``func`` is not scalar, or ``v`` is left out for a larger input.
        ShapeError: ``v`` does not match the inputs (also a RuntimeError).

    Example:
        >>> f = lambda x: (x ** 3).sum()                  # H = diag(6x)
        >>> hvp(f, Tensor([1.0, 2.0]), Tensor([1.0, 1.0]))[1].numpy()
        array([ 6., 12.])
    """
    return hessian_product(func, inputs, v, create_graph, strict, "hvp")
