"""Custom Functions: saved tensors, several inputs and outputs, None gradients, bad backward."""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import Function, Tensor, grad
from tests.helpers import Square


class MulAdd(Function):
    """(a * b + c, a - c): two outputs from three inputs."""

    @staticmethod
    def forward(ctx, a, b, c):
        ctx.save_for_backward(a, b)
        return a * b + c, a - c

    @staticmethod
    def backward(ctx, grad_first, grad_second):
        a, b = ctx.saved_tensors
        return grad_first * b + grad_second, grad_first * a, grad_first - grad_second


class ScaleBy(Function):
    """x * k where k is a non-differentiable setting passed as an input."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.k, None


def test_save_for_backward_and_saved_tensors() -> None:
    x = Tensor([3.0, -1.0], requires_grad=True)
    y = Square.apply(x)
    assert isinstance(y, Tensor) and y.requires_grad
    np.testing.assert_array_equal(y.numpy(), [9.0, 1.0])
    y.backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, -20.0])


def test_inputs_may_be_arrays_or_numbers_and_give_tensors() -> None:
    y = Square.apply(np.array([2.0]))
    assert isinstance(y, Tensor) and not y.requires_grad
    assert Square.apply(3.0).item() == 9.0


def test_several_inputs_and_outputs() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    c = Tensor([5.0, 6.0], requires_grad=True)
    first, second = MulAdd.apply(a, b, c)
    np.testing.assert_array_equal(first.numpy(), [8.0, 14.0])
    np.testing.assert_array_equal(second.numpy(), [-4.0, -4.0])
    (first * 2.0 + second * 3.0).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), 2 * np.array([3.0, 4.0]) + 3)
    np.testing.assert_array_equal(b.grad.numpy(), 2 * np.array([1.0, 2.0]))
    np.testing.assert_array_equal(c.grad.numpy(), [2.0 - 3.0] * 2)


def test_only_some_outputs_receive_gradient() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    c = Tensor([5.0, 6.0], requires_grad=True)
    _first, second = MulAdd.apply(a, b, c)
    second.sum().backward()  # the first output gets a zero gradient
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(c.grad.numpy(), [-1.0, -1.0])


def test_outputs_used_by_grad_individually() -> None:
    a = Tensor([2.0], requires_grad=True)
    first, second = MulAdd.apply(a, Tensor([5.0]), Tensor([1.0]))
    assert grad(first.sum(), a, retain_graph=True)[0].item() == 5.0
    assert grad(second.sum(), a)[0].item() == 1.0


def test_none_gradient_for_a_non_differentiable_input() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    k = Tensor(3.0, requires_grad=True)
    ScaleBy.apply(x, k).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    assert k.grad is None


def test_needs_input_grad() -> None:
    seen = []

    class Record(Function):
        @staticmethod
        def forward(ctx, a, b):
            seen.append(ctx.needs_input_grad)
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, g

    Record.apply(Tensor([1.0], requires_grad=True), Tensor([1.0]))
    assert seen == [(True, False)]


def test_backward_returning_the_wrong_number_of_gradients_is_a_clear_error() -> None:
    class OneGradForTwoInputs(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g

    a, b = Tensor([1.0], requires_grad=True), Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"OneGradForTwoInputs.backward returned 1 .*expected 2"):
        OneGradForTwoInputs.apply(a, b).sum().backward()


def test_backward_returning_a_gradient_of_the_wrong_shape_is_a_clear_error() -> None:
    class WrongShape(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return np.ones(5)

    with pytest.raises(RuntimeError, match=r"WrongShape.backward .*\(5,\).*\(3,\)"):
        WrongShape.apply(Tensor(np.ones(3), requires_grad=True)).sum().backward()


def test_backward_returning_a_string_is_a_type_error() -> None:
    class Strange(Function):
        @staticmethod
        def forward(ctx, a):
            return a

        @staticmethod
        def backward(ctx, g):
            return np.array(["x"])

    with pytest.raises(TypeError, match="Strange.backward returned a <U1 gradient"):
        Strange.apply(Tensor([1.0], requires_grad=True)).sum().backward()


def test_float32_gradients_stay_float32_even_if_backward_upcasts() -> None:
    class Upcast(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g.astype(np.float64) * 2

    x = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    y = Upcast.apply(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_custom_function_mixes_with_built_in_ops() -> None:
    x = Tensor([1.5], requires_grad=True)
    y = Square.apply(x.tanh()) * 2.0
    (g,) = grad(y.sum(), x)
    t = np.tanh(1.5)
    np.testing.assert_allclose(g.numpy(), [4 * t * (1 - t**2)])


def test_custom_function_is_differentiable_once() -> None:
    x = Tensor([1.5], requires_grad=True)
    (g,) = grad(Square.apply(x).sum(), x, create_graph=True)
    assert g.item() == 3.0
    assert not g.requires_grad  # its NumPy backward is not recorded


def test_saved_tensors_are_freed_after_backward() -> None:
    x = Tensor([2.0], requires_grad=True)
    y = Square.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.sum().backward()


class _GradOfDtype(Function):
    """Identity whose backward returns the gradient as ``ctx.kind`` (a bool or int array)."""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, (g > 0) if _GradOfDtype.kind == "bool" else g.astype(np.int64)


@pytest.mark.parametrize("kind, dtype", [("bool", "bool"), ("int", "int64")])
def test_backward_returning_a_non_float_gradient_is_a_type_error(kind, dtype) -> None:
    _GradOfDtype.kind = kind
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    with pytest.raises(TypeError, match=rf"_GradOfDtype.backward .*{dtype}.* input 1"):
        _GradOfDtype.apply(a, b).sum().backward()


def test_forward_returning_integers_gives_a_float64_tensor() -> None:
    class Count(Function):
        @staticmethod
        def forward(ctx, a):
            return np.arange(a.size)

        @staticmethod
        def backward(ctx, g):
            return np.zeros(g.shape)

    result = Count.apply(Tensor([5.0, 6.0], requires_grad=True))
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result.data, [0.0, 1.0])


def test_forward_returning_a_bool_array_is_a_type_error() -> None:
    class Positive(Function):
        @staticmethod
        def forward(ctx, a):
            return a > 0

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(TypeError, match=r"Positive.forward returned a bool array as output 0"):
        Positive.apply(Tensor([1.0, -1.0], requires_grad=True))
