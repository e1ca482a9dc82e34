"""nn against torch.nn, where torch is importable (skipped otherwise): with the same weights
copied in, every layer's and loss's output and every gradient (parameters, input, target)
equal PyTorch's to float64 round-off; state_dict names, printouts, hooks and init bounds as
PyTorch's."""

from __future__ import annotations

import math
import warnings
import zlib
from collections import OrderedDict

import numpy as np
import pytest

import nn
from autograd_lite import Tensor

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional
F = nn.functional

RNG = np.random.default_rng(0)  # reseeded per test, so each test's data is fixed


@pytest.fixture(autouse=True)
def _reseed(request):
    seed = zlib.crc32(request.node.name.encode())
    RNG.bit_generator.state = np.random.default_rng(seed).bit_generator.state


def close(ours, theirs, what=""):
    """Same shape, dtype and values to round-off of the dtype (scaled by the magnitude)."""
    expected = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    actual = ours.numpy() if isinstance(ours, Tensor) else np.asarray(ours)
    assert actual.shape == expected.shape, what
    assert actual.dtype == expected.dtype, what
    scale = max(1.0, float(np.nanmax(np.abs(expected), initial=0.0)))
    eps = np.finfo(expected.dtype).eps if expected.dtype.kind == "f" else 0
    np.testing.assert_allclose(actual, expected, rtol=0, atol=32 * eps * scale, err_msg=what)


def run_both(ours_fn, theirs_fn, *arrays, grad_of=None):
    """Call both on copies of ``arrays`` (float64), backward a random weighting of the output,
    and compare outputs and the gradients of every array in ``grad_of`` (default: all)."""
    grad_of = range(len(arrays)) if grad_of is None else grad_of
    ours_in = [Tensor(a, requires_grad=i in grad_of) for i, a in enumerate(arrays)]
    theirs_in = [torch.tensor(a, requires_grad=i in grad_of) for i, a in enumerate(arrays)]
    ours_out, theirs_out = ours_fn(*ours_in), theirs_fn(*theirs_in)
    close(ours_out, theirs_out, "output")
    weights = RNG.normal(size=ours_out.shape)
    (ours_out * Tensor(weights)).sum().backward()
    (theirs_out * torch.tensor(weights)).sum().backward()
    for i in grad_of:
        close(ours_in[i].grad, theirs_in[i].grad, f"gradient of input {i}")
    return ours_out


def copy_weights(ours, theirs):
    """Copy torch's parameters and buffers into our module, by name (strict load)."""
    state = {name: value.detach().numpy().copy() for name, value in theirs.state_dict().items()}
    ours.load_state_dict(state, strict=True)


def compare_module(ours, theirs, x):
    """Same output and the same gradients of input and of every parameter, by name."""
    ours_x, theirs_x = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours_out, theirs_out = ours(ours_x), theirs(theirs_x)
    close(ours_out, theirs_out, "output")
    weights = RNG.normal(size=ours_out.shape)
    (ours_out * Tensor(weights)).sum().backward()
    (theirs_out * torch.tensor(weights, dtype=theirs_out.dtype)).sum().backward()
    close(ours_x.grad, theirs_x.grad, "input gradient")
    theirs_params = dict(theirs.named_parameters())
    assert [name for name, _ in ours.named_parameters()] == list(theirs_params)
    for name, param in ours.named_parameters():
        close(param.grad, theirs_params[name].grad, f"gradient of {name}")


# ---------------------------------------------------------------- layers
@pytest.mark.parametrize("bias", [True, False])
def test_linear_and_a_small_network(bias) -> None:
    theirs = tnn.Sequential(
        tnn.Linear(4, 5, bias=bias), tnn.GELU(approximate="tanh"), tnn.Linear(5, 3)
    ).double()
    ours = nn.Sequential(nn.Linear(4, 5, bias=bias), nn.GELU(approximate="tanh"), nn.Linear(5, 3))
    copy_weights(ours, theirs)
    compare_module(ours, theirs, RNG.normal(size=(6, 4)))


def test_linear_in_float32_matches_to_float32_round_off() -> None:
    theirs, ours = tnn.Linear(7, 3), nn.Linear(7, 3, dtype=np.float32)
    copy_weights(ours, theirs)
    compare_module(ours, theirs, RNG.normal(size=(5, 7)).astype(np.float32))


