"""autograd_lite.functional against torch.autograd.functional, where torch is importable:
the same nesting of tuples, shapes, dtypes and numbers (to float64 round-off), and the same
exception types for the documented errors. Skipped without torch."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import autograd_lite.functional as F
from autograd_lite import Tensor, Value, grad

torch = pytest.importorskip("torch")
TF = torch.autograd.functional

_FIXED = np.random.default_rng(2013)
W = _FIXED.normal(size=(3, 4))
A = _FIXED.normal(size=(4, 4))
RNG = np.random.default_rng(0)  # reseeded per test by _reseed, so each test's data is fixed


@pytest.fixture(autouse=True)
def _reseed(request):
    RNG.bit_generator.state = np.random.default_rng(
        zlib.crc32(request.node.name.encode())
    ).bit_generator.state


def lib_tensor(lib, array, dtype=np.float64):
    array = np.asarray(array, dtype=dtype)
    return Tensor(array) if lib == "ours" else torch.tensor(array)


def same(ours, theirs):
    """Same nesting, shapes, dtypes, and values to float64 round-off."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            same(o, t)
        return
    assert isinstance(ours, Tensor), type(ours)
    expected = theirs.detach().numpy()
    assert ours.shape == expected.shape
    assert ours.dtype == expected.dtype
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    eps = np.finfo(expected.dtype).eps
    np.testing.assert_allclose(ours.numpy(), expected, rtol=0, atol=16 * eps * scale)


# name -> (function maker given the library, input shapes); functions use syntax both share
FUNCTIONS = {
    "tanh_linear": (lambda lib: lambda x: (lib_tensor(lib, W) @ x).tanh(), [(4,)]),
    "softmax": (lambda lib: lambda x: x.softmax(-1), [(5,)]),
    "two_in_two_out": (
        lambda lib: lambda a, b: (a.tanh() * b.sum(), b.exp() * a.sum()),
        [(3,), (2, 2)],
    ),
    "matrix_in": (lambda lib: lambda m: (m * m.tanh()).sum(0), [(2, 3)]),
    "zero_d": (lambda lib: lambda s: s.exp() * s, [()]),
    "tuple_of_one": (lambda lib: lambda x: (x * x,), [(3,)]),
    "identity_and_constant": (lambda lib: lambda x, y: (x, y * 0 + 1), [(2,), (2,)]),
}
SCALARS = {
    "quadratic": (lambda lib: lambda x: x @ lib_tensor(lib, A) @ x, [(4,)]),
    "coupled": (
        lambda lib: lambda a, b: (a.tanh().sum() * b.exp().sum()) ** 2,
        [(3,), (2,)],
    ),
    "matrix": (lambda lib: lambda m: (m.sigmoid() * m).sum(), [(2, 2)]),
    "zero_d": (lambda lib: lambda s: (s * s).exp(), [()]),
    "one_element": (lambda lib: lambda x: (x * x.exp()).sum().reshape(1), [(3,)]),
}


def make(table, name, as_tuple, dtype=np.float64):
    maker, shapes = table[name]
    arrays = [RNG.normal(size=shape) for shape in shapes]
    pair = {}
    for lib in ("ours", "theirs"):
        inputs = tuple(lib_tensor(lib, a, dtype) for a in arrays)
        pair[lib] = (maker(lib), inputs if as_tuple or len(inputs) > 1 else inputs[0])
    return pair


def agree(ours_call, their_call):
    """Both raise the same type of error, or both return the same results."""
    try:
        theirs = their_call()
    except Exception as exc:  # noqa: BLE001 - PyTorch's type is the expectation
        with pytest.raises(type(exc)):
            ours_call()
        return
    same(ours_call(), theirs)


def random_like(structure, lib):
    shapes = [t.shape for t in structure] if isinstance(structure, tuple) else None
    if shapes is None:
        return lib_tensor(lib, RNG.normal(size=structure.shape))
    arrays = [RNG.normal(size=s) for s in shapes]
    return tuple(lib_tensor(lib, a) for a in arrays)


