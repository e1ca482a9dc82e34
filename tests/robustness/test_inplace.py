"""In-place changes to values saved for backward are detected at backward, never used.

Always on: assigning to ``.data`` (``t.data = ...``, ``t.data -= ...``) after an op saved
the tensor. Under detect_anomaly also: element writes such as ``t.data[0] = 5``.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import InplaceModificationError, Tensor, detect_anomaly, no_grad
from tests.helpers import Square  # saves its input for backward


def _pair() -> tuple[Tensor, Tensor]:
    return Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)


def test_augmented_assignment_to_a_saved_input_is_detected() -> None:
    w, x = _pair()
    loss = (w * x).sum()
    w.data -= 0.1  # a hand-written SGD step before backward
    with pytest.raises(InplaceModificationError) as excinfo:
        loss.backward()
    message = str(excinfo.value)
    assert message.startswith("Mul: input 0 (shape (2,)), saved for backward, was modified")
    assert x.grad is None  # nothing was accumulated from a wrong rule


def test_replacing_data_of_a_saved_input_is_detected() -> None:
    w, x = _pair()
    loss = (w * x).sum()
    x.data = np.array([0.0, 0.0])
    with pytest.raises(InplaceModificationError, match="Mul: input 1"):
        loss.backward()


def test_writing_into_a_saved_output_is_detected() -> None:
    x = Tensor([0.0, 1.0], requires_grad=True)
    y = x.exp()  # Exp's backward reuses its output
    y.data *= 2.0
    with pytest.raises(InplaceModificationError, match="Exp: output 0"):
        y.sum().backward()


def test_change_before_the_op_is_fine() -> None:
    w, x = _pair()
    w.data -= 1.0  # before the forward pass: the op sees and saves the new values
    (w * x).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [3.0, 4.0])


def test_change_after_backward_is_fine_and_training_works() -> None:
    w, x = _pair()
    for _ in range(3):
        w.grad = None
        (w * x).sum().backward()
        with no_grad():
            w.data -= 0.1 * w.grad.data
    np.testing.assert_allclose(w.data, [1.0 - 0.9, 2.0 - 1.2])


def test_inputs_the_rule_does_not_read_may_change() -> None:
    # Add saves nothing, so changing its input cannot make its gradient wrong
    w, x = _pair()
    loss = (w + x).sum()
    w.data += 100.0
    loss.backward()
    np.testing.assert_array_equal(w.grad.data, [1.0, 1.0])


def test_retained_graph_detects_a_change_between_backward_passes() -> None:
    w, x = _pair()
    loss = (w * x).sum()
    loss.backward(retain_graph=True)
    x.data = x.data + 1.0
    with pytest.raises(InplaceModificationError, match="Mul: input 1"):
        loss.backward()


def test_element_write_is_invisible_without_detect_anomaly() -> None:
    # the documented limit: a raw write into the array bypasses the version counter
    w, x = _pair()
    loss = (w * x).sum()
    x.data[0] = 10.0
    loss.backward()
    assert w.grad.data[0] == 10.0  # the wrong (new) value was used


def test_element_write_is_detected_under_detect_anomaly() -> None:
    w, x = _pair()
    with detect_anomaly():
        loss = (w * x).sum()
        x.data[0] = 10.0
        with pytest.raises(InplaceModificationError) as excinfo:
            loss.backward()
    assert "Mul: input 1 (shape (2,))" in str(excinfo.value)
    assert "contents changed" in str(excinfo.value)


def test_element_write_through_a_view_is_detected_under_detect_anomaly() -> None:
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    with detect_anomaly():
        y = x.tanh()
        alias = y.detach()  # shares y's array
        alias.data[1, 1] = 0.0
        with pytest.raises(InplaceModificationError, match="Tanh: output 0"):
            y.sum().backward()


def test_custom_function_saved_input_is_watched() -> None:
    x = Tensor([3.0], requires_grad=True)
    y = Square.apply(x)
    x.data += 1.0
    with pytest.raises(InplaceModificationError, match="Square: input 0"):
        y.backward()


def test_custom_function_input_reassigned_is_reported_conservatively() -> None:
    x = Tensor([3.0], requires_grad=True)
    y = Square.apply(x)
    x.data = np.array([100.0])  # a new array: the saved one still holds 3
    with pytest.raises(InplaceModificationError):
        y.backward()  # still reported: the tensor the op read was reassigned


def test_in_place_step_on_a_weight_used_through_a_transpose_view_is_detected() -> None:
    # nn.Linear computes x @ W.T + b with the fused Linear op, which saves W itself; an
    # assignment to W.data after the forward pass gives W a newer version
    from nn import Linear

    model = Linear(2, 1)
    loss = model(Tensor([[1.0, 2.0]])).sum()
    model.weight.data -= 0.1
    with pytest.raises(InplaceModificationError, match="Linear: input 1"):
        loss.backward()


def test_nn_optimizer_step_between_backward_passes_is_reported() -> None:
    # nn's optimizers assign p.data after the update; the retained graph still holds W, which
    # now has a newer version: reported, as PyTorch does
    from nn import Linear
    from nn.optim import SGD

    model = Linear(2, 1)
    optimizer = SGD(model.parameters(), lr=0.1)
    loss = model(Tensor([[1.0, 2.0]])).sum()
    loss.backward(retain_graph=True)
    optimizer.step()
    with pytest.raises(InplaceModificationError, match="Linear: input 1"):
        loss.backward()


def test_writes_through_a_detached_alias_count_for_the_original() -> None:
    x = Tensor([0.5, 1.0], requires_grad=True)
    y = x.sigmoid()
    alias = y.detach()
    alias.data += 1.0
    with pytest.raises(InplaceModificationError, match="Sigmoid: output 0"):
        y.sum().backward()


def test_a_tensor_built_on_another_tensor_shares_its_version() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    shared = Tensor(x, requires_grad=True)  # the same array, as nn.Parameter(tensor) does
    loss = (shared * shared).sum()
    x.data += 1.0
    with pytest.raises(InplaceModificationError, match="Mul: input 0"):
        loss.backward()
