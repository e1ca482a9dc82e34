"""diagnose_grads: why a parameter's gradient is zero, for each kind of reason.

Dead ReLU units (counted per layer), saturated tanh units, a detached branch, a branch run
under no_grad, a comparison, a zero-gradient op, a parameter the output never used, and
parameters that are fine. The report never touches ``.grad`` and works before backward and
after ``backward(retain_graph=True)``.
"""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd_lite import Tensor, detect_anomaly, diagnose_grads, no_grad
from autograd_lite.checking.diagnose import GradDiagnosis
from autograd_lite.grad_mode import watch

X = np.random.default_rng(0).uniform(-1, 1, (8, 3))


def _dead_relu_model(dead: int) -> nn.Module:
    """Linear(3, 4) -> ReLU -> Linear(4, 2), with ``dead`` hidden units whose bias is -100."""
    nn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    bias = np.full(4, 0.5)
    bias[:dead] = -100.0
    model[0].bias.data = bias
    return model


def _leaf(data, label: str) -> Tensor:
    tensor = Tensor(data, requires_grad=True)
    tensor.label = label
    return tensor


def test_some_dead_relu_units_are_counted_and_the_rest_is_fine() -> None:
    model = _dead_relu_model(dead=3)
    loss = (model(Tensor(X)) ** 2).mean()
    report = diagnose_grads(loss, model)
    [layer] = report.layers
    assert (layer.layer, layer.count, layer.units, layer.samples) == ("ReLU after layer 0", 3, 4, 8)
    assert layer.fraction == pytest.approx(0.75)
    assert [p.status for p in report] == ["fine"] * 4
    assert report["0.weight"].saturation == [layer]  # listed on the paths it sits on
    assert report["2.weight"].saturation == []  # the ReLU is below layer 2, not above it
    assert "ReLU after layer 0: 3 of 4 units dead (75%) over a batch of 8" in str(report)


def test_a_layer_of_dead_relus_is_reported_as_such() -> None:
    model = _dead_relu_model(dead=4)
    loss = (model(Tensor(X)) ** 2).mean()
    report = diagnose_grads(loss, model)
    assert report["0.weight"].status == "saturated" and report["0.bias"].status == "saturated"
    assert report["0.weight"].grad_norm == 0.0
    assert "4 of 4 units dead (100%)" in report["0.weight"].details[0]
    # layer 2's weight multiplies the dead layer's all-zero output
    assert report["2.weight"].status == "zero"
    assert "all-zero input" in report["2.weight"].details[0]
    assert "ReLU after layer 0" in report["2.weight"].details[0]
    assert report["2.bias"].status == "fine"
    assert not report.ok


def test_dotted_names_of_an_mlp_name_the_layers() -> None:
    nn.manual_seed(1)
    model = nn.MLP([3, 5, 5, 1], activation=nn.ReLU)
    model[2].bias.data = np.array([-100.0, 0.0, 0.0, 0.0, 0.0])  # one dead unit in layer 2
    names = [name for name, _ in model.named_parameters()]
    report = diagnose_grads(model(Tensor(X)).sum(), model)
    assert (
        [p.name for p in report]
        == names
        == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    )
    layers = {layer.layer: layer for layer in report.layers}
    assert set(layers) <= {"ReLU after layer 0", "ReLU after layer 2"}
    assert layers["ReLU after layer 2"].count >= 1


def test_saturated_tanh_units() -> None:
    w = _leaf([[40.0, 0.1], [0.0, 0.2]], "w")  # unit 0 (40) saturates, unit 1 (0.3) does not
    x = Tensor(np.ones((5, 2)))
    hidden = (x @ w).tanh()
    s = _leaf([30.0, -60.0], "s")
    report = diagnose_grads(hidden.sum() + s.tanh().sum(), [w, s])
    assert report["s"].status == "saturated"
    assert str(report["s"].saturation[0]) == "Tanh after s: 2 of 2 units saturated (100%)"
    assert report["w"].status == "fine"  # unit 1 still passes a gradient
    [tanh_w] = report["w"].saturation
    assert (tanh_w.count, tanh_w.units, tanh_w.samples) == (1, 2, 5)


