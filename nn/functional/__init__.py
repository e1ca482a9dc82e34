"""Stateless functions behind the layers and losses: ``nn.functional.mse_loss(a, t)`` etc.

PyTorch's names, argument names and layouts. Losses take the prediction first and the
target second; ``reduction`` is "mean", "sum" or "none" (the elementwise or per-sample
values). The functions live in modules by concept: ``activations`` (and dropout),
``losses`` (prediction and target of one shape), ``classification`` (class targets),
``conv`` (convolution and padding), ``pooling``, ``normalization``, ``sparse`` (embedding).
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
from .conv import conv1d, conv2d, pad
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
from .normalization import batch_norm, layer_norm
from .pooling import avg_pool2d, max_pool2d
from .sparse import embedding

__all__ = [
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv1d",
    "conv2d",
    "cross_entropy",
    "dropout",
    "elu",
    "embedding",
    "gelu",
    "half_squared_error",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "pad",
    "relu",
    "scaled_dot_product_attention",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softplus",
    "tanh",
]