def both(table, name, as_tuple):
    pair = make(table, name, as_tuple)
    return pair["ours"], pair["theirs"]


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("as_tuple", [False, True])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_jacobian_vjp_jvp(name, as_tuple, strict):
    (f, x), (tf, tx) = both(FUNCTIONS, name, as_tuple)
    agree(lambda: F.jacobian(f, x, strict=strict), lambda: TF.jacobian(tf, tx, strict=strict))
    same(F.jacobian(f, x, strategy="forward-mode"), TF.jacobian(tf, tx))
    out = tf(*tx) if isinstance(tx, tuple) else tf(tx)
    v_out = random_like(out, "theirs")
    ours_v = tuple(Tensor(t.numpy()) for t in v_out) if isinstance(v_out, tuple) else None
    ours_v = ours_v if ours_v is not None else Tensor(v_out.numpy())
    agree(lambda: F.vjp(f, x, ours_v, strict=strict), lambda: TF.vjp(tf, tx, v_out, strict=strict))
    v_in = random_like(tx, "theirs")
    ours_in = tuple(Tensor(t.numpy()) for t in v_in) if isinstance(v_in, tuple) else None
    ours_in = ours_in if ours_in is not None else Tensor(v_in.numpy())
    agree(lambda: F.jvp(f, x, ours_in, strict=strict), lambda: TF.jvp(tf, tx, v_in, strict=strict))


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("as_tuple", [False, True])
@pytest.mark.parametrize("name", sorted(SCALARS))
def test_hessian_hvp_vhp(name, as_tuple, strict):
    (f, x), (tf, tx) = both(SCALARS, name, as_tuple)
    agree(lambda: F.hessian(f, x, strict=strict), lambda: TF.hessian(tf, tx, strict=strict))
    same(F.jacobian(f, x), TF.jacobian(tf, tx))
    v = random_like(tx, "theirs")
    ours_v = tuple(Tensor(t.numpy()) for t in v) if isinstance(v, tuple) else Tensor(v.numpy())
    agree(lambda: F.hvp(f, x, ours_v, strict=strict), lambda: TF.hvp(tf, tx, v, strict=strict))
    agree(lambda: F.vhp(f, x, ours_v, strict=strict), lambda: TF.vhp(tf, tx, v, strict=strict))


def test_float32():
    (f, x), (tf, tx) = both(SCALARS, "coupled", True)
    x = tuple(Tensor(t.numpy().astype(np.float32)) for t in x)
    tx = tuple(t.float() for t in tx)
    v = tuple(torch.ones_like(t) for t in tx)
    ours_v = tuple(Tensor(t.numpy()) for t in v)
    same(F.hessian(f, x), TF.hessian(tf, tx))
    same(F.vhp(f, x, ours_v), TF.vhp(tf, tx, v))
    same(F.hvp(f, x, ours_v), TF.hvp(tf, tx, v))
    same(F.jvp(f, x, ours_v), TF.jvp(tf, tx, v))
    same(F.vjp(f, x), TF.vjp(tf, tx))


def test_create_graph_then_differentiate_again():
    x_np = np.array([0.3, -0.2, 0.5, 0.1])  # tanh(x^T A x) far from saturation
    x, tx = Tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    f, tf = FUNCTIONS["tanh_linear"][0]("ours"), FUNCTIONS["tanh_linear"][0]("theirs")
    J, tJ = F.jacobian(f, x, create_graph=True), TF.jacobian(tf, tx, create_graph=True)
    same(J, tJ)
    same(grad((J * J).sum(), x)[0], torch.autograd.grad((tJ * tJ).sum(), tx)[0])
    g, tg = SCALARS["quadratic"][0]("ours"), SCALARS["quadratic"][0]("theirs")
    v = np.arange(4.0)
    _, hv = F.hvp(lambda y: g(y).tanh(), x, Tensor(v), create_graph=True)
    _, thv = TF.hvp(lambda y: tg(y).tanh(), tx, torch.tensor(v), create_graph=True)
    same(grad(hv.sum(), x)[0], torch.autograd.grad(thv.sum(), tx)[0])
    _, jv = F.jvp(f, x, Tensor(v), create_graph=True)
    _, tjv = TF.jvp(tf, tx, torch.tensor(v), create_graph=True)
    same(grad(jv.sum(), x)[0], torch.autograd.grad(tjv.sum(), tx)[0])