def test_saturated_sigmoid_units() -> None:
    z = _leaf(np.array([[20.0, -30.0, 0.0]]), "z")
    report = diagnose_grads(z.sigmoid().sum(), [z])
    [layer] = report.layers
    assert (layer.op, layer.count, layer.units, layer.samples) == ("Sigmoid", 2, 3, 1)
    assert report["z"].status == "fine"


def test_a_detached_branch_an_unused_parameter_and_a_fine_one() -> None:
    used, detached, unused = _leaf([1.0, 2.0], "used"), _leaf([3.0, 4.0], "d"), _leaf(1.0, "u")
    out = (used * 3.0 + (detached * 2.0).detach()).sum()  # an Add keeps no inputs
    report = diagnose_grads(out, [used, detached, unused])
    assert report["used"].status == "fine"
    assert report["used"].grad_norm == pytest.approx(np.sqrt(18.0))
    assert report["d"].status == "detached"
    assert report["d"].details == ["reaches the output only through detach()"]
    assert report["u"].status == "unreachable"
    assert "run the forward pass under detect_anomaly()" in str(report)


def test_under_detect_anomaly_the_line_of_the_cut_is_named() -> None:
    w = _leaf([1.0, 2.0], "w")
    v = _leaf([1.0], "v")
    with detect_anomaly():
        out = (v * w.exp().detach()).sum()  # this line
    report = diagnose_grads(out, [w, v])
    assert report["w"].status == "detached"
    assert "test_diagnose.py" in report["w"].details[0]
    assert "out = (v * w.exp().detach()).sum()" in report["w"].details[0]


def test_a_branch_under_no_grad_and_a_comparison() -> None:
    n, t, v = _leaf([1.0, 2.0], "n"), _leaf([0.5, 2.0], "t"), _leaf([1.0, 1.0], "v")
    with no_grad():
        doubled = n * 2.0
    out = (v * doubled + (t > 1.0) * 1.0).sum()
    report = diagnose_grads(out, [n, t, v])
    assert report["n"].status == "no_grad"
    assert "inside no_grad()" in report["n"].details[0]
    assert report["t"].status == "non-differentiable"
    assert "comparison >" in report["t"].details[0]
    assert report["v"].status == "fine"
    assert watch.count == 0  # the no_grad block is closed


def test_a_copy_through_the_tensor_constructor_is_a_cut_too() -> None:
    w = _leaf([1.0, 2.0], "w")
    v = _leaf([1.0, 1.0], "v")
    report = diagnose_grads((v + Tensor(w * 2.0)).sum(), [w, v])
    assert report["w"].status == "detached" and "Tensor(t)" in report["w"].details[0]


def test_a_zero_gradient_op_is_non_differentiable() -> None:
    w, v = _leaf([1.5, 2.5], "w"), _leaf([1.0, 1.0], "v")
    report = diagnose_grads((v * w.floor()).sum(), [w, v])
    assert report["w"].status == "non-differentiable"
    assert report["w"].details == ["reaches the output only through Floor, whose gradient is 0"]


def test_boolean_combinations_of_comparisons_keep_their_origin() -> None:
    w, v = _leaf([1.5, 2.5], "w"), _leaf([1.0, 1.0], "v")
    mask = ~(w > 2.0) & (w > 0.0)
    report = diagnose_grads((v * mask + v * w.sign()).sum(), [w, v])
    assert report["w"].status == "non-differentiable"
    assert report["w"].details == [
        "reaches the output only through Sign, whose gradient is 0 and a comparison > "
        "(comparisons have no gradient)"
    ]


