"""Optimizers and learning-rate schedulers, with PyTorch's names, layouts and update rules.

`SGD`, `Adam`, `AdamW`, `RMSprop` and `Adagrad` share `Optimizer`: parameter groups
(``param_groups``, a list of dicts in PyTorch's layout), per-parameter ``state`` and
`Optimizer.state_dict` / `Optimizer.load_state_dict`. `lr_scheduler` changes the groups'
learning rates as training goes.
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