def test_values_match_pytorch_on_0d_tensors():
    def f(a, b):
        return (a * b).tanh() + a**2 / b + (a - b).sigmoid() * b.exp()

    args = (0.3, 1.7)
    ours_j = F.jacobian(f, tuple(Value(a) for a in args))
    ours_h = F.hessian(f, tuple(Value(a) for a in args))
    their_in = tuple(torch.tensor(a, dtype=torch.float64) for a in args)
    their_j = tuple(t.item() for t in TF.jacobian(f, their_in))
    their_h = tuple(tuple(t.item() for t in row) for row in TF.hessian(f, their_in))
    np.testing.assert_allclose(ours_j, their_j, rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(ours_h, their_h, rtol=1e-15, atol=1e-15)
    single = F.hessian(lambda a: a.tanh() * a, Value(0.4))
    assert single == pytest.approx(
        TF.hessian(lambda a: a.tanh() * a, torch.tensor(0.4, dtype=torch.float64)).item(),
        rel=1e-15,
    )


def _raises(fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the type is what is compared
        return exc
    return None


@pytest.mark.parametrize(
    "case",
    [
        "v_shape",
        "v_count",
        "v_missing",
        "non_tensor_out",
        "list_out",
        "list_inputs",
        "hessian_vector",
        "hvp_vector",
        "strict_unused",
        "strict_linear_hessian",
        "strict_separable_hessian",
        "strict_linear_vhp",
        "strict_constant_output",
    ],
)
def test_errors_have_pytorch_types(case):
    calls = {
        "v_shape": lambda M, T: M.vjp(lambda a: a * 2, T([1.0, 2.0]), T([1.0, 2.0, 3.0])),
        "v_count": lambda M, T: M.jvp(lambda a, b: a * b, (T([1.0]), T([1.0])), (T([1.0]),)),
        "v_missing": lambda M, T: M.vjp(lambda a: a * 2, T([1.0, 2.0])),
        "non_tensor_out": lambda M, T: M.jacobian(lambda a: 1.0, T([1.0])),
        "list_out": lambda M, T: M.jacobian(lambda a: [a, a], T([1.0])),
        "list_inputs": lambda M, T: M.jacobian(lambda a: a, [T([1.0])]),
        "hessian_vector": lambda M, T: M.hessian(lambda a: a * a, T([1.0, 2.0])),
        "hvp_vector": lambda M, T: M.hvp(lambda a: a * a, T([1.0, 2.0]), T([1.0, 2.0])),
        "strict_unused": lambda M, T: M.jacobian(
            lambda a, b: a * 2, (T([1.0]), T([1.0])), strict=True
        ),
        "strict_linear_hessian": lambda M, T: M.hessian(
            lambda a: (a * 3).sum(), T([1.0, 2.0]), strict=True
        ),
        "strict_separable_hessian": lambda M, T: M.hessian(
            lambda a, b: (a * a).sum() + (b * b).sum(), (T([1.0]), T([2.0])), strict=True
        ),
        "strict_linear_vhp": lambda M, T: M.vhp(
            lambda a: (a * 3).sum(), T([1.0, 2.0]), T([1.0, 1.0]), strict=True
        ),
        "strict_constant_output": lambda M, T: M.vjp(
            lambda a: a.detach() * 2, T([1.0]), T([1.0]), strict=True
        ),
    }
    ours = _raises(lambda: calls[case](F, Tensor))
    theirs = _raises(lambda: calls[case](TF, lambda d: torch.tensor(d, dtype=torch.float64)))
    assert theirs is not None and ours is not None, (ours, theirs)
    assert isinstance(ours, type(theirs)), (ours, theirs)
