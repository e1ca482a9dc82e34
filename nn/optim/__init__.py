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
from .sgd import _BLOCK_BYTES, _MAX_BLOCKS, SGD, _block_elements, _subtract_scaled

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
# the in-place update's pieces, for the fast-path tests
_FAST_PATH = (_BLOCK_BYTES, _MAX_BLOCKS, _block_elements, _subtract_scaled)
