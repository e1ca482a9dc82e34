"""`Op`: the base of every built-in Tensor operation, and how the engine calls its rules.

An op is a small class with two static methods, in PyTorch's shape:

- ``forward(ctx, *arrays, **options)`` computes the result on NumPy arrays and may keep
  what backward needs on ``ctx`` (``ctx.out = ...``); the inputs themselves are kept for
  it unless ``saves_inputs`` is False, and come back as ``ctx.saved_tensors``.
- ``backward(ctx, grad_output)`` returns one gradient per input (None where an input needs
  none: see ``ctx.needs_input_grad``), written with Tensor operations. It never mentions
  broadcasting: the engine sums each gradient back to its input's shape afterwards.

Its first docstring line is the math, e.g. ``y = tanh(x);  dy/dx = 1 - y**2``.

How a rule is called (`Op.run_backward`, the engine's only entry to a rule):

- with ``create_graph=True``: on Tensors, recorded, so it can be differentiated again;
- otherwise, for an op with ``array_backward``: directly on NumPy arrays (the upstream
  gradient an array; the rule reads its saved values with ``ctx.saved_as(grad_output)``,
  which gives arrays then): no Tensor per edge;
- otherwise: on Tensors made around the arrays, unrecorded; the engine takes the arrays
  out of the results.
"""

from __future__ import annotations

from typing import Any

from ..engine.apply import apply
from ..engine.context import Context
from ..engine.node import Node
from ..engine.tensor_base import bound


class Op:
    """Base of the built-in ops: forward on arrays, backward on Tensors (differentiable)."""

    #: False for ops whose backward never looks at the inputs (add, reshape, ...), so the
    #: inputs are not kept alive by the graph.
    saves_inputs: bool = True
    #: True for ops whose backward reuses the forward output (exp, tanh, softmax, ...), so
    #: writes into the output's ``.data`` are checked too; or the positions of the outputs
    #: it reuses, when an op with several outputs reads only some.
    saves_output: bool | tuple[int, ...] = False
    #: True for ops whose output may be a view of input 0's array (reshape, transpose, ...).
    returns_view: bool = False
    #: Input positions that take a boolean array as it is (``where``'s condition); every
    #: other bool input is promoted to float before forward.
    bool_inputs: tuple[int, ...] = ()
    #: True for the built-in ops: `apply` calls their forward directly (a Function's is checked)
    is_builtin = True
    #: True for ops whose backward uses only what NumPy arrays and Tensors share (operators,
    #: reshape, transpose, sum): without create_graph it then runs on the arrays directly.
    #: [fast path: array rules]
    array_backward = False

    @classmethod
    def apply(cls, *inputs: Any, **kwargs: Any) -> Any:
        """Apply the op to Tensors (or arrays / numbers) and return Tensor output(s)."""
        return apply(cls, inputs, kwargs)

    @classmethod
    def run_backward(cls, node: Node, grads: list[Any], create_graph: bool) -> Any:
        """Call ``backward`` the way the module docstring describes; gradients of outputs
        that received none are zeros."""
        if len(grads) == 1 and grads[0] is not None:  # one output with a gradient
            grad_output = grads[0]
            if create_graph or cls.array_backward:
                return cls.backward(node, grad_output)
            return cls.backward(node, bound.wrap(grad_output, False))
        if create_graph:
            return cls.backward(node, *node.grads_or_zeros(grads, as_tensors=True))
        wrap = bound.wrap
        return cls.backward(node, *[wrap(g, False) for g in node.grads_or_zeros(grads)])

    # The base signatures take (*Any, **Any): mypy then accepts each op's own parameters
    # (forward(ctx, a, b), backward(ctx, grad_output)) as a valid override.
    @staticmethod
    def forward(ctx: Context, *arrays: Any, **kwargs: Any) -> Any:
        """The result on NumPy arrays."""
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, *grad_outputs: Any, **kwargs: Any) -> Any:
        """One gradient per input, written with Tensor operations."""
        raise NotImplementedError
