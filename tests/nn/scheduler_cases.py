"""Scheduler set-ups shared by the torch-free tests and the PyTorch comparison: each builds
a scheduler from a module with PyTorch's names (``nn.optim`` or ``torch.optim``)."""

from __future__ import annotations


def _sequential(optim, optimizer):
    warmup = optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=4)
    cosine = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10, eta_min=0.001)
    return optim.lr_scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=[4])


def _sequential_three(optim, optimizer):
    first = optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    second = optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    third = optim.lr_scheduler.MultiStepLR(optimizer, milestones=[2, 5, 5], gamma=0.5)
    return optim.lr_scheduler.SequentialLR(optimizer, [first, second, third], milestones=[5, 12])


class Halving:
    """A callable object (its state is saved, unlike a function's)."""

    def __init__(self) -> None:
        self.factor = 0.5

    def __call__(self, epoch: int) -> float:
        return self.factor ** (epoch // 3)


SCHEDULERS = {
    "StepLR": lambda optim, o: optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda optim, o: optim.lr_scheduler.MultiStepLR(o, [2, 5, 5, 9], gamma=0.3),
    "ExponentialLR": lambda optim, o: optim.lr_scheduler.ExponentialLR(o, gamma=0.93),
    "CosineAnnealingLR": lambda optim, o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=7),
    "CosineAnnealingLR-eta_min": lambda optim, o: optim.lr_scheduler.CosineAnnealingLR(
        o, T_max=5, eta_min=0.01
    ),
    "LinearLR": lambda optim, o: optim.lr_scheduler.LinearLR(o, 0.25, 1.0, total_iters=6),
    "LinearLR-down": lambda optim, o: optim.lr_scheduler.LinearLR(o, 1.0, 0.1, total_iters=4),
    "LambdaLR": lambda optim, o: optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + e)),
    "LambdaLR-per-group": lambda optim, o: optim.lr_scheduler.LambdaLR(
        o, [lambda e: 0.9**e, Halving()]
    ),
    "OneCycleLR": lambda optim, o: optim.lr_scheduler.OneCycleLR(
        o, max_lr=[1.0, 0.5], total_steps=30
    ),  # fmt: skip
    "OneCycleLR-linear-three-phase": lambda optim, o: optim.lr_scheduler.OneCycleLR(
        o,
        max_lr=0.8,
        epochs=3,
        steps_per_epoch=10,
        pct_start=0.25,
        anneal_strategy="linear",
        three_phase=True,
    ),  # fmt: skip
    "SequentialLR": _sequential,
    "SequentialLR-three": _sequential_three,
}

#: how many steps each runs (OneCycleLR may not pass total_steps)
STEPS = {name: (29 if name.startswith("OneCycle") else 25) for name in SCHEDULERS}

#: (scheduler, settings) whose closed form PyTorch defines, for step(epoch)
CLOSED_FORMS = ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
                "CosineAnnealingLR-eta_min", "LinearLR", "LinearLR-down"]  # fmt: skip


def make_optimizer(optim, tensors, name="SGD"):
    """Two groups with their own learning rates (SGD with momentum, or Adam)."""
    first, second = tensors
    if name == "Adam":
        return optim.Adam([{"params": [first]}, {"params": [second], "lr": 0.05}], lr=0.1)
    return optim.SGD([{"params": [first]}, {"params": [second], "lr": 0.05}], lr=0.1, momentum=0.9)
