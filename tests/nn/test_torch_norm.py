"""BatchNorm, LayerNorm and Embedding against torch (run when torch imports, skipped
otherwise): with the same weights, outputs, the gradients of the input and of every
parameter, and the running statistics step after step equal PyTorch's to round-off; state
names and printouts as PyTorch's."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import nn
from autograd_lite import Tensor
from tests.nn.torch_compare import close, compare_module, copy_weights, run_both

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional
F = nn.functional

RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _reseed(request):
    seed = zlib.crc32(request.node.name.encode())
    RNG.bit_generator.state = np.random.default_rng(seed).bit_generator.state


def _randomize(module) -> None:
    """Random affine parameters in a torch module (its defaults 1 and 0 hide mistakes)."""
    with torch.no_grad():
        for param in module.parameters():
            param.copy_(torch.tensor(RNG.normal(size=tuple(param.shape))))


# ---------------------------------------------------------------- BatchNorm
BATCH_NORMS = [
    (lambda lib: lib.BatchNorm1d(3), (8, 3)),
    (lambda lib: lib.BatchNorm1d(3), (4, 3, 5)),
    (lambda lib: lib.BatchNorm2d(4), (3, 4, 5, 6)),
    (lambda lib: lib.BatchNorm2d(4, eps=1e-3, momentum=0.3), (2, 4, 3, 3)),
    (lambda lib: lib.BatchNorm2d(4, momentum=None), (2, 4, 3, 3)),  # cumulative average
    (lambda lib: lib.BatchNorm1d(3, affine=False), (6, 3)),
    (lambda lib: lib.BatchNorm2d(2, track_running_stats=False), (2, 2, 3, 4)),
    (lambda lib: lib.BatchNorm1d(3, bias=False), (5, 3, 2)),
]


@pytest.mark.parametrize("make, shape", BATCH_NORMS)
def test_batch_norm_trains_then_evaluates_as_pytorchs(make, shape) -> None:
    ours, theirs = make(nn), make(tnn).double()
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _randomize(theirs)
    copy_weights(ours, theirs)
    for step in range(3):  # each step: new data, new batch statistics, running ones move
        for module in (ours, theirs):
            module.zero_grad()
        compare_module(ours, theirs, RNG.normal(2.0, 3.0, size=shape), RNG)
        for name, value in theirs.state_dict().items():
            close(ours.state_dict()[name], value, f"{name} after step {step}")
    ours.eval()
    theirs.eval()
    for module in (ours, theirs):
        module.zero_grad()
    compare_module(ours, theirs, RNG.normal(2.0, 3.0, size=shape), RNG)
    for name, value in theirs.state_dict().items():  # eval leaves them alone
        close(ours.state_dict()[name], value, name)


def test_batch_norm_of_two_values_per_channel() -> None:
    # x_hat is +-sqrt(var / (var + eps)): the input gradient is a difference of terms that
    # cancel to a few parts in var / eps, so both libraries' round-off is relative to those
    # terms (about |g| |w| / std), not to the small result
    ours, theirs = nn.BatchNorm1d(2), tnn.BatchNorm1d(2).double()
    _randomize(theirs)
    copy_weights(ours, theirs)
    x, g = RNG.normal(2.0, 3.0, size=(2, 2)), RNG.normal(size=(2, 2))
    ours_x, theirs_x = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours_out, theirs_out = ours(ours_x), theirs(theirs_x)
    close(ours_out, theirs_out)
    (ours_out * Tensor(g)).sum().backward()
    (theirs_out * torch.tensor(g)).sum().backward()
    terms = np.abs(g).max() * np.abs(ours.weight.numpy()).max() / x.std(axis=0).min()
    np.testing.assert_allclose(
        ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=0, atol=32 * 2.2e-16 * terms
    )
    for name, param in theirs.named_parameters():
        close(getattr(ours, name).grad, param.grad, name)
    for name, value in theirs.state_dict().items():
        close(ours.state_dict()[name], value, name)


def test_batch_norm_in_float32_matches_to_float32_round_off() -> None:
    ours, theirs = nn.BatchNorm2d(3, dtype=np.float32), tnn.BatchNorm2d(3)
    _randomize(theirs)
    copy_weights(ours, theirs)
    for _ in range(2):
        compare_module(ours, theirs, RNG.normal(size=(4, 3, 5, 5)).astype(np.float32), RNG)
    for name, value in theirs.state_dict().items():
        close(ours.state_dict()[name], value, name)
    assert ours.running_var.dtype == np.float32


@pytest.mark.parametrize("training", [True, False])
def test_functional_batch_norm_updates_the_arrays_it_is_given(training) -> None:
    x, c = RNG.normal(size=(5, 3, 4)), 3
    ours_stats = [Tensor(RNG.normal(size=c)), Tensor(RNG.uniform(0.5, 2, size=c))]
    theirs_stats = [torch.tensor(s.numpy().copy()) for s in ours_stats]
    weight, bias = RNG.normal(size=c), RNG.normal(size=c)
    run_both(
        lambda x, w, b: F.batch_norm(x, *ours_stats, w, b, training, 0.2, 1e-4),
        lambda x, w, b: TF.batch_norm(x, *theirs_stats, w, b, training, 0.2, 1e-4),
        x,
        weight,
        bias,
        rng=RNG,
    )
    for ours_stat, theirs_stat in zip(ours_stats, theirs_stats):
        close(ours_stat, theirs_stat)


# ---------------------------------------------------------------- LayerNorm
LAYER_NORMS = [
    (lambda lib: lib.LayerNorm(5), (4, 5)),
    (lambda lib: lib.LayerNorm((4, 5)), (2, 3, 4, 5)),
    (lambda lib: lib.LayerNorm(6, eps=1e-3, elementwise_affine=False), (3, 6)),
    (lambda lib: lib.LayerNorm(6, bias=False), (2, 2, 6)),
    (lambda lib: lib.LayerNorm(4), (4,)),  # one sample, no batch axis
]


@pytest.mark.parametrize("make, shape", LAYER_NORMS)
def test_layer_norm_as_pytorchs(make, shape) -> None:
    ours, theirs = make(nn), make(tnn).double()
    assert repr(ours) == repr(theirs)
    _randomize(theirs)
    copy_weights(ours, theirs)
    compare_module(ours, theirs, RNG.normal(1.0, 2.0, size=shape), RNG)
    ours.eval()
    theirs.eval()
    close(ours(Tensor(np.ones(shape))), theirs(torch.ones(shape, dtype=torch.float64)))


def test_functional_layer_norm_and_float32() -> None:
    run_both(
        lambda x, w, b: F.layer_norm(x, (3, 4), w, b, eps=1e-6),
        lambda x, w, b: TF.layer_norm(x, (3, 4), w, b, eps=1e-6),
        *(RNG.normal(size=s).astype(np.float32) for s in ((2, 3, 4), (3, 4), (3, 4))),
        rng=RNG,
    )


# ---------------------------------------------------------------- Embedding
EMBEDDINGS = [
    (lambda lib: lib.Embedding(10, 3), [[1, 2, 4, 5], [4, 3, 2, 9]]),
    (lambda lib: lib.Embedding(10, 3, padding_idx=0), [[0, 2, 0, 5], [4, 3, 2, 9]]),
    (lambda lib: lib.Embedding(10, 3, padding_idx=-1), [9, 9, 1]),
    (lambda lib: lib.Embedding(6, 4, max_norm=1.0), [[1, 1, 3], [5, 0, 3]]),
    (lambda lib: lib.Embedding(6, 4, max_norm=0.5, norm_type=1.0), [2, 2, 4]),
    (lambda lib: lib.Embedding(5, 2), 3),  # one index: one vector
]


@pytest.mark.parametrize("make, indices", EMBEDDINGS)
def test_embedding_as_pytorchs(make, indices) -> None:
    ours, theirs = make(nn), make(tnn).double()
    assert repr(ours) == repr(theirs)
    with torch.no_grad():  # a non-zero padding row: its output is the row, its gradient 0
        theirs.weight.copy_(torch.tensor(RNG.normal(size=tuple(theirs.weight.shape))))
    copy_weights(ours, theirs)
    ours_out = ours(np.array(indices))
    theirs_out = theirs(torch.tensor(indices))
    close(ours_out, theirs_out)
    weights = RNG.normal(size=ours_out.shape)
    (ours_out * Tensor(weights)).sum().backward()
    (theirs_out * torch.tensor(weights)).sum().backward()
    close(ours.weight.grad, theirs.weight.grad, "weight gradient")
    close(ours.weight, theirs.weight, "weight after max_norm's renormalisation")


def test_embedding_default_initialisation_is_standard_normal_with_a_zero_padding_row() -> None:
    ours, theirs = nn.Embedding(2000, 50, padding_idx=3), tnn.Embedding(2000, 50, padding_idx=3)
    a, b = ours.weight.numpy(), theirs.weight.detach().numpy()
    assert not a[3].any() and not b[3].any()
    assert np.std(a) == pytest.approx(np.std(b), rel=0.02)
    assert abs(np.mean(a)) < 0.01 and abs(np.mean(b)) < 0.01
    pretrained = RNG.normal(size=(4, 3))
    ours_pre = nn.Embedding.from_pretrained(pretrained, padding_idx=1)
    theirs_pre = tnn.Embedding.from_pretrained(torch.tensor(pretrained), padding_idx=1)
    assert repr(ours_pre) == repr(theirs_pre)
    assert ours_pre.weight.requires_grad == theirs_pre.weight.requires_grad == False  # noqa: E712
    close(ours_pre(np.array([1, 3])), theirs_pre(torch.tensor([1, 3])))
