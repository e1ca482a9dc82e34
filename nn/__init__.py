"""nn: layers, losses and optimizers built only on autograd_lite's public API.

Example:
    >>> import numpy as np, nn
    >>> _ = nn.manual_seed(0)       # (returns the new generator)
    >>> model = nn.MLP([2, 8, 1], activation=nn.Tanh)
    >>> opt = nn.optim.SGD(model.parameters(), lr=0.1)
    >>> history = nn.fit(model, nn.MSELoss(), opt, np.ones((4, 2)), np.zeros((4, 1)), epochs=5)
"""

from . import functional, init, optim
from .init import manual_seed
from .layers import (
    MLP,
    Dropout,
    Flatten,
    LeakyReLU,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HalfSquaredError, MSELoss
from .module import Module, ModuleList, Parameter
from .serialization import load, save
from .training import fit

__all__ = [
    "MLP",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "HalfSquaredError",
    "LeakyReLU",
    "Linear",
    "MSELoss",
    "Module",
    "ModuleList",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "fit",
    "functional",
    "init",
    "load",
    "manual_seed",
    "optim",
    "save",
]
