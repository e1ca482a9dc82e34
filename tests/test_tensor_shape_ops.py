"""Shape and indexing methods: a hand value at one point (forward and gradient), the
PyTorch aliases and ``dim=``, and each method's errors naming it and the values at fault.

The property suite (test_ops_forward, test_ops_gradcheck) covers the same methods on
Hypothesis shapes through the registry; these pin exact numbers and messages.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import ShapeError, Tensor, gradcheck, gradgradcheck

M = np.arange(6.0).reshape(2, 3)  # [[0, 1, 2], [3, 4, 5]]


def _grad(fn, data, upstream=None):
    """The value of fn at data and the gradient of sum(fn * upstream)."""
    x = Tensor(data, requires_grad=True)
    out = fn(x)
    out.backward(np.ones(out.shape) if upstream is None else upstream)
    return out.numpy(), x.grad.numpy()


# ---------------------------------------------------------------- reshaping
def test_squeeze_expand_dims_flatten_by_hand() -> None:
    x = np.zeros((1, 3, 1))
    assert Tensor(x).squeeze().shape == (3,)
    assert Tensor(x).squeeze(0).shape == (3, 1)
    assert Tensor(x).squeeze((0, -1)).shape == (3,)
    assert Tensor(M).expand_dims(1).shape == (2, 1, 3)
    assert Tensor(M).expand_dims((0, -1)).shape == (1, 2, 3, 1)
    assert Tensor(np.zeros((2, 3, 4, 5))).flatten(1, 2).shape == (2, 12, 5)
    assert Tensor(np.zeros((2, 3, 4))).flatten().shape == (24,)
    assert Tensor(2.0).flatten().shape == (1,)  # as torch.flatten of a 0-d tensor
    value, grad = _grad(lambda t: t.flatten() * np.arange(6.0), M)
    np.testing.assert_array_equal(value, M.ravel() * np.arange(6.0))
    np.testing.assert_array_equal(grad, np.arange(6.0).reshape(2, 3))


def test_aliases_take_numpy_arguments() -> None:
    t = Tensor(M)
    assert t.unsqueeze(0).shape == t.expand_dims(0).shape == (1, 2, 3)
    assert t.view(3, 2).shape == t.view((3, 2)).shape == (3, 2)
    assert t.permute(1, 0).shape == (3, 2)
    assert t.permute(0, 1).shape == (2, 3)  # identity, in NumPy and in PyTorch alike
    assert t.expand(4, 2, 3).shape == t.broadcast_to((4, 2, 3)).shape == (4, 2, 3)
    assert Tensor.unsqueeze is Tensor.expand_dims and Tensor.view is Tensor.reshape


def test_swapaxes_and_broadcast_to_gradients() -> None:
    value, grad = _grad(lambda t: t.swapaxes(0, 1), M, np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(value, M.T)
    np.testing.assert_array_equal(grad, np.arange(6.0).reshape(3, 2).T)
    # broadcast (3,) -> (2, 3): each element used twice
    value, grad = _grad(lambda t: t.broadcast_to(2, 3), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(value, [[1, 2, 3], [1, 2, 3]])
    np.testing.assert_array_equal(grad, [2.0, 2.0, 2.0])


def test_tile_and_repeat_by_hand() -> None:
    value, grad = _grad(lambda t: t.tile(2) * np.array([1.0, 2.0, 3.0, 4.0]), np.array([5.0, 6.0]))
    np.testing.assert_array_equal(value, [5.0, 12.0, 15.0, 24.0])
    np.testing.assert_array_equal(grad, [1.0 + 3.0, 2.0 + 4.0])
    assert Tensor(M).tile((2, 1, 2)).shape == (2, 2, 6)
    np.testing.assert_array_equal(Tensor(M).tile((2, 1, 2)).numpy(), np.tile(M, (2, 1, 2)))
    # NumPy's repeat: elements repeated (PyTorch's repeat_interleave), flattened when axis=None
    value, grad = _grad(lambda t: t.repeat(2) * np.arange(4.0), np.array([5.0, 6.0]))
    np.testing.assert_array_equal(value, [0.0, 5.0, 12.0, 18.0])
    np.testing.assert_array_equal(grad, [0.0 + 1.0, 2.0 + 3.0])
    value, grad = _grad(lambda t: t.repeat([2, 0, 1], dim=1), M)
    np.testing.assert_array_equal(value, [[0, 0, 2], [3, 3, 5]])
    np.testing.assert_array_equal(grad, [[2, 0, 1], [2, 0, 1]])
    assert Tensor(M).repeat(2, axis=0).shape == (4, 3)


def test_pad_by_hand() -> None:
    value, grad = _grad(
        lambda t: t.pad(((0, 1), (2, 0)), constant_values=-1.0), M, np.arange(15.0).reshape(3, 5)
    )
    np.testing.assert_array_equal(value, np.pad(M, ((0, 1), (2, 0)), constant_values=-1.0))
    np.testing.assert_array_equal(grad, [[2, 3, 4], [7, 8, 9]])  # the inside of the upstream
    assert Tensor(M).pad(1).shape == (4, 5)
    assert Tensor(M).pad((1, 0)).shape == (3, 4)
    assert Tensor(np.float32([1.0])).pad(1).dtype == np.float32


def test_flip_by_hand() -> None:
    value, grad = _grad(lambda t: t.flip(1), M, np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(value, [[2, 1, 0], [5, 4, 3]])
    np.testing.assert_array_equal(grad, [[2, 1, 0], [5, 4, 3]])
    np.testing.assert_array_equal(Tensor(M).flip().numpy(), M[::-1, ::-1])
    assert gradgradcheck(lambda t: t.flip((0, 1)) * t, Tensor(M, requires_grad=True))


# ---------------------------------------------------------------- cutting and picking
def test_split_and_chunk_give_pieces_and_gradients() -> None:
    x = Tensor(np.arange(12.0).reshape(2, 6), requires_grad=True)
    a, b, c = x.split(3, axis=1)
    assert [p.shape for p in (a, b, c)] == [(2, 2)] * 3
    np.testing.assert_array_equal(b.numpy(), [[2, 3], [8, 9]])
    (a * 1.0 + c * 3.0).sum().backward()  # b unused: its gradient is zero
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 1, 0, 0, 3, 3]] * 2)
    assert [p.shape for p in x.split([1, 4], axis=1)] == [(2, 1), (2, 3), (2, 2)]
    # PyTorch's chunk: ceil(6 / 4) = 2 per chunk, so 3 chunks, not 4
    assert [p.shape[0] for p in Tensor(np.zeros(6)).chunk(4)] == [2, 2, 2]
    assert [p.shape[0] for p in Tensor(np.zeros(5)).chunk(3)] == [2, 2, 1]
    assert [p.shape for p in Tensor(np.zeros((2, 4))).chunk(2, dim=1)] == [(2, 2), (2, 2)]
    assert gradgradcheck(
        lambda t: t.chunk(3)[0] * t.chunk(3)[2] ** 2,
        Tensor(np.arange(1.0, 6.0), requires_grad=True),
    )


def test_lstm_gates_from_chunk() -> None:
    # the LSTM habit: one matmul for the four gates, then chunk along the feature axis
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    w = Tensor(rng.standard_normal((2, 8)), requires_grad=True)

    def cell(x: Tensor, w: Tensor) -> Tensor:
        i, f, g, o = (x @ w).chunk(4, axis=1)
        return (i.sigmoid() * g.tanh() + f.sigmoid()) * o.sigmoid()

    assert cell(x, w).shape == (3, 2)
    assert gradcheck(cell, (x, w)) and gradgradcheck(cell, (x, w))


def test_take_along_axis_is_gather() -> None:
    index = np.array([[2, 0], [1, -1]])
    value, grad = _grad(
        lambda t: t.take_along_axis(index, 1), M, np.array([[1.0, 2.0], [3.0, 4.0]])
    )
    np.testing.assert_array_equal(value, [[2, 0], [4, 5]])
    np.testing.assert_array_equal(grad, [[2, 0, 1], [0, 3, 4]])
    # repeated indices accumulate; a Tensor of whole numbers is accepted as indices
    value, grad = _grad(lambda t: t.take_along_axis(Tensor([[0.0, 0.0, 2.0]]), dim=1), M)
    np.testing.assert_array_equal(value, [[0, 0, 2], [3, 3, 5]])
    np.testing.assert_array_equal(grad, [[2, 0, 1], [2, 0, 1]])
    np.testing.assert_array_equal(
        Tensor(M).take_along_axis(np.array([5, 0]), None).numpy(), [5.0, 0.0]
    )


def test_masked_fill_by_hand() -> None:
    mask = np.array([True, False, True])
    value, grad = _grad(lambda t: t.masked_fill(mask, -9.0), M, np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(value, [[-9, 1, -9], [-9, 4, -9]])
    np.testing.assert_array_equal(grad, [[0, 1, 0], [0, 4, 0]])
    # the causal-attention habit: a boolean Tensor mask from a comparison, -inf filled in
    scores = Tensor(np.zeros((3, 3)), requires_grad=True)
    rows, cols = np.indices((3, 3))
    causal = Tensor(cols) > Tensor(rows)
    attention = scores.masked_fill(causal, -np.inf).softmax(axis=-1)
    np.testing.assert_allclose(attention.numpy()[1], [0.5, 0.5, 0.0])
    # a 0-d value Tensor that requires grad gets the gradient of the filled places
    fill = Tensor(2.0, requires_grad=True)
    Tensor(M).masked_fill(mask, fill).sum().backward()
    assert fill.grad.item() == 4.0


def test_astype_round_trip_and_gradient_dtype() -> None:
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x.astype(np.float32)
    assert y.dtype == np.float32 and y.requires_grad
    (y * 3.0).sum().backward()
    assert x.grad.dtype == np.float64  # back in the input's dtype
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    x32 = Tensor(np.float32([1.5]), requires_grad=True)
    (x32.astype("float64") * 2.0).sum().backward()
    assert x32.grad.dtype == np.float32 and x32.grad.item() == 2.0
    mask = Tensor([1.0, -1.0]) > 0
    np.testing.assert_array_equal(mask.astype(np.float32).numpy(), [1.0, 0.0])


def test_clone_copies_and_passes_the_gradient() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    assert not np.shares_memory(y.numpy(), x.numpy()) and y.grad_fn is not None
    (y * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


# ---------------------------------------------------------------- dim= and errors
def test_dim_and_axis_both_given_is_an_error_naming_the_method() -> None:
    t = Tensor(np.zeros((1, 2)))
    for call in (
        lambda: t.squeeze(0, dim=0),
        lambda: t.expand_dims(0, dim=1),
        lambda: t.flip(0, dim=1),
        lambda: t.split(2, 1, dim=1),
        lambda: t.chunk(2, 1, dim=1),
        lambda: t.repeat(2, 0, dim=1),
        lambda: t.take_along_axis(np.zeros((1, 1), int), 0, dim=1),
        lambda: t.flatten(1, start_dim=0),
    ):
        with pytest.raises(TypeError, match="got both"):
            call()
    with pytest.raises(TypeError, match="^squeeze: got both axis=.* and dim="):
        t.squeeze(0, dim=0)
    assert t.squeeze(dim=0).shape == (2,)
    assert t.flatten(start_dim=0, end_dim=1).shape == (2,)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda t: t.squeeze(1), ShapeError, r"squeeze: axis 1 has size 3, not 1"),
        (lambda t: t.squeeze(5), ShapeError, r"squeeze: axis 5 is out of range .* \(2, 3\)"),
        (lambda t: t.expand_dims(3), ShapeError, r"expand_dims: axis 3 is out of range"),
        (lambda t: t.expand_dims(), TypeError, r"expand_dims: missing the axis"),
        (lambda t: t.flatten(1, 0), ShapeError, r"flatten: start_axis 1 comes after end_axis 0"),
        (lambda t: t.swapaxes(0, 2), ShapeError, r"swapaxes: axis 2 is out of range"),
        (lambda t: t.broadcast_to(3, 2), ShapeError, r"broadcast_to: cannot broadcast"),
        (lambda t: t.expand(-1, 3), ShapeError, r"broadcast_to: sizes must be >= 0.*-1"),
        (lambda t: t.tile(-1), ShapeError, r"tile: reps must be >= 0"),
        (lambda t: t.tile(1.5), TypeError, r"tile: reps must be integers"),
        (lambda t: t.repeat(1.5), ShapeError, r"repeat: repeats must be counts >= 0"),
        (
            lambda t: t.repeat([1, 2], axis=1),
            ShapeError,
            r"repeat: 2 counts for axis 1 of length 3",
        ),
        (lambda t: t.split(2, axis=1), ShapeError, r"split: axis 1 of length 3 .* 2 equal"),
        (lambda t: t.split([1.5]), TypeError, r"split: the cut indices must be integers"),
        (lambda t: t.chunk(0), ShapeError, r"chunk: the number of chunks must be an int >= 1"),
        (lambda t: t.pad(-1), ShapeError, r"pad: widths must be >= 0"),
        (
            lambda t: t.pad(((1, 1), (1, 1), (1, 1))),
            ShapeError,
            r"pad: pad_width must be .*\(2, 3\)",
        ),
        (lambda t: t.pad(1.5), TypeError, r"pad: pad_width must hold integers"),
        (
            lambda t: t.pad(1, constant_values=[1, 2]),
            TypeError,
            r"pad: constant_values must be one",
        ),
        (lambda t: t.flip(2), ShapeError, r"flip: axis 2 is out of range"),
        (lambda t: t.flip((0, 0)), ShapeError, r"flip: repeated axis"),
        (
            lambda t: t.take_along_axis(np.array([0, 1]), 1),
            ShapeError,
            r"take_along_axis: indices must have the tensor's 2 dimensions, got 1",
        ),
        (
            lambda t: t.take_along_axis(np.array([[3]]), 1),
            IndexError,
            r"take_along_axis: indices must be in \[-3, 3\) .* got min 3, max 3",
        ),
        (
            lambda t: t.take_along_axis(np.array([[0.5]]), 1),
            TypeError,
            r"take_along_axis: indices must be integers, got dtype float64",
        ),
        (
            lambda t: t.take_along_axis(np.zeros((3, 1), int), 1),
            ShapeError,
            r"take_along_axis: indices shape \(3, 1\) does not broadcast .* on axis 0",
        ),
        (
            lambda t: t.masked_fill(np.array([1.0, 0.0, 1.0]), 0.0),
            TypeError,
            r"masked_fill: mask must be boolean .* got dtype float64",
        ),
        (
            lambda t: t.masked_fill(np.ones((3, 3), bool), 0.0),
            ShapeError,
            r"masked_fill: mask shape \(3, 3\) does not broadcast to the tensor's shape \(2, 3\)",
        ),
        (lambda t: t.masked_fill(t > 0, "x"), TypeError, r"masked_fill: value must be a number"),
        (lambda t: t.astype(np.int64), TypeError, r"astype: a Tensor holds float32 or float64"),
        (lambda t: t.astype("complex"), TypeError, r"astype: .* got dtype 'complex'"),
        (lambda t: t.permute(0, 0), ShapeError, r"permute: axes \(0, 0\) are not a permutation"),
    ],
)
def test_bad_arguments_name_the_method_and_the_values(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call(Tensor(M))
