"""Every optimizer against PyTorch's documented rule in NumPy, over many steps; parameter
groups; state dicts that continue a trajectory exactly; loaded settings checked."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd_lite import InplaceModificationError, Tensor

from .optim_reference import CASES, REFERENCES, START, case_id, gradient

STEPS = 100


def engine_trajectory(name, settings, steps=STEPS, dtype=np.float64):
    param = nn.Parameter(START.astype(dtype))
    optimizer = getattr(nn.optim, name)([param], **settings)
    trajectory = []
    for t in range(1, steps + 1):
        param.grad = Tensor(gradient(t, param.numpy().astype(np.float64)).astype(dtype))
        optimizer.step()
        trajectory.append(param.numpy().copy())
    return trajectory


def assert_close(actual, expected, rtol=1e-12):
    for step, (a, e) in enumerate(zip(actual, expected), start=1):
        np.testing.assert_allclose(a, e, rtol=rtol, atol=rtol, err_msg=f"step {step}")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_trajectory_follows_the_documented_rule(case):
    name, settings = case
    expected = REFERENCES[name](START, gradient, STEPS, **settings)
    assert_close(engine_trajectory(name, settings), expected)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_float32_parameters_stay_float32_and_follow_the_rule(case):
    name, settings = case
    trajectory = engine_trajectory(name, settings, steps=10, dtype=np.float32)
    assert all(values.dtype == np.float32 for values in trajectory)
    assert_close(trajectory, REFERENCES[name](START, gradient, 10, **settings), rtol=2e-4)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_update_gives_the_parameter_a_new_version(case):
    name, settings = case
    weight = nn.Parameter(START.copy())
    optimizer = getattr(nn.optim, name)([weight], **settings)
    for _ in range(2):  # the second step may update the optimizer's own array in place
        loss = (weight * weight).sum()
        loss.backward(retain_graph=True)
        optimizer.step()
    with pytest.raises(InplaceModificationError):
        loss.backward()


def test_each_group_follows_the_rule_with_its_own_settings():
    first, second = nn.Parameter(START.copy()), nn.Parameter(START[::-1].copy())
    optimizer = nn.optim.Adam(
        [{"params": [first]}, {"params": [second], "lr": 0.05, "amsgrad": True}],
        lr=0.01,
        betas=(0.8, 0.99),
    )
    for t in range(1, STEPS + 1):
        first.grad = Tensor(gradient(t, first.numpy()))
        second.grad = Tensor(gradient(t, second.numpy()))
        optimizer.step()
    reference = REFERENCES["Adam"]
    expected_first = reference(START, gradient, STEPS, lr=0.01, betas=(0.8, 0.99))[-1]
    expected_second = reference(
        START[::-1].copy(), gradient, STEPS, lr=0.05, betas=(0.8, 0.99), amsgrad=True
    )[-1]
    np.testing.assert_allclose(first.numpy(), expected_first, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(second.numpy(), expected_second, rtol=1e-12, atol=1e-12)
    assert [group["lr"] for group in optimizer.param_groups] == [0.01, 0.05]
    assert optimizer.param_groups[1]["betas"] == (0.8, 0.99)  # from the defaults


def test_param_groups_have_pytorchs_layout():
    weight, bias = nn.Parameter([1.0, 2.0]), nn.Parameter([0.0])
    optimizer = nn.optim.SGD([{"params": [weight]}, {"params": [bias], "weight_decay": 0.0}],
                             lr=0.1, momentum=0.9, weight_decay=1e-4)  # fmt: skip
    group = optimizer.param_groups[0]
    assert group["params"][0] is weight
    assert {key: value for key, value in group.items() if key != "params"} == dict(
        lr=0.1, momentum=0.9, dampening=0.0, weight_decay=1e-4, nesterov=False, maximize=False
    )
    assert optimizer.defaults["weight_decay"] == 1e-4
    assert optimizer.param_groups[1]["weight_decay"] == 0.0
    packed = optimizer.state_dict()["param_groups"]
    assert [g["params"] for g in packed] == [[0], [1]]


def test_add_param_group_and_its_refusals():
    a, b = nn.Parameter([1.0]), nn.Parameter([2.0])
    optimizer = nn.optim.RMSprop([a], lr=0.01)
    optimizer.add_param_group({"params": b, "lr": 0.5, "name": "head"} | {"params": [b]})
    assert optimizer.params == [a, b] and optimizer.param_groups[1]["name"] == "head"
    with pytest.raises(ValueError, match="more than once"):
        optimizer.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match=r"param_groups\[2\]: alpha must be a number in"):
        optimizer.add_param_group({"params": [nn.Parameter([0.0])], "alpha": 2.0})
    with pytest.raises(TypeError, match="ordered collection"):
        optimizer.add_param_group({"params": {nn.Parameter([0.0])}})
    assert len(optimizer.param_groups) == 2
    with pytest.raises(ValueError, match="different learning rates"):
        optimizer.lr  # noqa: B018 - reading it is the test
    optimizer.lr = 0.1
    assert optimizer.lr == 0.1


def run_with_resume(name, settings, resume_at):
    """Steps 1..resume_at with one optimizer, then a new optimizer (other settings) loads its
    state dict and does the rest; returns the final values."""
    param = nn.Parameter(START.copy())
    optimizer = getattr(nn.optim, name)([param], **settings)
    for t in range(1, resume_at + 1):
        param.grad = Tensor(gradient(t, param.numpy()))
        optimizer.step()
    saved = optimizer.state_dict()
    resumed_param = nn.Parameter(param.numpy().copy())
    resumed = getattr(nn.optim, name)([resumed_param], lr=0.9)  # lr etc. come from the state
    resumed.load_state_dict(saved)
    for t in range(resume_at + 1, STEPS + 1):
        resumed_param.grad = Tensor(gradient(t, resumed_param.numpy()))
        resumed.step()
    return resumed_param.numpy()


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_a_loaded_state_dict_continues_the_trajectory_exactly(case):
    name, settings = case
    straight = engine_trajectory(name, settings)[-1]
    np.testing.assert_array_equal(run_with_resume(name, settings, 37), straight)


def test_state_dict_holds_copies_in_pytorchs_layout():
    param = nn.Parameter(START.copy())
    optimizer = nn.optim.Adam([param], lr=0.01, amsgrad=True)
    param.grad = Tensor(gradient(1, START))
    optimizer.step()
    state = optimizer.state_dict()
    assert set(state) == {"state", "param_groups"}
    assert set(state["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert state["state"][0]["step"] == 1
    state["state"][0]["exp_avg"][...] = 99.0
    assert not np.any(optimizer.state[0]["exp_avg"] == 99.0)


def test_adagrad_makes_its_state_at_construction_as_pytorch():
    optimizer = nn.optim.Adagrad([nn.Parameter(START.copy())], initial_accumulator_value=0.1)
    entry = optimizer.state_dict()["state"][0]
    assert entry["step"] == 0
    np.testing.assert_array_equal(entry["sum"], np.full(START.shape, 0.1))


def trained(name="Adam", **settings):
    param = nn.Parameter(START.copy())
    optimizer = getattr(nn.optim, name)([param], **settings)
    param.grad = Tensor(gradient(1, START))
    optimizer.step()
    return optimizer


def changed(state, path, value):
    *keys, last = path
    target = state
    for key in keys:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return state


@pytest.mark.parametrize(
    "name, settings, path, value, error, message",
    [
        ("Adam", {}, ("param_groups", 0, "betas"), (1.0, 0.999), ValueError, "betas must be two"),
        ("Adam", {}, ("param_groups", 0, "betas"), "ab", ValueError, "betas must be a pair"),
        ("Adam", {}, ("param_groups", 0, "eps"), float("nan"), ValueError, "eps must be a finite"),
        ("Adam", {}, ("param_groups", 0, "amsgrad"), 1, ValueError, "amsgrad must be True or"),
        ("Adam", {}, ("param_groups", 0, "lr"), KeyError, KeyError, r"lacks .*\['lr'\]"),
        ("Adam", {}, ("param_groups", 0, "lr"), [0.1], ValueError, "lr must be a finite"),
        ("Adam", {}, ("param_groups", 0, "note"), [1], ValueError, "'note' must be a string"),
        ("Adam", {}, ("param_groups", 0, "params"), [1], ValueError, r"parameters \[1\]"),
        ("Adam", {}, ("state", 0, "step"), -1, ValueError, "step must be a non-negative"),
        ("Adam", {}, ("state", 0, "step"), 1.5, ValueError, "step must be a non-negative"),
        ("Adam", {}, ("state", 0, "exp_avg"), np.zeros(3), ValueError, r"exp_avg has shape"),
        ("Adam", {}, ("state", 0, "exp_avg_sq"), KeyError, KeyError, r"missing keys"),
        ("Adam", {}, ("state", 0, "extra"), np.zeros(3), KeyError, r"unknown keys \['extra'\]"),
        ("Adam", {}, ("state", 5), {}, KeyError, "state for parameter 5"),
        ("Adam", {}, ("state", "x"), {}, KeyError, "state for parameter 'x'"),
        ("SGD", dict(momentum=0.9), ("param_groups", 0, "dampening"), 0.5, None, None),
        (
            "SGD",
            dict(momentum=0.9, nesterov=True),
            ("param_groups", 0, "dampening"),
            0.5,
            ValueError,
            "nesterov needs momentum > 0 and dampening = 0",
        ),  # fmt: skip
        ("RMSprop", {}, ("param_groups", 0, "alpha"), 1.5, ValueError, "alpha must be a number"),
        ("RMSprop", dict(centered=True), ("state", 0, "grad_avg"), KeyError, KeyError, "missing"),
        ("Adagrad", {}, ("param_groups", 0, "lr_decay"), -1, ValueError, "lr_decay must be"),
        ("Adagrad", {}, ("state", 0, "sum"), np.zeros((2, 3), np.float32), ValueError, "float32"),
    ],
)
def test_a_bad_state_dict_is_refused_and_nothing_changes(name, settings, path, value, error,
                                                          message):  # fmt: skip
    optimizer = trained(name, **settings)
    before = optimizer.state_dict()
    bad = changed(optimizer.state_dict(), path, value)
    if error is None:  # a legal change: loads
        optimizer.load_state_dict(bad)
        return
    with pytest.raises(error, match=message):
        optimizer.load_state_dict(bad)
    after = optimizer.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for key, array in before["state"][0].items():
        np.testing.assert_array_equal(after["state"][0][key], array)


def test_a_state_dict_for_other_groups_is_refused():
    a, b = nn.Parameter([1.0]), nn.Parameter([2.0])
    two = nn.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    one = nn.optim.SGD([nn.Parameter([1.0]), nn.Parameter([2.0])], lr=0.1)
    with pytest.raises(ValueError, match="2 parameter groups, the optimizer 1"):
        one.load_state_dict(two.state_dict())
    with pytest.raises(KeyError, match="expected keys"):
        one.load_state_dict({"state": {}})


def test_a_loaded_state_keeps_each_groups_own_tensors():
    a, b = nn.Parameter([1.0]), nn.Parameter([2.0])
    optimizer = nn.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    state = optimizer.state_dict()
    state["param_groups"][1]["lr"] = 0.25
    optimizer.load_state_dict(state)
    assert optimizer.param_groups[1]["params"][0] is b
    assert optimizer.param_groups[1]["lr"] == 0.25


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: nn.optim.RMSprop([p], alpha=-0.1), "alpha must be a number in"),
        (lambda p: nn.optim.RMSprop([p], momentum=-1), "momentum must be a finite"),
        (lambda p: nn.optim.Adagrad([p], initial_accumulator_value=-1), "initial_accumulator"),
        (lambda p: nn.optim.Adagrad([p], eps=float("inf")), "eps must be a finite"),
        (lambda p: nn.optim.Adam([{"params": [p], "betas": (0.9, 1.0)}]), r"param_groups\[0\]"),
        (lambda p: nn.optim.SGD([p], maximize="yes"), "maximize must be True or False"),
    ],
)
def test_bad_settings_of_the_new_optimizers_are_explained(make, message):
    with pytest.raises(ValueError, match=message):
        make(nn.Parameter([1.0]))


def test_a_closure_is_called_with_recording_on():
    weight = nn.Parameter([3.0])
    optimizer = nn.optim.Adagrad([weight], lr=0.5)

    def closure():
        optimizer.zero_grad()
        loss = (weight * weight).sum()
        loss.backward()
        return loss

    assert optimizer.step(closure).item() == 9.0
    np.testing.assert_allclose(weight.numpy(), [2.5])


def test_repr_lists_the_groups():
    text = repr(nn.optim.AdamW([nn.Parameter([1.0])], lr=0.5))
    assert text.startswith("AdamW (\nParameter Group 0\n    params: 1 tensors\n    lr: 0.5")


def test_zero_grad_sets_none_or_zeros():
    weight = nn.Parameter([1.0, 2.0])
    optimizer = nn.optim.SGD([weight], lr=0.1)
    old = Tensor([3.0, 4.0])
    weight.grad = old
    optimizer.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(weight.grad.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(old.numpy(), [3.0, 4.0])  # a new array, not written into
    optimizer.zero_grad()
    assert weight.grad is None
