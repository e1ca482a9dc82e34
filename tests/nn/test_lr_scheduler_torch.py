"""The schedulers against PyTorch's (skipped when torch is not installed): get_last_lr()
and the cycled momentum step for step, step(epoch), and resuming with last_epoch."""

from __future__ import annotations

import warnings

import pytest

import nn
from nn import optim

from .scheduler_cases import CLOSED_FORMS, SCHEDULERS, STEPS, make_optimizer

torch = pytest.importorskip("torch")


def ours():
    return [nn.Parameter([1.0]), nn.Parameter([2.0])]


def theirs():
    return [torch.nn.Parameter(torch.tensor([1.0])), torch.nn.Parameter(torch.tensor([2.0]))]


def run(module, tensors, name, optimizer_name="SGD", epochs=None):
    optimizer = make_optimizer(module, tensors, optimizer_name)
    scheduler = SCHEDULERS[name](module, optimizer)
    seen = [(scheduler.get_last_lr(), _momenta(optimizer))]
    for epoch in range(1, STEPS[name] + 1):
        optimizer.step()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch's deprecation of step(epoch)
            scheduler.step(epoch) if epochs else scheduler.step()
        seen.append((scheduler.get_last_lr(), _momenta(optimizer)))
    return seen


def _momenta(optimizer):
    return [group.get("momentum", group.get("betas")) for group in optimizer.param_groups]


@pytest.mark.parametrize("optimizer_name", ["SGD", "Adam"])
@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_rates_and_momenta_equal_pytorchs_step_for_step(name, optimizer_name):
    assert run(optim, ours(), name, optimizer_name) == run(torch.optim, theirs(), name,
                                                           optimizer_name)  # fmt: skip


@pytest.mark.parametrize("name", CLOSED_FORMS)
def test_step_with_an_epoch_uses_pytorchs_closed_form(name):
    assert run(optim, ours(), name, epochs=True) == run(torch.optim, theirs(), name, epochs=True)


RESUMABLE = {
    "StepLR": lambda m, o, last: m.lr_scheduler.StepLR(o, 3, gamma=0.5, last_epoch=last),
    "MultiStepLR": lambda m, o, last: m.lr_scheduler.MultiStepLR(o, [2, 5, 9], 0.3, last),
    "ExponentialLR": lambda m, o, last: m.lr_scheduler.ExponentialLR(o, 0.9, last_epoch=last),
    "LinearLR": lambda m, o, last: m.lr_scheduler.LinearLR(o, 0.25, 1.0, 8, last_epoch=last),
    "CosineAnnealingLR": lambda m, o, last: m.lr_scheduler.CosineAnnealingLR(o, 6, 0.0, last),
    "LambdaLR": lambda m, o, last: m.lr_scheduler.LambdaLR(o, lambda e: 0.8**e, last),
}


@pytest.mark.parametrize("last_epoch", [0, 4, 6])
@pytest.mark.parametrize("name", sorted(RESUMABLE))
def test_resuming_with_last_epoch_gives_pytorchs_rates(name, last_epoch):
    def resumed(module, tensors):
        optimizer = make_optimizer(module, tensors)
        for group in optimizer.param_groups:
            group["initial_lr"] = group["lr"] * 2  # as a loaded state dict would carry
        scheduler = RESUMABLE[name](module, optimizer, last_epoch)
        rates = [scheduler.get_last_lr()]
        for _ in range(12):
            optimizer.step()
            scheduler.step()
            rates.append(scheduler.get_last_lr())
        return rates

    assert resumed(optim, ours()) == resumed(torch.optim, theirs())
