"""`Function`: the base class for users' own differentiable functions, written with NumPy."""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from .apply import apply
from .context import Context
from .node import Node
from .tensor_base import TensorBase, bound
from .versions import mutations, nothing


class Function:
    """Base class for custom differentiable functions written with NumPy.

    Subclass it with two static methods, both on NumPy arrays:

    - ``forward(ctx, *inputs)`` returns an array (or a tuple of arrays for several outputs);
      call ``ctx.save_for_backward(...)`` to keep what backward needs.
    - ``backward(ctx, *grad_outputs)`` gets one gradient array per output and returns one
      gradient array (or None) per input.

    Use it as ``Square.apply(x)``. Inputs may be Tensors, arrays or numbers; outputs are
    Tensors. A custom Function is differentiable once: its backward is not recorded.

    Example:
        >>> class Square(Function):
        ...     @staticmethod
        ...     def forward(ctx, x): ctx.save_for_backward(x); return x * x
        ...     @staticmethod
        ...     def backward(ctx, grad): (x,) = ctx.saved_tensors; return 2 * x * grad
        >>> y = Square.apply(Tensor([3.0], requires_grad=True))
    """

    # the flags `apply` reads (their meaning is documented once, on `ops.op.Op`)
    returns_view = False
    bool_inputs: tuple[int, ...] = ()
    is_builtin = False  # forward is checked (`run_forward`), saved arrays watched (`guard`)
    array_backward = False  # its backward runs on arrays anyway, through `run_backward`

    @classmethod
    def apply(cls, *inputs: Any) -> Any:
        """Run the function on Tensors (or arrays / numbers), recording it in the graph."""
        return apply(cls, inputs, {})

    @classmethod
    def guard(cls, ctx: Context, tensors: tuple[Any, ...], results: tuple[Any, ...]) -> None:
        """Watch the inputs and outputs whose arrays forward saved (compared by identity)."""
        saved = [value for value in (ctx._saved or ()) if isinstance(value, np.ndarray)]
        if not saved:
            return

        def is_saved(tensor: TensorBase) -> bool:
            return any(value is tensor._data for value in saved)

        positions = tuple([i for i, t in enumerate(tensors) if is_saved(t)])
        ctx._watched = tuple([tensors[i] for i in positions])
        ctx._watched_index = positions
        ctx._stamp = mutations.last
        # an output that was not saved gets a reference to nothing, so positions stay right
        ctx._outputs = tuple([weakref.ref(r) if is_saved(r) else nothing for r in results])

    @classmethod
    def run_forward(cls, ctx: Context, tensors: tuple[Any, ...]) -> Any:
        """Call the user's forward on the arrays and check that it returned numeric arrays."""
        outputs = cls.forward(ctx, *[t._data for t in tensors])
        for index, output in enumerate(outputs if isinstance(outputs, tuple) else (outputs,)):
            kind = getattr(output, "dtype", np.asarray(output).dtype).kind
            if kind not in "biuf" or isinstance(output, TensorBase):
                raise TypeError(
                    f"{cls.__name__}.forward returned {type(output).__name__} "
                    f"(dtype kind {kind!r}) as output {index}; expected a numeric NumPy array "
                    "(forward works on arrays: return an ndarray, not a Tensor)"
                )
            if kind == "b":  # a Tensor with grad_fn must hold floats; masks come from < > ==
                raise TypeError(
                    f"{cls.__name__}.forward returned a bool array as output {index}; a "
                    "Function's outputs are float (integers become float64): return "
                    "mask.astype(float), or compute the mask outside the Function"
                )
        return outputs

    @classmethod
    def run_backward(cls, node: Node, grads: list[Any], create_graph: bool) -> Any:
        """The user's backward on arrays. Under create_graph the gradients come and go as
        Tensors, unrecorded: a Function is differentiable once."""
        if not create_graph:
            return cls._backward_on_arrays(node, grads)
        arrays = [None if g is None else g._data for g in grads]
        wrap = bound.wrap
        raw = cls._backward_on_arrays(node, arrays)
        return tuple([None if g is None else wrap(g, False) for g in raw])

    @classmethod
    def _backward_on_arrays(cls, node: Node, grads: list[Any]) -> Any:
        """Call the user's backward on arrays and check what it returns (one float array or
        None per input); `Node._backward` then fits each to its input's shape and dtype."""
        raw = cls.backward(node, *node.grads_or_zeros(grads))
        if not isinstance(raw, tuple):
            raw = (raw,)
        n_inputs = len(node._parents)
        if len(raw) != n_inputs:
            raise RuntimeError(
                f"{cls.__name__}.backward returned {len(raw)} gradient(s), expected "
                f"{n_inputs} (one per input of forward, None where there is none)"
            )
        arrays: list[np.ndarray | None] = []
        for index, grad in enumerate(raw):
            if grad is None:
                arrays.append(None)
                continue
            if isinstance(grad, TensorBase):
                raise TypeError(
                    f"{cls.__name__}.backward returned a Tensor for input {index}; a custom "
                    "Function's backward works on NumPy arrays (return grad.data)"
                )
            array = np.asarray(grad)
            if array.dtype.kind != "f":
                raise TypeError(
                    f"{cls.__name__}.backward returned a {array.dtype} gradient for input "
                    f"{index}; expected a floating-point array (e.g. grad.astype(float))"
                )
            arrays.append(array)
        return tuple(arrays)

    @staticmethod
    def forward(ctx: Context, *inputs: np.ndarray) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, *grad_outputs: np.ndarray) -> Any:
        raise NotImplementedError