ACTIVATIONS = [
    (lambda: nn.GELU(approximate="tanh"), lambda: tnn.GELU(approximate="tanh")),
    (nn.SiLU, tnn.SiLU),
    (nn.Softplus, tnn.Softplus),
    (lambda: nn.Softplus(beta=2.0, threshold=3.0), lambda: tnn.Softplus(beta=2.0, threshold=3.0)),
    (lambda: nn.Softplus(beta=0.5), lambda: tnn.Softplus(beta=0.5)),
    (nn.ELU, tnn.ELU),
    (lambda: nn.ELU(alpha=0.3), lambda: tnn.ELU(alpha=0.3)),
    (nn.Sigmoid, tnn.Sigmoid),
    (nn.Tanh, tnn.Tanh),
    (nn.ReLU, tnn.ReLU),
    (lambda: nn.LeakyReLU(0.2), lambda: tnn.LeakyReLU(0.2)),
    (lambda: nn.Softmax(dim=1), lambda: tnn.Softmax(dim=1)),
    (lambda: nn.Softmax(dim=0), lambda: tnn.Softmax(dim=0)),
    (lambda: nn.LogSoftmax(dim=-1), lambda: tnn.LogSoftmax(dim=-1)),
    (nn.Identity, tnn.Identity),
    (nn.Flatten, tnn.Flatten),
    (lambda: nn.Flatten(0, 1), lambda: tnn.Flatten(0, 1)),
]


@pytest.mark.parametrize("make_ours, make_theirs", ACTIVATIONS)
def test_activation_layers(make_ours, make_theirs) -> None:
    ours, theirs = make_ours(), make_theirs()
    assert repr(ours) == repr(theirs)
    x = RNG.normal(size=(3, 4, 2)) * 4  # values both sides of every threshold
    x[0, 0, 0], x[0, 0, 1] = 30.0, -40.0
    compare_module(ours, theirs, x)


def test_gelu_exact() -> None:
    if not hasattr(Tensor, "erf"):
        pytest.skip("exact GELU needs the Tensor.erf op (not yet merged)")
    compare_module(nn.GELU(), tnn.GELU(), RNG.normal(size=(4, 5)) * 3)


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (2, 3, 4, 2)])
def test_softmax_without_dim_chooses_pytorchs_implicit_axis(shape) -> None:
    x = RNG.normal(size=shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        close(nn.Softmax()(Tensor(x)), tnn.Softmax()(torch.tensor(x)))
        close(F.log_softmax(Tensor(x)), TF.log_softmax(torch.tensor(x)))


def test_elu_near_zero_and_softplus_far_out() -> None:
    x = np.array([-1e-12, -3e-8, -1e-3, -50.0, 1e-9, 0.0])
    run_both(lambda t: F.elu(t, 1.7), lambda t: TF.elu(t, 1.7), x)
    x = np.array([-800.0, -30.0, 19.9, 20.1, 700.0])
    run_both(F.softplus, TF.softplus, x)


# ---------------------------------------------------------------- losses
REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "function, settings",
    [
        ("l1_loss", {}),
        ("mse_loss", {}),
        ("smooth_l1_loss", {}),
        ("smooth_l1_loss", {"beta": 0.8}),
        ("smooth_l1_loss", {"beta": 0.0}),
        ("huber_loss", {}),
        ("huber_loss", {"delta": 0.6}),
    ],
    ids=str,
)
def test_elementwise_losses(function, settings, reduction) -> None:
    ours, theirs = getattr(F, function), getattr(TF, function)
    prediction, target = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
    prediction[0, 0] = target[0, 0] + 0.8  # on the switch of smooth_l1(beta=0.8)
    run_both(
        lambda a, b: ours(a, b, reduction=reduction, **settings),
        lambda a, b: theirs(a, b, reduction=reduction, **settings),
        prediction,
        target,
    )


