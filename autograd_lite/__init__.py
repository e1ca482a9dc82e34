"""autograd_lite: reverse-mode automatic differentiation you can read, check and explain.

The public names are those of the API contract (``__all__``); ``dir(autograd_lite)``
lists just them. The layers, from the bottom: ``errors``, ``grad_mode`` and ``rng`` (the
global random generator); ``engine`` (apply, node, walk, backward, in-place versions,
anomaly mode); ``ops`` (one class per op); ``tensor`` (its methods in the ``tensor_*``
mixins), ``functions`` and ``creation``; ``scalar`` (Value); ``checking``, ``explaining``,
``functional``, ``stepping``; ``viz``; ``cli``. Graphviz is imported only when a picture is
drawn.
"""

from . import functional
from ._version import __version__
from .checking.diagnose import diagnose_grads
from .checking.gradcheck import GradcheckError, gradcheck, gradgradcheck
from .creation import (
    arange,
    eye,
    full,
    linspace,
    ones,
    ones_like,
    rand,
    randn,
    zeros,
    zeros_like,
)
from .engine.anomaly import detect_anomaly, is_anomaly_enabled
from .engine.backward import grad
from .engine.context import Context
from .engine.function import Function
from .errors import (
    AnomalyError,
    DomainError,
    GraphFreedError,
    InplaceModificationError,
    ShapeError,
)
from .explaining.explain import explain
from .functions import (
    block_max,
    concatenate,
    einsum,
    linear,
    maximum,
    minimum,
    sliding_window_view,
    softmax_cross_entropy,
    stack,
    where,
)
from .functions_fused import attention, gelu, layer_norm
from .functions_recurrent import gru_cell, lstm_cell, lstm_sequence, rnn_cell
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .rng import default_generator, manual_seed
from .scalar.value import Value
from .stepping.steps import BackwardStep, backward_steps
from .tensor import Tensor, as_tensor
from .viz.backward import draw_backward
from .viz.draw import draw_graph

__all__ = [
    "AnomalyError",
    "BackwardStep",
    "Context",
    "DomainError",
    "Function",
    "GradcheckError",
    "GraphFreedError",
    "InplaceModificationError",
    "ShapeError",
    "Tensor",
    "Value",
    "__version__",
    "arange",
    "as_tensor",
    "attention",
    "backward_steps",
    "block_max",
    "concatenate",
    "default_generator",
    "detect_anomaly",
    "diagnose_grads",
    "draw_backward",
    "draw_graph",
    "einsum",
    "enable_grad",
    "explain",
    "functional",
    "eye",
    "full",
    "gelu",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "gru_cell",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "layer_norm",
    "linear",
    "linspace",
    "lstm_cell",
    "lstm_sequence",
    "manual_seed",
    "maximum",
    "minimum",
    "no_grad",
    "ones",
    "ones_like",
    "rand",
    "randn",
    "rnn_cell",
    "set_grad_enabled",
    "sliding_window_view",
    "softmax_cross_entropy",
    "stack",
    "where",
    "zeros",
    "zeros_like",
]


def __dir__() -> list[str]:
    """The public names only, not the subpackages the imports above load."""
    return sorted(__all__)
