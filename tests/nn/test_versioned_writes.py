"""Every write nn makes into a tensor's values moves its version stamp (issue 24, item 1).

A backward pass that needs the values a graph saved must raise `InplaceModificationError`
when nn changed them in between (init, an optimizer step, load_state_dict, nn.load),
instead of silently using the new values.
"""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd_lite import InplaceModificationError, Tensor

RNG = np.random.default_rng(0)

#: every public initialiser of nn.init, called on a (2, 2) weight
INITIALISERS = {
    "zeros_": lambda w: nn.init.zeros_(w),
    "ones_": lambda w: nn.init.ones_(w),
    "constant_": lambda w: nn.init.constant_(w, 0.35),
    "uniform_": lambda w: nn.init.uniform_(w, -1.0, 1.0, RNG),
    "normal_": lambda w: nn.init.normal_(w, 0.0, 1.0, RNG),
    "xavier_uniform_": lambda w: nn.init.xavier_uniform_(w, generator=RNG),
    "xavier_normal_": lambda w: nn.init.xavier_normal_(w, generator=RNG),
    "kaiming_uniform_": lambda w: nn.init.kaiming_uniform_(w, generator=RNG),
    "kaiming_normal_": lambda w: nn.init.kaiming_normal_(w, generator=RNG),
}


def test_the_list_covers_every_initialiser_of_nn_init() -> None:
    public = {name for name in vars(nn.init) if name.endswith("_") and not name.startswith("_")}
    assert public == set(INITIALISERS)


@pytest.mark.parametrize("name", sorted(INITIALISERS))
def test_init_after_forward_makes_backward_raise(name: str) -> None:
    # the example: without the new stamp, backward used the new (zero) weight and
    # left x.grad = [[0, 0]] without a word
    m = nn.Linear(2, 2, bias=False)
    x = Tensor([[1.0, 2.0]], requires_grad=True)
    loss = (m(x) ** 2).sum()
    INITIALISERS[name](m.weight)
    with pytest.raises(InplaceModificationError, match="modified in place"):
        loss.backward()


@pytest.mark.parametrize("name", sorted(INITIALISERS))
def test_init_fills_the_tensor_but_never_writes_the_users_array(name: str) -> None:
    # as the optimizers: the tensor gets a new array (through the versioned .data
    # assignment); an array the user passed to Tensor(...) keeps its values
    users = np.full((2, 2), 7.0)
    weight = Tensor(users)
    assert INITIALISERS[name](weight) is weight
    np.testing.assert_array_equal(users, np.full((2, 2), 7.0))
    assert not np.array_equal(weight.numpy(), users)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_init_keeps_shape_and_dtype(dtype: type) -> None:
    weight = Tensor(np.zeros((3, 2)), dtype=dtype)
    nn.init.constant_(weight, 0.5)
    assert weight.dtype == dtype and weight.shape == (3, 2)
    np.testing.assert_array_equal(weight.numpy(), np.full((3, 2), 0.5, dtype=dtype))


def test_load_state_dict_after_forward_makes_backward_raise() -> None:
    model, other = nn.Linear(2, 1), nn.Linear(2, 1)
    loss = (model(Tensor([[1.0, 2.0]])) ** 2).sum()
    model.load_state_dict(other.state_dict())
    with pytest.raises(InplaceModificationError, match="modified in place"):
        loss.backward()


def test_nn_load_after_forward_makes_backward_raise(tmp_path) -> None:
    model = nn.Linear(2, 1)
    nn.save(nn.Linear(2, 1), tmp_path / "other.npz")
    loss = (model(Tensor([[1.0, 2.0]])) ** 2).sum()
    nn.load(model, tmp_path / "other.npz")
    with pytest.raises(InplaceModificationError, match="modified in place"):
        loss.backward()


@pytest.mark.parametrize(
    "make", [lambda p: nn.optim.SGD(p, lr=0.1, momentum=0.9), lambda p: nn.optim.Adam(p)]
)
def test_optimizer_step_after_forward_makes_backward_raise(make) -> None:
    model = nn.Linear(2, 1)
    optimizer = make(model.parameters())
    loss = (model(Tensor([[1.0, 2.0]])) ** 2).sum()
    loss.backward(retain_graph=True)
    optimizer.step()
    with pytest.raises(InplaceModificationError, match="modified in place"):
        loss.backward()
