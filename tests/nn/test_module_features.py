"""Module features of issue 18: buffers, state_dict with buffers, apply, requires_grad_,
to(dtype), forward hooks with removable handles, PyTorch's printout and the parameter count."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from safetensors.numpy import load_file

import nn
from autograd_lite import ShapeError, Tensor


class Counter(nn.Module):
    """A layer with a parameter, a float buffer, an integer buffer and a scratch buffer."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter([2.0, 3.0])
        self.register_buffer("running", np.zeros(2))
        self.register_buffer("seen", np.array(0, dtype=np.int64))
        self.register_buffer("scratch", np.ones(2), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        self.running = self.running.numpy() * 0.5 + x.numpy().mean(axis=0) * 0.5
        self.seen += 1
        return x * self.scale


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.first = nn.Linear(2, 2)
        self.counter = Counter()
        self.register_buffer("mask", np.array([1.0, 0.0]))

    def forward(self, x: Tensor) -> Tensor:
        return self.counter(self.first(x)) * self.mask


# ---------------------------------------------------------------- buffers
def test_buffers_are_attributes_in_the_state_but_not_parameters() -> None:
    net = Net()
    assert isinstance(net.counter.running, Tensor) and not net.counter.running.requires_grad
    assert isinstance(net.counter.seen, np.ndarray) and net.counter.seen.dtype == np.int64
    assert [name for name, _ in net.named_parameters()] == [
        "first.weight",
        "first.bias",
        "counter.scale",
    ]
    assert [name for name, _ in net.named_buffers()] == [
        "mask",
        "counter.running",
        "counter.seen",
        "counter.scratch",
    ]
    # PyTorch's order: a module's parameters, its persistent buffers, then each child's
    assert list(net.state_dict()) == [
        "mask",
        "first.weight",
        "first.bias",
        "counter.scale",
        "counter.running",
        "counter.seen",
    ]
    assert len(list(net.buffers())) == 4
    assert [name for name, _ in net.named_buffers(recurse=False)] == ["mask"]


def test_assigning_to_a_buffer_keeps_it_a_buffer_and_the_state_follows() -> None:
    net = Net()
    net(Tensor([[1.0, 2.0], [3.0, 4.0]]))
    net(Tensor([[1.0, 2.0], [3.0, 4.0]]))
    state = net.state_dict()
    assert state["counter.seen"] == 2 and state["counter.seen"].dtype == np.int64
    assert "counter.running" in dict(net.named_buffers())
    assert isinstance(net.counter.running, Tensor)
    np.testing.assert_array_equal(state["counter.running"], net.counter.running.numpy())
    state["counter.seen"][...] = 99  # a copy: the module is unchanged
    assert net.counter.seen == 2


def test_load_state_dict_restores_buffers_and_checks_them_first() -> None:
    source, target = Net(), Net()
    source(Tensor(np.ones((3, 2))))
    target.load_state_dict(source.state_dict())
    assert target.counter.seen == 1
    np.testing.assert_array_equal(target.counter.running.numpy(), source.counter.running.numpy())
    np.testing.assert_array_equal(target.first.weight.numpy(), source.first.weight.numpy())

    bad = source.state_dict()
    bad["counter.seen"] = np.array(5, dtype=np.int32)  # wrong dtype
    bad["first.weight"] = np.zeros((2, 2))  # a fine entry that must not be applied
    before = target.first.weight.numpy().copy()
    with pytest.raises(ValueError, match=r"'counter.seen' has dtype int32, the model int64"):
        target.load_state_dict(bad)
    np.testing.assert_array_equal(target.first.weight.numpy(), before)
    with pytest.raises(KeyError, match=r"missing keys \['counter.seen'\]"):
        target.load_state_dict({k: v for k, v in source.state_dict().items() if "seen" not in k})
    with pytest.raises(KeyError, match=r"unexpected keys \['counter.scratch'\]"):
        target.load_state_dict({**source.state_dict(), "counter.scratch": np.ones(2)})


def test_a_shared_parameter_is_in_the_state_under_each_name_as_pytorch() -> None:
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(list(model.parameters())) == 2
    assert [name for name, _ in model.named_modules()] == ["", "0", "1"]
    model.load_state_dict(model.state_dict())


def test_state_dict_keep_vars_and_prefix() -> None:
    net = Net()
    kept = net.state_dict(keep_vars=True, prefix="net.")
    assert kept["net.first.weight"] is net.first.weight
    assert kept["net.counter.running"] is net.counter.running
    assert kept["net.counter.seen"] is net.counter.seen


def test_a_none_buffer_is_declared_but_not_in_the_state() -> None:
    layer = nn.Linear(2, 1)
    layer.register_buffer("later", None)
    assert layer.later is None and "later" not in layer.state_dict()
    layer.later = np.arange(3)
    assert list(layer.state_dict()) == ["weight", "bias", "later"]
    del layer.later
    assert "later" not in layer.state_dict()
    assert not hasattr(layer, "later")


def test_register_buffer_refuses_bad_names_and_values() -> None:
    layer = nn.Linear(2, 1)
    with pytest.raises(KeyError, match=r"Linear.register_buffer: attribute 'weight' already"):
        layer.register_buffer("weight", np.zeros(1))
    with pytest.raises(KeyError, match="no '.'"):
        layer.register_buffer("a.b", np.zeros(1))
    with pytest.raises(TypeError, match="must be a str"):
        layer.register_buffer(3, np.zeros(1))
    with pytest.raises(TypeError, match=r"Linear: cannot use list .* as buffer 'x'"):
        layer.register_buffer("x", [1.0, 2.0])
    layer.register_buffer("x", np.zeros(1))
    with pytest.raises(TypeError, match="as buffer 'x'"):
        layer.x = "text"
    with pytest.raises(AttributeError, match="super"):
        Bare = type("Bare", (nn.Module,), {"__init__": lambda self: None})
        Bare().register_buffer("x", np.zeros(1))


def test_a_parameter_assigned_over_a_buffer_replaces_it() -> None:
    layer = nn.Linear(2, 1)
    layer.register_buffer("extra", np.zeros(1))
    layer.extra = nn.Parameter([1.0])
    assert "extra" in dict(layer.named_parameters()) and "extra" not in dict(layer.named_buffers())


def test_register_parameter_and_add_module() -> None:
    module = nn.Module()
    module.register_parameter("w", nn.Parameter([1.0]))
    module.register_parameter("b", None)
    module.add_module("head", nn.Linear(1, 1))
    assert [name for name, _ in module.named_parameters()] == ["w", "head.weight", "head.bias"]
    assert module.b is None
    with pytest.raises(TypeError, match="must be a Parameter or None.*nn.Parameter"):
        module.register_parameter("t", Tensor([1.0]))


# ---------------------------------------------------------------- apply, requires_grad_, to
def test_apply_visits_children_first_then_self() -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Tanh(), nn.Linear(2, 1)))
    visited = []
    assert model.apply(lambda m: visited.append(type(m).__name__)) is model
    assert visited == ["Linear", "Tanh", "Linear", "Sequential", "Sequential"]


