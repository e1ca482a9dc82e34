"""nn: layers, losses and optimizers built only on autograd_lite's public API.

PyTorch's names, argument names, layouts and numbers. The modules, by concept: ``module``
(Module), ``parameter``, ``state`` (state_dict), ``hooks``, ``containers``, ``linear``,
``activations``, ``layers`` (Dropout, Flatten, Identity), ``conv``, ``pooling``,
``normalization`` (BatchNorm, LayerNorm), ``sparse`` (Embedding), ``cells`` and
``recurrent`` (RNN, LSTM, GRU), ``attention`` (MultiheadAttention), ``losses``,
``functional``, ``init``,
``optim`` (optimizers, ``lr_scheduler``), ``utils`` (gradient clipping), ``data``
(DataLoader), ``serialization`` (safetensors files), ``training`` (fit).

Example:
    >>> import numpy as np, nn
    >>> _ = nn.manual_seed(0)       # (returns the new generator)
    >>> model = nn.MLP([2, 8, 1], activation=nn.Tanh)
    >>> opt = nn.optim.SGD(model.parameters(), lr=0.1)
    >>> history = nn.fit(model, nn.MSELoss(), opt, np.ones((4, 2)), np.zeros((4, 1)), epochs=5)
"""

from . import data, functional, init, optim, utils
from .activations import (
    ELU,
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .attention import MultiheadAttention
from .cells import GRUCell, LSTMCell, RNNCell
from .checking import gradcheck_module
from .containers import ModuleDict, ModuleList, ParameterList, Sequential
from .conv import Conv1d, Conv2d
from .hooks import RemovableHandle
from .init import manual_seed
from .layers import Dropout, Flatten, Identity
from .linear import MLP, Linear
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HalfSquaredError,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .parameter import Parameter
from .pooling import AvgPool2d, MaxPool2d
from .recurrent import GRU, LSTM, RNN
from .serialization import load, save
from .sparse import Embedding
from .state import IncompatibleKeys
from .training import fit

__all__ = [
    "ELU",
    "GELU",
    "MLP",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "Flatten",
    "GRU",
    "GRUCell",
    "HalfSquaredError",
    "HuberLoss",
    "Identity",
    "IncompatibleKeys",
    "KLDivLoss",
    "L1Loss",
    "LSTM",
    "LSTMCell",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "ModuleDict",
    "ModuleList",
    "MultiheadAttention",
    "NLLLoss",
    "Parameter",
    "ParameterList",
    "RNN",
    "RNNCell",
    "ReLU",
    "RemovableHandle",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "SmoothL1Loss",
    "Softmax",
    "Softplus",
    "Tanh",
    "fit",
    "data",
    "functional",
    "gradcheck_module",
    "init",
    "load",
    "manual_seed",
    "optim",
    "save",
    "utils",
]


def __dir__() -> list[str]:
    """The public names only, not the modules the imports above load."""
    return sorted(__all__)
