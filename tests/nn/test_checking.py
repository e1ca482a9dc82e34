"""nn.gradcheck_module: one directional derivative per named parameter, as a table."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd_lite import Function, Tensor


class ScaleWrong(Function):
    """y = x * s with the gradient for s doubled."""

    @staticmethod
    def forward(ctx, x, s):
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, grad_output):
        x, s = ctx.saved_tensors
        return grad_output * s, 2.0 * (grad_output * x).sum(axis=0)


class ScaledMLP(nn.Module):
    def __init__(self, wrong: bool) -> None:
        super().__init__()
        self.body = nn.MLP([3, 4, 2])
        self.scale = nn.Parameter(np.array([1.5, -0.5]))
        self.wrong = wrong

    def forward(self, x: Tensor) -> Tensor:
        out = self.body(x)
        return ScaleWrong.apply(out, self.scale) if self.wrong else out * self.scale


def _data():
    rng = np.random.default_rng(0)
    return Tensor(rng.standard_normal((6, 3))), Tensor(rng.standard_normal((6, 2)))


def test_a_correct_model_passes_with_one_row_per_named_parameter() -> None:
    nn.manual_seed(0)
    model = ScaledMLP(wrong=False)
    x, y = _data()
    report = nn.gradcheck_module(model, nn.MSELoss(), x, y)
    assert report.passed
    assert [row.name for row in report] == [name for name, _ in model.named_parameters()]
    assert report["scale"].shape == (2,)
    for row in report:
        assert row.ok and row.analytic == pytest.approx(row.numerical, rel=1e-6, abs=1e-9)
    text = str(report)
    assert text.startswith("gradcheck_module passed: 5 of 5 parameters agree")
    assert text.splitlines()[1].split() == [
        "name",
        "shape",
        "analytic",
        "numeric",
        "rel.",
        "error",
        "ok",
    ]
    assert "<table>" in report._repr_html_()


def test_a_wrong_gradient_is_the_one_row_that_fails() -> None:
    nn.manual_seed(0)
    model = ScaledMLP(wrong=True)
    x, y = _data()
    report = nn.gradcheck_module(model, nn.MSELoss(), x, y)
    assert not report.passed
    assert [row.name for row in report if not row.ok] == ["scale"]
    assert report["scale"].analytic == pytest.approx(2.0 * report["scale"].numerical, rel=1e-5)
    assert "FAILED: 4 of 5" in str(report) and "WRONG" in str(report)


def test_nothing_is_changed_and_an_earlier_graph_still_runs_backward() -> None:
    nn.manual_seed(0)
    model = ScaledMLP(wrong=False)
    x, y = _data()
    loss = nn.MSELoss()(model(x), y)  # built before the check
    before = {name: p.data.copy() for name, p in model.named_parameters()}
    arrays = {name: p.data for name, p in model.named_parameters()}
    nn.gradcheck_module(model, nn.MSELoss(), x, y)
    for name, p in model.named_parameters():
        assert p.grad is None
        assert p.data is arrays[name] and np.array_equal(p.data, before[name])
    loss.backward()  # no InplaceModificationError: versions are unchanged


def test_float32_parameters_are_checked_in_float64_and_given_back() -> None:
    nn.manual_seed(0)
    model = nn.Linear(3, 2, dtype=np.float32) if _takes_dtype() else None
    if model is None:
        model = nn.Linear(3, 2)
        for p in model.parameters():
            p.data = p.data.astype(np.float32)
    x, y = _data()
    with pytest.warns(UserWarning, match="float32 parameter"):
        report = nn.gradcheck_module(model, nn.MSELoss(), x, y)
    assert report.passed
    assert all(p.dtype == np.float32 for p in model.parameters())


def _takes_dtype() -> bool:
    try:
        nn.Linear(1, 1, dtype=np.float32)
    except TypeError:
        return False
    return True


def test_randomness_and_bad_arguments_are_refused() -> None:
    nn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.5))
    x, y = _data()
    with pytest.raises(ValueError, match="not deterministic"):
        nn.gradcheck_module(model, nn.MSELoss(), x, y)
    assert nn.gradcheck_module(model.eval(), nn.MSELoss(), x, y).passed
    with pytest.raises(ValueError, match="single-element"):
        nn.gradcheck_module(model, nn.MSELoss(reduction="none"), x, y)
    with pytest.raises(TypeError, match="nn.Module"):
        nn.gradcheck_module(lambda t: t, nn.MSELoss(), x, y)
    with pytest.raises(ValueError, match="eps"):
        nn.gradcheck_module(model, nn.MSELoss(), x, y, eps=0.0)
