"""Learning-rate schedulers: known sequences, closed forms against chained ones, resuming
with last_epoch and state dicts (PyTorch's own numbers: test_lr_scheduler_torch.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from nn import optim

from .scheduler_cases import CLOSED_FORMS, SCHEDULERS, STEPS, make_optimizer


def params():
    return [nn.Parameter([1.0]), nn.Parameter([2.0])]


def sequence(name, optimizer_name="SGD"):
    optimizer = make_optimizer(optim, params(), optimizer_name)
    scheduler = SCHEDULERS[name](optim, optimizer)
    rates = [scheduler.get_last_lr()]
    for _ in range(STEPS[name]):
        optimizer.step()
        scheduler.step()
        rates.append(scheduler.get_last_lr())
        assert rates[-1] == [group["lr"] for group in optimizer.param_groups]
    return rates


def first_group(rates):
    return [round(lr[0], 12) for lr in rates]


def test_step_lr():
    assert first_group(sequence("StepLR"))[:8] == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025]


def test_multi_step_lr_counts_a_repeated_milestone_twice():
    rates = first_group(sequence("MultiStepLR"))
    assert rates[:6] == [0.1, 0.1, 0.03, 0.03, 0.03, round(0.1 * 0.3**3, 12)]


def test_exponential_lr():
    rates = sequence("ExponentialLR")
    assert [lr[1] for lr in rates[:3]] == [0.05, 0.05 * 0.93, 0.05 * 0.93 * 0.93]


def test_linear_lr_warms_up_then_stays():
    rates = first_group(sequence("LinearLR"))
    expected = [0.1 * (0.25 + 0.75 * min(epoch, 6) / 6) for epoch in range(len(rates))]
    np.testing.assert_allclose(rates, expected, rtol=1e-12)


def test_cosine_annealing_follows_the_cosine_also_past_t_max():
    rates = [lr[0] for lr in sequence("CosineAnnealingLR")]
    expected = [0.1 * (1 + math.cos(math.pi * epoch / 7)) / 2 for epoch in range(len(rates))]
    np.testing.assert_allclose(rates, expected, rtol=1e-9, atol=1e-15)


def test_lambda_lr_per_group():
    rates = sequence("LambdaLR-per-group")
    assert rates[4] == [0.1 * 0.9**4, 0.05 * 0.5]


def test_one_cycle_goes_up_then_down_and_cycles_momentum_the_other_way():
    optimizer = make_optimizer(optim, params())
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=10)
    rates, momenta = [], []
    for _ in range(10):
        rates.append(scheduler.get_last_lr()[0])
        momenta.append(optimizer.param_groups[0]["momentum"])
        optimizer.step()
        scheduler.step() if len(rates) < 10 else None
    assert rates[0] == pytest.approx(1.0 / 25) and max(rates) == pytest.approx(1.0)
    assert rates[-1] == pytest.approx(1.0 / 25 / 1e4)
    assert momenta[0] == 0.95 and min(momenta) == pytest.approx(0.85)
    with pytest.raises(ValueError, match="total_steps is 10"):
        scheduler.step()
        scheduler.step()


def test_one_cycle_cycles_adams_beta1():
    optimizer = make_optimizer(optim, params(), "Adam")
    optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=10)
    assert optimizer.param_groups[0]["betas"] == (0.95, 0.999)
    with pytest.raises(ValueError, match="no momentum or betas"):
        optim.lr_scheduler.OneCycleLR(optim.Adagrad(params()), max_lr=0.1, total_steps=10)


def test_sequential_warmup_then_cosine():
    rates = [lr[0] for lr in sequence("SequentialLR")]
    np.testing.assert_allclose(rates[:4], [0.01, 0.0325, 0.055, 0.0775], rtol=1e-12)
    assert rates[4] == pytest.approx(0.1)  # the cosine starts from the initial rate
    assert rates[9] == pytest.approx(0.001 + 0.099 * (1 + math.cos(math.pi * 5 / 10)) / 2)


@pytest.mark.parametrize("name", CLOSED_FORMS)
def test_the_closed_form_gives_the_chained_rates(name):
    chained = sequence(name)
    optimizer = make_optimizer(optim, params())
    scheduler = SCHEDULERS[name](optim, optimizer)
    for epoch in range(1, len(chained)):
        scheduler.step(epoch)
        np.testing.assert_allclose(scheduler.get_last_lr(), chained[epoch], rtol=1e-12)


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_state_dict_and_optimizer_state_resume_the_sequence(name):
    expected = sequence(name)
    optimizer = make_optimizer(optim, params())
    scheduler = SCHEDULERS[name](optim, optimizer)
    for _ in range(7):
        optimizer.step()
        scheduler.step()
    saved_optimizer, saved_scheduler = optimizer.state_dict(), scheduler.state_dict()
    resumed_optimizer = make_optimizer(optim, params())
    resumed = SCHEDULERS[name](optim, resumed_optimizer)  # made first, as PyTorch advises
    resumed_optimizer.load_state_dict(saved_optimizer)
    resumed.load_state_dict(saved_scheduler)
    rates = [resumed.get_last_lr()]
    for _ in range(STEPS[name] - 7):
        resumed_optimizer.step()
        resumed.step()
        rates.append(resumed.get_last_lr())
    assert rates == expected[7:]


@pytest.mark.parametrize("name", ["MultiStepLR", "ExponentialLR", "LinearLR"])
def test_last_epoch_resumes_from_the_optimizers_rates(name):
    # PyTorch's rule: a scheduler made with last_epoch=n steps to n + 1 keeping the loaded
    # rates (these three; StepLR would apply its epoch-6 decay again, as PyTorch's does:
    # test_lr_scheduler_torch.py compares them all)
    expected = sequence(name)
    optimizer = make_optimizer(optim, params())
    scheduler = SCHEDULERS[name](optim, optimizer)
    for _ in range(6):
        scheduler.step()
    saved = optimizer.state_dict()
    resumed_optimizer = make_optimizer(optim, params())
    resumed_optimizer.load_state_dict(saved)  # the groups carry initial_lr
    factory = {
        "MultiStepLR": lambda o: optim.lr_scheduler.MultiStepLR(o, [2, 5, 5, 9], 0.3, 5),
        "ExponentialLR": lambda o: optim.lr_scheduler.ExponentialLR(o, 0.93, last_epoch=5),
        "LinearLR": lambda o: optim.lr_scheduler.LinearLR(o, 0.25, 1.0, 6, last_epoch=5),
    }[name]
    resumed = factory(resumed_optimizer)
    rates = [resumed.get_last_lr()]
    for _ in range(5):
        resumed.step()
        rates.append(resumed.get_last_lr())
    np.testing.assert_allclose(rates, expected[6:12], rtol=1e-12)


def test_resuming_without_initial_lr_is_explained():
    with pytest.raises(KeyError, match="no 'initial_lr'"):
        optim.lr_scheduler.StepLR(make_optimizer(optim, params()), 3, last_epoch=4)


def test_a_scheduler_state_of_another_kind_is_refused():
    optimizer = make_optimizer(optim, params())
    step = optim.lr_scheduler.StepLR(optimizer, 3)
    other = optim.lr_scheduler.ExponentialLR(make_optimizer(optim, params()), 0.5)
    with pytest.raises(KeyError, match="not this scheduler's"):
        step.load_state_dict(other.state_dict())


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda o: optim.lr_scheduler.StepLR(o, 0), ValueError, "step_size must be an integer"),
        (lambda o: optim.lr_scheduler.LinearLR(o, start_factor=0), ValueError, "start_factor"),
        (lambda o: optim.lr_scheduler.LambdaLR(o, [abs]), ValueError, "expected 2 lr_lambdas"),
        (lambda o: optim.lr_scheduler.OneCycleLR(o, 1.0), ValueError, "give total_steps"),
        (lambda o: optim.lr_scheduler.OneCycleLR(o, [1.0], 5), ValueError, "1 values for 2"),
        (lambda o: optim.lr_scheduler.StepLR(object(), 1), TypeError, "not an Optimizer"),
        (lambda o: optim.lr_scheduler.SequentialLR(o, [], []), ValueError, "at least one"),
    ],
)
def test_bad_scheduler_settings_are_explained(make, error, message):
    with pytest.raises(error, match=message):
        make(make_optimizer(optim, params()))
