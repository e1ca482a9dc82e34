"""Stateless functions behind the layers and losses: ``nn.functional.mse_loss(a, t)`` etc.

PyTorch's names, argument names and layouts. Losses take the prediction first and the
target second; ``reduction`` is "mean", "sum" or "none" (the elementwise or per-sample
values). The functions live in modules by concept: ``activations`` (and dropout),
``losses`` (prediction and target of one shape), ``classification`` (class targets).
"""

from .activations import (
    dropout,
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from .attention import scaled_dot_product_attention
from .classification import cross_entropy, nll_loss, one_hot
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    half_squared_error,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    smooth_l1_loss,
)

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "elu",
    "gelu",
    "half_squared_error",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "leaky_relu",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "relu",
    "scaled_dot_product_attention",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softplus",
    "tanh",
]
