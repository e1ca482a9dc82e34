"""Learning-rate schedulers: PyTorch's classes, giving PyTorch's learning rates step for step.

A scheduler writes ``group["lr"]`` of its optimizer's parameter groups. It takes its first
step when it is made (``last_epoch`` goes from -1 to 0 and the groups get the epoch-0 rate);
call `LRScheduler.step` after each ``optimizer.step()`` (per epoch, or per batch for
`OneCycleLR`). Each ``get_lr`` is PyTorch's recursive ("chained") form, which works from the
groups' current rates, so schedulers can be combined; ``step(epoch)`` uses the closed form
where PyTorch defines one. Resuming with ``last_epoch=n`` needs ``"initial_lr"`` in every
group, as a loaded optimizer state dict provides.
"""

from .base import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiStepLR,
    StepLR,
)
from .cycles import OneCycleLR, SequentialLR

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "OneCycleLR",
    "SequentialLR",
    "StepLR",
]