def test_requires_grad_freezes_and_unfreezes_every_parameter() -> None:
    model = nn.MLP([2, 3, 1])
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())
    model[0].requires_grad_()
    assert [p.requires_grad for p in model.parameters()] == [True, True, False, False]


def test_to_casts_parameters_float_buffers_and_grads_but_not_integer_buffers() -> None:
    net = Net()
    weight = net.first.weight
    net(Tensor(np.ones((1, 2)))).sum().backward()
    assert net.to(np.float32) is net
    assert net.first.weight is weight  # the same Parameter, a new array
    for name, tensor in [*net.named_parameters(), *net.named_buffers()]:
        expected = np.int64 if name == "counter.seen" else np.float32
        assert tensor.dtype == expected, name
    assert weight.grad.dtype == np.float32
    out = net(Tensor(np.ones((1, 2)), dtype=np.float32))
    assert out.dtype == np.float32
    net.double()
    assert {p.dtype for p in net.parameters()} == {np.dtype(np.float64)}
    net.float()
    assert net.state_dict()["first.bias"].dtype == np.float32
    for bad in (np.int32, "float16", None, "cpu", "no such type"):
        with pytest.raises(TypeError, match="Net.to: dtype must be float32 or float64"):
            net.to(bad)


# ---------------------------------------------------------------- hooks
def test_forward_hooks_see_inputs_and_output_and_may_replace_them() -> None:
    layer = nn.Linear(2, 1)
    calls = []
    pre = layer.register_forward_pre_hook(lambda m, args: calls.append(("pre", m, args)))
    post = layer.register_forward_hook(lambda m, args, out: calls.append(("post", args, out)))
    x = Tensor([[1.0, 2.0]])
    out = layer(x)
    assert calls[0][0] == "pre" and calls[0][1] is layer and calls[0][2][0] is x
    assert calls[1][0] == "post" and calls[1][1][0] is x and calls[1][2] is out
    pre.remove()
    post.remove()
    post.remove()  # twice: no error
    layer(x)
    assert len(calls) == 2

    double = layer.register_forward_pre_hook(lambda m, args: (args[0] * 2.0,))
    negate = layer.register_forward_hook(lambda m, args, out: -out)
    expected = -(2.0 * x.numpy() @ layer.weight.numpy().T + layer.bias.numpy())
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-15)
    double.remove()
    negate.remove()
    single = layer.register_forward_pre_hook(lambda m, args: args[0] * 0.0)  # not a tuple
    np.testing.assert_array_equal(layer(x).numpy(), layer.bias.numpy()[None])
    single.remove()


