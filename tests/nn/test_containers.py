"""Containers as PyTorch's: Sequential (dict, slices, deletion), ModuleList (printing runs of
equal modules), ModuleDict and ParameterList."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import nn
from autograd_lite import Tensor, gradcheck


def test_sequential_from_an_ordered_dict_keeps_the_names() -> None:
    model = nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 3)), ("act", nn.Tanh())]))
    assert [name for name, _ in model.named_parameters()] == ["hidden.weight", "hidden.bias"]
    assert model.hidden is model[0] and model[-1] is model.act
    assert model(Tensor(np.ones((4, 2)))).shape == (4, 3)


def test_sequential_slices_keep_names_and_deletion_renumbers() -> None:
    first, act, last = nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1)
    model = nn.Sequential(first, act, last)
    tail = model[1:]
    assert isinstance(tail, nn.Sequential) and list(tail._modules) == ["1", "2"]
    assert tail[0] is act
    del model[0]
    assert list(model._modules) == ["0", "1"] and model[0] is act
    model.insert(0, first)
    assert list(model) == [first, act, last]
    model.append(nn.Sigmoid())
    assert len(model) == 4
    model[3] = nn.ReLU()
    assert isinstance(model[3], nn.ReLU)
    with pytest.raises(IndexError, match="Sequential: index 4 out of range for 4 modules"):
        model[4]
    with pytest.raises(TypeError, match="index must be an int or a slice"):
        model["0"]


def test_module_list_slices_and_deletes_renumbering() -> None:
    layers = nn.ModuleList([nn.ReLU(), nn.Tanh(), nn.Sigmoid()])
    assert [type(m).__name__ for m in layers[::2]] == ["ReLU", "Sigmoid"]
    del layers[0]
    assert list(layers._modules) == ["0", "1"] and isinstance(layers[0], nn.Tanh)
    layers += [nn.Identity()]
    assert len(layers) == 3


def test_module_list_prints_runs_of_equal_modules_once_as_pytorch() -> None:
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU(), nn.Linear(2, 2)])
    assert repr(layers).splitlines() == [
        "ModuleList(",
        "  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)",
        "  (3): ReLU()",
        "  (4): Linear(in_features=2, out_features=2, bias=True)",
        ")",
    ]
    assert repr(nn.ModuleList()) == "ModuleList()"


def test_module_dict_behaves_as_a_dict_of_registered_modules() -> None:
    heads = nn.ModuleDict({"mean": nn.Linear(3, 1)})
    heads["scale"] = nn.Linear(3, 1)
    heads.update([("extra", nn.Tanh())])
    assert heads.keys() == ["mean", "scale", "extra"] and list(heads) == heads.keys()
    assert "scale" in heads and "other" not in heads and len(heads) == 3
    assert [name for name, _ in heads.named_parameters()][:2] == ["mean.weight", "mean.bias"]
    assert heads.mean is heads["mean"]
    assert [type(m).__name__ for m in heads.values()] == ["Linear", "Linear", "Tanh"]
    assert heads.pop("extra").__class__ is nn.Tanh and "extra" not in heads
    del heads["scale"]
    assert heads.keys() == ["mean"]
    assert repr(heads).splitlines() == [
        "ModuleDict(",
        "  (mean): Linear(in_features=3, out_features=1, bias=True)",
        ")",
    ]
    heads.clear()
    assert len(heads) == 0 and list(heads.parameters()) == []


def test_module_dict_refuses_bad_keys_values_and_missing_names() -> None:
    heads = nn.ModuleDict()
    with pytest.raises(KeyError, match="ModuleDict: no module named 'x'"):
        heads["x"]
    with pytest.raises(KeyError, match="no module named 'x'"):
        del heads["x"]
    with pytest.raises(KeyError, match="attribute 'keys' already exists"):
        heads["keys"] = nn.Tanh()
    with pytest.raises(KeyError, match="no '.'"):
        heads["a.b"] = nn.Tanh()
    with pytest.raises(TypeError, match="must be a Module"):
        heads["a"] = "tanh"
    with pytest.raises(TypeError, match="item 0 must be a \\(name, module\\) pair"):
        heads.update([nn.Tanh()])
    with pytest.raises(NotImplementedError, match="ModuleDict has no forward"):
        heads(Tensor([1.0]))


def test_parameter_list_registers_and_trains_its_parameters() -> None:
    weights = nn.ParameterList([np.array([1.0, 2.0]), Tensor([3.0])])
    weights.append(nn.Parameter([[4.0]]))
    assert [name for name, _ in weights.named_parameters()] == ["0", "1", "2"]
    assert all(isinstance(p, nn.Parameter) for p in weights)
    assert weights[-1].shape == (1, 1) and len(weights) == 3

    class Mixture(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.coefficients = nn.ParameterList([np.array([0.5]), np.array([-1.5])])

        def forward(self, x: Tensor) -> Tensor:
            return self.coefficients[0] * x + self.coefficients[1] * x * x

    model = Mixture()
    assert list(model.state_dict()) == ["coefficients.0", "coefficients.1"]
    x = Tensor([2.0])
    model(x).sum().backward()
    assert model.coefficients[0].grad.item() == 2.0 and model.coefficients[1].grad.item() == 4.0
    assert gradcheck(lambda a, b: a * x + b * x * x, tuple(model.coefficients))


def test_parameter_list_printout_and_bad_items() -> None:
    weights = nn.ParameterList([np.zeros((2, 3)), np.zeros(4, dtype=np.float32)])
    assert repr(weights).splitlines() == [
        "ParameterList(",
        "    (0): Parameter containing: [float64 of size 2x3]",
        "    (1): Parameter containing: [float32 of size 4]",
        ")",
    ]
    assert repr(nn.ParameterList([np.zeros(2)])) == (
        "ParameterList(  (0): Parameter containing: [float64 of size 2])"  # PyTorch's one line
    )
    with pytest.raises(TypeError, match="ParameterList: items must be Parameters"):
        nn.ParameterList(["text"])
    with pytest.raises(IndexError, match="index 2 out of range for 2 parameters"):
        weights[2]
    weights[1] = np.ones(4)
    assert weights[1].dtype == np.float64
