"""autograd_lite: reverse-mode automatic differentiation you can read, check and explain.

Public names (see API.md): Value, Tensor, grad, no_grad, enable_grad, Function,
concatenate, stack, where, maximum, gradcheck, gradgradcheck, GradcheckError,
draw_graph, explain. Graphviz is imported only when a picture is drawn.
"""

from ._version import __version__
from .anomaly import detect_anomaly, is_anomaly_enabled
from .autograd import grad
from .errors import (
    AnomalyError,
    DomainError,
    GraphFreedError,
    InplaceModificationError,
    ShapeError,
)
from .explain import explain
from .function import Context, Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops.elementwise import maximum, where
from .ops.linalg import linear
from .ops.nonlinear import softmax_cross_entropy
from .ops.shape import concatenate, stack
from .tensor import Tensor, as_tensor
from .value import Value
from .viz import draw_graph

__all__ = [
    "AnomalyError",
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
    "as_tensor",
    "concatenate",
    "detect_anomaly",
    "draw_graph",
    "enable_grad",
    "explain",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "linear",
    "maximum",
    "no_grad",
    "set_grad_enabled",
    "softmax_cross_entropy",
    "stack",
    "where",
]