def test_hooks_run_in_order_prepend_first_and_a_with_block_removes_them() -> None:
    layer = nn.Identity()
    order = []
    layer.register_forward_hook(lambda m, a, o: order.append("a"))
    layer.register_forward_hook(lambda m, a, o: order.append("b"))
    with layer.register_forward_hook(lambda m, a, o: order.append("first"), prepend=True):
        layer(Tensor([1.0]))
    layer(Tensor([1.0]))
    assert order == ["first", "a", "b", "a", "b"]
    with pytest.raises(TypeError, match="register_forward_hook: the hook must be callable"):
        layer.register_forward_hook("not a function")


def test_hooks_collect_activations_and_gradients_flow_through_replacements() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    shapes = {}

    def record(module, args, output):  # returns None: the output is kept
        shapes[next(n for n, m in model.named_children() if m is module)] = output.shape

    handles = [module.register_forward_hook(record) for module in model.children()]
    scale = model[2].register_forward_hook(lambda m, a, o: o * 3.0)
    x = Tensor(np.ones((5, 3)))
    model(x).sum().backward()
    assert shapes == {"0": (5, 4), "1": (5, 4), "2": (5, 1)}
    grad_with_hook = model[2].bias.grad.numpy().copy()
    np.testing.assert_allclose(grad_with_hook, [15.0])  # 5 samples, times 3
    for handle in [*handles, scale]:
        handle.remove()
    assert "registered" not in repr(scale)


def test_copies_keep_working_without_the_hooks_of_the_original() -> None:
    layer = nn.Linear(2, 1)
    layer.register_forward_hook(lambda m, a, o: o * 0.0)
    clone = copy.deepcopy(layer)
    assert clone(Tensor([[1.0, 1.0]])).item() == 0.0  # hooks are copied with the module


# ---------------------------------------------------------------- printing
def test_repr_is_pytorchs_tree_and_str_adds_the_parameter_count() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1, bias=False))
    model[0].bias.requires_grad_(False)
    expected_tree = [
        "Sequential(",
        "  (0): Linear(in_features=2, out_features=3, bias=True)",
        "  (1): ReLU()",
        "  (2): Linear(in_features=3, out_features=1, bias=False)",
        ")",
    ]
    assert repr(model).splitlines() == expected_tree
    assert str(model).splitlines() == [*expected_tree, "Parameters: 12 (trainable: 9)"]
    assert str(nn.ReLU()) == "ReLU()"  # no parameters: no count
    big = nn.Linear(1000, 1000)
    assert str(big).endswith("Parameters: 1,001,000 (trainable: 1,001,000)")


def test_repr_of_a_module_with_settings_and_children_puts_settings_first() -> None:
    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = nn.Sequential(nn.Linear(1, 1))

        def extra_repr(self) -> str:
            return "width=1\ndepth=2"

    assert repr(Block()).splitlines() == [
        "Block(",
        "  width=1",
        "  depth=2",
        "  (inner): Sequential(",
        "    (0): Linear(in_features=1, out_features=1, bias=True)",
        "  )",
        ")",
    ]


# ---------------------------------------------------------------- traversal
def test_named_children_and_modules_list_a_shared_module_once() -> None:
    shared = nn.Tanh()
    model = nn.Sequential(shared, nn.Linear(1, 1), shared)
    assert [name for name, _ in model.named_children()] == ["0", "1"]
    assert [name for name, _ in model.named_modules()] == ["", "0", "1"]
    every = [name for name, _ in model.named_modules(remove_duplicate=False)]
    assert every == ["", "0", "1", "2"]
    assert [name for name, _ in model.named_parameters(prefix="model")] == [
        "model.1.weight",
        "model.1.bias",
    ]
    assert list(model.parameters(recurse=False)) == []


def test_a_linear_layer_refuses_a_dtype_it_cannot_hold() -> None:
    for bad in (np.int64, "float16", "complex128", "no such type"):
        with pytest.raises(TypeError, match=r"Linear: dtype must be float32 or float64"):
            nn.Linear(2, 2, dtype=bad)
    assert nn.Linear(2, 2, dtype="float32").bias.dtype == np.float32
    with pytest.raises(ShapeError, match="in_features=2"):
        nn.Linear(2, 2)(Tensor(np.ones((1, 3))))


def test_saved_files_hold_persistent_buffers_and_load_them_back(tmp_path) -> None:
    source, target = Net(), Net()
    source(Tensor(np.ones((2, 2))))
    path = tmp_path / "net.safetensors"
    nn.save(source, path)
    stored = load_file(str(path))
    assert "counter.seen" in stored and "counter.scratch" not in stored
    nn.load(target, path)
    assert target.counter.seen == 1 and target.counter.seen.dtype == np.int64
    np.testing.assert_array_equal(target.counter.running.numpy(), source.counter.running.numpy())
    plain = nn.Linear(2, 2)  # no buffers: the file's extra entries are refused, nothing changes
    with pytest.raises(KeyError, match="unexpected keys"):
        nn.load(plain, path)