def test_frozen_parameters_and_grads_are_untouched_before_and_after_backward() -> None:
    model = _dead_relu_model(dead=1)
    model[2].bias.requires_grad = False
    loss = (model(Tensor(X)) ** 2).mean()
    before = diagnose_grads(loss, model)
    assert all(p.grad is None for p in model.parameters())
    assert before["2.bias"].status == "frozen"
    loss.backward(retain_graph=True)
    grads = [None if p.grad is None else p.grad.data.copy() for p in model.parameters()]
    after = diagnose_grads(loss, model)
    for p, g in zip(model.parameters(), grads):
        assert (p.grad is None and g is None) or np.array_equal(p.grad.data, g)
    assert [p.status for p in after] == [p.status for p in before]
    assert [p.grad_norm for p in after] == pytest.approx([p.grad_norm for p in before])


def test_after_a_plain_backward_the_report_uses_grad_and_says_the_graph_is_gone() -> None:
    model = _dead_relu_model(dead=4)
    loss = (model(Tensor(X)) ** 2).mean()
    loss.backward()
    report = diagnose_grads(loss, model)
    assert report["0.weight"].status == "zero"  # the units can no longer be counted
    assert report["2.bias"].status == "fine"
    assert "the graph was freed by backward()" in str(report)


def test_report_shapes_names_and_text() -> None:
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([[1.0]], requires_grad=True)
    report = diagnose_grads(a * 2.0, [a, b])  # a non-scalar output: the sum's gradient
    assert isinstance(report, GradDiagnosis)
    assert [p.name for p in report] == ["params[0]", "params[1]"]
    assert [p.shape for p in report] == [(2,), (1, 1)]
    assert report["params[0]"].grad_norm == pytest.approx(np.sqrt(8.0))
    text = str(report)
    assert text.splitlines()[1].split() == ["name", "shape", "status", "grad", "norm", "why"]
    assert "of the sum of its entries" in text
    assert "<table>" in report._repr_html_() and "unreachable" in report._repr_html_()
    with pytest.raises(KeyError):
        report["nope"]


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="output must be a Tensor"):
        diagnose_grads(1.0, [])
    with pytest.raises(TypeError, match="not a Tensor"):
        diagnose_grads(Tensor(1.0), [np.ones(2)])


def test_a_bias_before_batchnorm_cancels_rather_than_saturates() -> None:
    """BatchNorm subtracts the batch mean, so the bias of the Linear before it gets a
    gradient of round-off size even though half the ReLU units above are alive: the report
    says the gradient cancels, naming the weight beside it, not that units are dead."""
    nn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    loss = (model(Tensor(X)) ** 2).mean()
    report = diagnose_grads(loss, model)
    bias = report["0.bias"]
    assert bias.grad_norm < 1e-12 and bias.status == "tiny"
    assert "0.weight gets" in bias.details[0] and "sums to about 0" in bias.details[0]
    assert report["0.weight"].status == "fine"
    # with every unit above dead the parameter is saturated, whatever its partners get
    model[3].weight.data = np.zeros((2, 8))
    model[1].bias.data = np.full(8, -100.0)
    report = diagnose_grads((model(Tensor(X)) ** 2).mean(), model)
    assert report["0.bias"].status == "saturated"


def test_a_fine_parameter_has_no_why_in_the_table() -> None:
    model = _dead_relu_model(dead=3)
    report = diagnose_grads((model(Tensor(X)) ** 2).mean(), model)
    assert report["0.weight"].details  # the data keeps the dead units on its paths
    row = next(line for line in str(report).splitlines() if line.strip().startswith("0.weight"))
    assert row.split() == ["0.weight", "(4,", "3)", "fine", f"{report['0.weight'].grad_norm:.3g}"]


def test_a_relu_after_batchnorm_is_named_after_the_batchnorm_layer() -> None:
    # the nearest named parameters are BatchNorm's (layer 1), not every parameter below
    nn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU())
    images = Tensor(np.random.default_rng(0).normal(size=(5, 1, 6, 6)))
    report = diagnose_grads((model(images) ** 2).mean(), model)
    assert [layer.layer for layer in report.layers] == ["ReLU after layer 1"]
