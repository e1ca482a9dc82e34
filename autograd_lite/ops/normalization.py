"""Layer normalisation as one op: x-hat kept, one rule for its gradient.

Composed of Tensor operations (two means, a subtraction, a square root, a division and the
affine map) it records about ten ops per call, each with its own arrays; as one op the
forward keeps x-hat and 1/sigma, and the rule is the closed form below.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.context import Context
from .activations import kept_tensor
from .op import Op


class LayerNorm(Op):
    """y = xhat w + b,  xhat = (x - mean) / sqrt(var + eps) over the last axes;  with G = dL/dy:
    dL/dx = (Gw - mean(Gw) - xhat mean(Gw xhat)) / sqrt(var + eps),  dL/dw = G xhat,
    dL/db = G   (w and b summed over the leading axes; either may be absent)

    var is the biased variance (the mean of squared deviations), as PyTorch's layer_norm.
    Under create_graph the rule recomputes x-hat with Tensor operations (Tensor.mean is
    sum * (1 / n)), which can differ from the forward's in the last bits.
    """

    array_backward = True  # on arrays: a few passes, the weight and bias sums reduced here

    @staticmethod
    def forward(
        ctx: Context,
        x: np.ndarray,
        *affine: np.ndarray,
        axes: tuple[int, ...],
        eps: float,
        has_weight: bool,
    ) -> np.ndarray:
        ctx.axes, ctx.eps, ctx.has_weight = axes, eps, has_weight
        count = int(np.prod([x.shape[a] for a in axes]))
        # means as np.mean computes them (sum / count): a row of equal values has deviation
        # exactly 0 (sum * (1 / count), Tensor.mean's form, can leave one rounding step,
        # which 1 / sqrt(eps) then magnifies)
        deviation = x - np.sum(x, axis=axes, keepdims=True) / count
        variance = np.sum(deviation * deviation, axis=axes, keepdims=True) / count
        ctx.inverse = 1.0 / np.sqrt(variance + eps)
        deviation *= ctx.inverse
        ctx.xhat = deviation
        if not affine:
            return deviation.copy()  # the kept xhat must not be the output a user may edit
        y = deviation * affine[0] if has_weight else deviation + affine[0]
        if has_weight and len(affine) == 2:
            y += affine[1]
        return y

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> Any:
        x, *affine = ctx.saved_as(grad_output)
        weight = affine[0] if ctx.has_weight else None
        if isinstance(grad_output, np.ndarray):  # on arrays (Op.array_backward)
            return _backward_arrays(ctx, grad_output, weight, len(affine))
        xhat = kept_tensor(ctx, ctx.xhat, lambda: _normalized(x, ctx.axes, ctx.eps)[0])
        inverse = kept_tensor(ctx, ctx.inverse, lambda: _normalized(x, ctx.axes, ctx.eps)[1])
        scaled = grad_output if weight is None else grad_output * weight
        mean_scaled = scaled.mean(axis=ctx.axes, keepdims=True)
        mean_product = (scaled * xhat).mean(axis=ctx.axes, keepdims=True)
        grad_x = (scaled - mean_scaled - xhat * mean_product) * inverse
        grads = [grad_x]
        if weight is not None:
            grads.append(grad_output * xhat)  # the engine sums it to the weight's shape
        if len(affine) > len(grads) - 1:
            grads.append(grad_output)
        return tuple(grads)


def _backward_arrays(
    ctx: Context, grad_output: np.ndarray, weight: Any, n_affine: int
) -> tuple[Any, ...]:
    """The rule on arrays: x's gradient in one new array, w's and b's summed here."""
    axes, xhat = ctx.axes, ctx.xhat
    count = 1.0 / int(np.prod([xhat.shape[a] for a in axes]))
    scaled = grad_output * weight if weight is not None else grad_output.copy()
    mean_scaled = np.add.reduce(scaled, axis=axes, keepdims=True) * count
    mean_product = np.add.reduce(scaled * xhat, axis=axes, keepdims=True) * count
    scaled -= mean_scaled
    scaled -= xhat * mean_product
    scaled *= ctx.inverse
    grads: list[Any] = [scaled]
    lead = tuple(range(xhat.ndim - len(axes)))
    if weight is not None:
        grads.append(np.add.reduce(grad_output * xhat, axis=lead))
    if n_affine > len(grads) - 1:
        grads.append(np.add.reduce(grad_output, axis=lead))
    return tuple(grads)


def _normalized(x: Any, axes: tuple[int, ...], eps: float) -> tuple[Any, Any]:
    """(xhat, 1 / sqrt(var + eps)) from a Tensor, on the graph (for create_graph)."""
    deviation = x - x.mean(axis=axes, keepdims=True)
    inverse = 1.0 / ((deviation * deviation).mean(axis=axes, keepdims=True) + eps).sqrt()
    return deviation * inverse, inverse
