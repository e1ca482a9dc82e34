"""What `backward()` seeds a one-element tensor with, and the grad mode a backward rule
runs in (issue 24, item 9: two mutants that survived the suite, see
docs/mutation_testing.md). Expected numbers are derived by hand in the comments.
"""

from __future__ import annotations

import numpy as np

from autograd_lite import Function, Tensor, grad, is_grad_enabled


def test_backward_seeds_a_one_element_tensor_of_any_shape_with_one() -> None:
    # shape (1,): y = x * x at x = 3 gives dy/dx = 2x = 6 (a seed of 2 would give 12)
    x = Tensor([3.0], requires_grad=True)
    (x * x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0])
    # shape (1, 1): y = a @ b with a = [[1, 2]], b = [[3], [4]]: dy/da = b^T = [[3, 4]],
    # dy/db = a^T = [[1], [2]]
    a = Tensor([[1.0, 2.0]], requires_grad=True)
    b = Tensor([[3.0], [4.0]], requires_grad=True)
    (a @ b).backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[3.0, 4.0]])
    np.testing.assert_array_equal(b.grad.numpy(), [[1.0], [2.0]])


def test_grad_seeds_a_one_element_tensor_with_one_too() -> None:
    x = Tensor([[3.0]], requires_grad=True)
    (g,) = grad(x * x, x)
    np.testing.assert_array_equal(g.numpy(), [[6.0]])


class _RecordsGradMode(Function):
    """y = 2x; its backward notes whether graph recording is on while it runs."""

    seen: list[bool] = []

    @staticmethod
    def forward(ctx, x):
        return 2.0 * x

    @staticmethod
    def backward(ctx, grad_output):
        _RecordsGradMode.seen.append(is_grad_enabled())
        return 2.0 * grad_output


def test_rules_run_with_recording_off_without_create_graph() -> None:
    # as PyTorch: a backward pass records nothing unless create_graph=True, so a rule
    # sees grad mode off (and the mode is on again afterwards)
    _RecordsGradMode.seen.clear()
    x = Tensor([1.0, 2.0], requires_grad=True)
    _RecordsGradMode.apply(x).sum().backward()
    grad(_RecordsGradMode.apply(x).sum(), x)
    assert _RecordsGradMode.seen == [False, False]
    assert is_grad_enabled()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
