"""Module, Parameter and ModuleList: registration, names, modes, state dicts, repr, boundary."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import autograd_lite
import nn
from autograd_lite import Tensor

NN_DIR = Path(nn.__file__).parent


class TwoLayers(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.first = nn.Linear(3, 4)
        self.blocks = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 2)])
        self.scale = nn.Parameter([2.0])
        self.drop = nn.Dropout(0.5)

    def forward(self, x: Tensor) -> Tensor:
        x = self.first(x)
        for block in self.blocks:
            x = block(x).tanh()
        return self.drop(x) * self.scale


def test_nn_imports_only_public_autograd_lite_names():
    public = set(autograd_lite.__all__)
    checked = 0
    for source in sorted(NN_DIR.glob("*.py")):
        tree = ast.parse(source.read_text(), filename=str(source))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.startswith("autograd_lite"):
                    assert node.module == "autograd_lite", f"{source.name} imports {node.module}"
                    for alias in node.names:
                        assert alias.name in public, f"{source.name} imports {alias.name}"
                        checked += 1
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name.split(".")[0] != "autograd_lite" or alias.name == (
                        "autograd_lite"
                    ), f"{source.name} imports {alias.name}"
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.value.id == "autograd_lite":
                    assert node.attr in public, f"{source.name} uses autograd_lite.{node.attr}"
    assert checked > 0  # the walk saw the imports it is meant to check


def test_parameter_is_a_tensor_requiring_grad():
    weight = nn.Parameter([[1.0, 2.0]])
    assert isinstance(weight, Tensor)
    assert weight.requires_grad and weight.is_leaf
    assert weight.dtype == np.float64
    assert not nn.Parameter([1.0], requires_grad=False).requires_grad
    assert "Parameter containing" in repr(weight)
    # results of operations on parameters are plain tensors, not parameters
    assert type(weight * 2.0) is Tensor


def test_named_parameters_are_dotted_and_in_registration_order():
    model = TwoLayers()
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        "scale",
        "first.weight",
        "first.bias",
        "blocks.0.weight",
        "blocks.0.bias",
        "blocks.1.weight",
        "blocks.1.bias",
    ]
    assert len(list(model.parameters())) == 7
    assert model.blocks[1].weight.shape == (2, 4)


def test_shared_parameter_is_listed_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.Tanh(), layer)
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]


def test_reassigning_an_attribute_unregisters_it():
    model = TwoLayers()
    model.scale = 3.0
    assert "scale" not in dict(model.named_parameters())
    assert model.scale == 3.0
    del model.first
    assert not hasattr(model, "first")


def test_assignment_before_super_init_is_explained():
    class Broken(nn.Module):
        def __init__(self) -> None:
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super"):
        Broken()


def test_train_and_eval_propagate_to_every_submodule():
    model = TwoLayers()
    assert model.eval() is model
    assert all(not module.training for module in model.modules())
    model.train()
    assert all(module.training for module in model.modules())


def test_zero_grad_clears_every_gradient():
    model = TwoLayers()
    model(Tensor(np.ones((2, 3)))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_state_dict_is_a_copy_and_round_trips():
    source, target = TwoLayers(), TwoLayers()
    state = source.state_dict()
    state["first.weight"][...] = 0.0
    assert not np.all(source.first.weight.numpy() == 0.0)  # the dict holds copies
    target.load_state_dict(source.state_dict())
    for (name, a), (_, b) in zip(source.named_parameters(), target.named_parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
        assert a.data is not b.data


@pytest.mark.parametrize(
    "corrupt, error, message",
    [
        (lambda s: s.pop("first.bias"), KeyError, "missing keys \\['first.bias'\\]"),
        (lambda s: s.update(extra=np.zeros(1)), KeyError, "unexpected keys \\['extra'\\]"),
        (lambda s: s.update(scale=np.zeros(2)), ValueError, "'scale' has shape \\(2,\\)"),
        (lambda s: s.update(scale=np.zeros(1, np.float32)), ValueError, "dtype float32"),
    ],
)
def test_bad_state_dict_is_rejected_before_anything_changes(corrupt, error, message):
    model = TwoLayers()
    before = model.state_dict()
    state = TwoLayers().state_dict()
    corrupt(state)
    with pytest.raises(error, match=message):
        model.load_state_dict(state)
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, before[name], err_msg=name)


def test_non_strict_load_takes_a_subset():
    model = TwoLayers()
    result = model.load_state_dict({"scale": np.array([5.0]), "extra": np.zeros(1)}, strict=False)
    assert model.scale.item() == 5.0
    assert result.unexpected_keys == ["extra"]
    assert "first.weight" in result.missing_keys and "scale" not in result.missing_keys
    missing, unexpected = result  # a named tuple, as PyTorch returns
    assert missing == result.missing_keys and unexpected == ["extra"]


def test_strict_load_returns_empty_key_lists():
    source, target = TwoLayers(), TwoLayers()
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []


def test_repr_lists_the_layers():
    text = repr(TwoLayers())
    assert text.splitlines() == [
        "TwoLayers(",
        "  (first): Linear(in_features=3, out_features=4, bias=True)",
        "  (blocks): ModuleList(",
        "    (0): Linear(in_features=4, out_features=4, bias=True)",
        "    (1): Linear(in_features=4, out_features=2, bias=True)",
        "  )",
        "  (drop): Dropout(p=0.5, inplace=False)",
        ")",
    ]


def test_module_list_rejects_non_modules_and_has_no_forward():
    with pytest.raises(TypeError, match="must be a Module"):
        nn.ModuleList([nn.Linear(1, 1), "not a layer"])
    with pytest.raises(NotImplementedError):
        nn.ModuleList()(Tensor([1.0]))
    with pytest.raises(IndexError, match="out of range"):
        nn.ModuleList([nn.Tanh()])[3]


def test_forward_not_defined_is_explained():
    with pytest.raises(NotImplementedError, match="Module does not define forward"):
        nn.Module()(Tensor([1.0]))
