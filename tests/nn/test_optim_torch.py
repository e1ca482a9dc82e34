"""The optimizers against PyTorch itself (skipped when torch is not installed): the same
trajectories to 1e-12 in float64, and state dicts with the same structure."""

from __future__ import annotations

import numpy as np
import pytest

from .optim_reference import CASES, START, case_id, gradient
from .test_optim_rules import STEPS, engine_trajectory

torch = pytest.importorskip("torch")


def torch_trajectory(name, settings, steps=STEPS):
    param = torch.nn.Parameter(torch.tensor(START, dtype=torch.float64))
    optimizer = getattr(torch.optim, name)([param], **settings)
    trajectory = []
    for t in range(1, steps + 1):
        param.grad = torch.tensor(gradient(t, param.detach().numpy()))
        optimizer.step()
        trajectory.append(param.detach().numpy().copy())
    return optimizer, trajectory


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_trajectory_equals_pytorchs(case):
    name, settings = case
    _, expected = torch_trajectory(name, settings)
    for step, (ours, theirs) in enumerate(zip(engine_trajectory(name, settings), expected), 1):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12, err_msg=f"step {step}")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_state_dict_has_pytorchs_structure(case):
    import nn
    from autograd_lite import Tensor

    name, settings = case
    theirs, _ = torch_trajectory(name, settings, steps=3)
    param = nn.Parameter(START.copy())
    ours = getattr(nn.optim, name)([param], **settings)
    for t in range(1, 4):
        param.grad = Tensor(gradient(t, param.numpy()))
        ours.step()
    mine, reference = ours.state_dict(), theirs.state_dict()
    assert set(mine["state"]) == set(reference["state"])
    for index, entry in reference["state"].items():
        assert set(mine["state"][index]) == set(entry)
        for key, value in entry.items():
            np.testing.assert_allclose(np.asarray(mine["state"][index][key]),
                                       value.numpy(), rtol=1e-12, atol=1e-12)  # fmt: skip
    (group,) = mine["param_groups"]
    (torch_group,) = reference["param_groups"]
    assert group["params"] == torch_group["params"]
    for key, value in group.items():  # every setting we keep, PyTorch keeps with this value
        assert torch_group[key] == value, key