@pytest.mark.parametrize("reduction", ["mean", "batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target) -> None:
    log_p = np.log(RNG.dirichlet(np.ones(5), size=3))
    q = RNG.dirichlet(np.ones(5), size=3)
    q[0, 1] = 0.0  # a zero probability
    target = np.log(q + 0.01) if log_target else q
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn for 'mean'
        run_both(
            lambda a, b: nn.KLDivLoss(reduction=reduction, log_target=log_target)(a, b),
            lambda a, b: tnn.KLDivLoss(reduction=reduction, log_target=log_target)(a, b),
            log_p,
            target,
            grad_of=[0, 1] if log_target else [0],
        )


CLASS_CASES = [
    {},
    {"weight": True},
    {"ignore_index": 1},
    {"weight": True, "ignore": True},
    {"label_smoothing": 0.15},
    {"weight": True, "ignore": True, "label_smoothing": 0.3},
]


def _class_args(case, classes):
    kwargs = {k: v for k, v in case.items() if k in ("ignore_index", "label_smoothing")}
    weight = RNG.uniform(0.2, 3.0, size=classes) if case.get("weight") else None
    return weight, kwargs


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CLASS_CASES, ids=str)
@pytest.mark.parametrize("shape", [(6, 4), (4,), (3, 4, 5), (2, 4, 3, 2)], ids=str)
def test_cross_entropy_with_class_indices(shape, case, reduction) -> None:
    classes = shape[0] if len(shape) == 1 else shape[1]
    index_shape = () if len(shape) == 1 else (shape[0], *shape[2:])
    target = RNG.integers(0, classes, size=index_shape)
    if case.get("ignore") and target.ndim:
        target.flat[1] = -100
    weight, kwargs = _class_args(case, classes)
    ours_loss = nn.CrossEntropyLoss(weight=weight, reduction=reduction, **kwargs)
    theirs_loss = tnn.CrossEntropyLoss(
        weight=None if weight is None else torch.tensor(weight), reduction=reduction, **kwargs
    )
    logits = RNG.normal(size=shape) * 2
    run_both(
        lambda x: ours_loss(x, target),
        lambda x: theirs_loss(x, torch.tensor(target)),
        logits,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", [{}, {"weight": True}, {"label_smoothing": 0.2}], ids=str)
@pytest.mark.parametrize("shape", [(5, 3), (3,), (2, 3, 4)], ids=str)
def test_cross_entropy_with_probability_targets(shape, case, reduction) -> None:
    classes = shape[0] if len(shape) == 1 else shape[1]
    probabilities = RNG.dirichlet(np.ones(classes), size=int(np.prod(shape)) // classes)
    if len(shape) == 1:
        probabilities = probabilities[0]
    else:
        moved = probabilities.reshape(shape[0], *shape[2:], classes)
        probabilities = np.moveaxis(moved, -1, 1).copy()
    weight, kwargs = _class_args(case, classes)
    theirs_weight = None if weight is None else torch.tensor(weight)
    run_both(
        lambda x, p: F.cross_entropy(x, p, weight, reduction=reduction, **kwargs),
        lambda x, p: TF.cross_entropy(x, p, theirs_weight, reduction=reduction, **kwargs),
        RNG.normal(size=shape),
        probabilities,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", [{}, {"weight": True}, {"weight": True, "ignore": True}], ids=str)
def test_nll_loss(case, reduction) -> None:
    target = RNG.integers(0, 4, size=6)
    if case.get("ignore"):
        target[2] = -100
    weight, _ = _class_args(case, 4)
    ours = nn.NLLLoss(weight=weight, reduction=reduction)
    theirs = tnn.NLLLoss(
        weight=None if weight is None else torch.tensor(weight), reduction=reduction
    )
    run_both(
        lambda x: ours(nn.LogSoftmax(dim=1)(x), target),
        lambda x: theirs(tnn.LogSoftmax(dim=1)(x), torch.tensor(target)),
        RNG.normal(size=(6, 4)),
    )


def test_every_target_ignored_gives_nan_and_zero_gradients_in_both() -> None:
    target = np.full(3, -100)
    logits = Tensor(RNG.normal(size=(3, 4)), requires_grad=True)
    theirs_logits = torch.tensor(logits.numpy(), requires_grad=True)
    ours, theirs = (
        F.cross_entropy(logits, target),
        TF.cross_entropy(theirs_logits, torch.tensor(target)),
    )
    assert math.isnan(ours.item()) and math.isnan(theirs.item())
    ours.backward()
    theirs.backward()
    close(logits.grad, theirs_logits.grad)


def test_one_hot() -> None:
    target = RNG.integers(0, 5, size=(3, 4))
    close(F.one_hot(target), TF.one_hot(torch.tensor(target)))
    close(F.one_hot(target, num_classes=7), TF.one_hot(torch.tensor(target), num_classes=7))


# ---------------------------------------------------------------- Module
def _build(lib, as_array):
    """The same model from ``lib`` (nn or torch.nn), arrays made by ``as_array``."""

    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.features = lib.Sequential(
                OrderedDict([("fc", lib.Linear(3, 4)), ("act", lib.SiLU())])
            )
            self.heads = lib.ModuleDict({"a": lib.Linear(4, 2), "b": lib.Linear(4, 1)})
            self.scales = lib.ParameterList([lib.Parameter(as_array(np.ones(2)))])
            self.register_buffer("offset", as_array(np.zeros(2)))
            self.register_buffer("steps", as_array(np.array(0, dtype=np.int64)))
            self.register_buffer("cache", as_array(np.zeros(1)), persistent=False)

    return Net()


def _twin_models():
    return _build(nn, np.asarray), _build(tnn, torch.tensor).double()


def test_names_of_parameters_buffers_modules_and_state_as_pytorch() -> None:
    ours, theirs = _twin_models()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    copy_weights(ours, theirs)  # strict: the same names, shapes and dtypes
    assert ours.steps.dtype == np.int64


def test_printout_is_pytorchs() -> None:
    ours, theirs = _twin_models()
    expected = repr(theirs).replace("torch.float64", "float64")
    assert repr(ours) == expected
    shared = [nn.Linear(2, 2) for _ in range(3)]
    theirs_list = tnn.ModuleList([tnn.Linear(2, 2) for _ in range(3)] + [tnn.ReLU()])
    assert repr(nn.ModuleList([*shared, nn.ReLU()])) == repr(theirs_list)
    losses = [
        (nn.CrossEntropyLoss(label_smoothing=0.1), tnn.CrossEntropyLoss(label_smoothing=0.1)),
        (nn.KLDivLoss(reduction="batchmean"), tnn.KLDivLoss(reduction="batchmean")),
        (nn.Dropout(0.2), tnn.Dropout(0.2)),
        (nn.Softplus(beta=2, threshold=10), tnn.Softplus(beta=2, threshold=10)),
    ]
    for ours_module, theirs_module in losses:
        assert repr(ours_module) == repr(theirs_module)


def test_hooks_replace_inputs_and_outputs_as_pytorchs() -> None:
    ours, theirs = nn.Linear(3, 2), tnn.Linear(3, 2).double()
    copy_weights(ours, theirs)
    for module in (ours, theirs):
        module.register_forward_pre_hook(lambda m, args: args[0] * 2.0)  # not a tuple
        module.register_forward_hook(lambda m, args, out: out - args[0].sum())
    x = RNG.normal(size=(4, 3))
    close(ours(Tensor(x)), theirs(torch.tensor(x)))


def test_apply_order_and_to_dtype_as_pytorchs() -> None:
    ours, theirs = _twin_models()
    seen_ours, seen_theirs = [], []
    ours.apply(lambda m: seen_ours.append(type(m).__name__))
    theirs.apply(lambda m: seen_theirs.append(type(m).__name__))
    assert seen_ours == seen_theirs
    ours.to(np.float32)
    theirs.to(torch.float32)
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    for name, value in theirs_state.items():
        assert ours_state[name].dtype == value.numpy().dtype, name


def test_default_initialisation_has_pytorchs_bounds() -> None:
    ours, theirs = nn.Linear(400, 300), tnn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for name in ("weight", "bias"):
        a, b = getattr(ours, name).numpy(), getattr(theirs, name).detach().numpy()
        assert np.abs(a).max() <= bound and np.abs(b).max() <= bound
        assert np.abs(a).max() > 0.95 * bound and np.abs(b).max() > 0.95 * bound
    # same variance (that of U(-bound, bound): bound^2 / 3) within sampling error
    assert np.var(ours.weight.numpy()) == pytest.approx(
        np.var(theirs.weight.detach().numpy()), rel=0.03
    )
