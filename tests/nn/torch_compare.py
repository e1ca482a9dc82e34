"""Helpers of the tests against torch.nn: the same weights in, outputs and every gradient
compared to the round-off of the dtype. Import it after ``pytest.importorskip("torch")``."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_lite import Tensor


def close(ours: Any, theirs: Any, what: str = "") -> None:
    """Same shape, dtype and values to round-off of the dtype (scaled by the magnitude)."""
    expected = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    actual = ours.numpy() if isinstance(ours, Tensor) else np.asarray(ours)
    assert actual.shape == expected.shape, what
    assert actual.dtype == expected.dtype, what
    scale = max(1.0, float(np.nanmax(np.abs(expected), initial=0.0)))
    eps = np.finfo(expected.dtype).eps if expected.dtype.kind == "f" else 0
    np.testing.assert_allclose(actual, expected, rtol=0, atol=32 * eps * scale, err_msg=what)


def copy_weights(ours: Any, theirs: Any) -> None:
    """Copy torch's parameters and buffers into our module, by name (strict load)."""
    state = {name: value.detach().numpy().copy() for name, value in theirs.state_dict().items()}
    ours.load_state_dict(state, strict=True)


def run_both(ours_fn, theirs_fn, *arrays, rng, grad_of=None):
    """Call both on copies of ``arrays``, backward a random weighting of the output, and
    compare the outputs and the gradients of every array in ``grad_of`` (default: all)."""
    import torch

    grad_of = range(len(arrays)) if grad_of is None else grad_of
    ours_in = [Tensor(a, requires_grad=i in grad_of) for i, a in enumerate(arrays)]
    theirs_in = [torch.tensor(a, requires_grad=i in grad_of) for i, a in enumerate(arrays)]
    ours_out, theirs_out = ours_fn(*ours_in), theirs_fn(*theirs_in)
    close(ours_out, theirs_out, "output")
    weights = rng.normal(size=ours_out.shape)
    (ours_out * Tensor(weights.astype(ours_out.dtype))).sum().backward()
    (theirs_out * torch.tensor(weights, dtype=theirs_out.dtype)).sum().backward()
    for i in grad_of:
        close(ours_in[i].grad, theirs_in[i].grad, f"gradient of input {i}")
    return ours_out


def compare_module(ours, theirs, x, rng, input_grad=True):
    """Same output and the same gradients of the input and of every parameter, by name."""
    import torch

    ours_x = Tensor(x, requires_grad=input_grad)
    theirs_x = torch.tensor(x, requires_grad=input_grad)
    ours_out, theirs_out = ours(ours_x), theirs(theirs_x)
    close(ours_out, theirs_out, "output")
    weights = rng.normal(size=ours_out.shape)
    (ours_out * Tensor(weights.astype(ours_out.dtype))).sum().backward()
    (theirs_out * torch.tensor(weights, dtype=theirs_out.dtype)).sum().backward()
    if input_grad:
        close(ours_x.grad, theirs_x.grad, "input gradient")
    theirs_params = dict(theirs.named_parameters())
    assert [name for name, _ in ours.named_parameters()] == list(theirs_params)
    for name, param in ours.named_parameters():
        close(param.grad, theirs_params[name].grad, f"gradient of {name}")
    return ours_out
