"""Tests of the checker itself: correct Functions pass, each kind of wrong backward fails.

Each broken backward must fail with a table that names the right input and element and
shows the analytic and the numerical value.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from autograd_lite import Function, GradcheckError, Tensor, Value, gradcheck, gradgradcheck
from autograd_lite.checking.gradcheck import MAX_TABLE_ROWS, GradcheckWarning
from tests.helpers import Square

WEIGHTS = np.array([[1.0, 2.0], [3.0, 4.0]])  # not symmetric, so a transpose shows


class SquareWrongSign(Square):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return -2 * x * grad_output


class SquareWrongFactor(Square):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return x * grad_output  # forgot the 2


class SquareWrongAtOneElement(Square):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        grad_x = 2 * x * grad_output
        grad_x[1] *= 3.0  # a special case gone wrong
        return grad_x


class ScaleByWeights(Function):
    """y = x * W elementwise for a fixed 2x2 W;  dy/dx = W"""

    @staticmethod
    def forward(ctx, x):
        return x * WEIGHTS

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * WEIGHTS


class ScaleByWeightsTransposed(ScaleByWeights):
    @staticmethod
    def backward(ctx, grad_output):
        return (grad_output * WEIGHTS).T


class AddBias(Function):
    """y = x + b with b broadcast over rows; the engine sums the gradient down to b's shape."""

    @staticmethod
    def forward(ctx, x, b):
        return x + b

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, grad_output


class AddBiasMissingReduction(AddBias):
    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, grad_output[:1]  # keeps row 0 instead of summing over rows


class SumAndProduct(Function):
    """Two outputs: (a + b, a * b)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a + b, a * b

    @staticmethod
    def backward(ctx, grad_sum, grad_product):
        a, b = ctx.saved_tensors
        return grad_sum + grad_product * b, grad_sum + grad_product * a


class SumAndProductWrongSecond(SumAndProduct):
    @staticmethod
    def backward(ctx, grad_sum, grad_product):
        a, b = ctx.saved_tensors
        return grad_sum + grad_product * a, grad_sum + grad_product * a  # d(ab)/da is b


class SquaresGradOutput(Square):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2 * x * grad_output**2  # right for one-hot seeds, wrong in general


class WrongShape(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2.0

    @staticmethod
    def backward(ctx, grad_output):
        return np.ones(5)


class WrongDtype(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2.0

    @staticmethod
    def backward(ctx, grad_output):
        return np.array(["two"] * grad_output.size)


def _error(fn, inputs, **kwargs) -> GradcheckError:
    with pytest.raises(GradcheckError) as info:
        gradcheck(fn, inputs, **kwargs)
    return info.value


def _rows(error: GradcheckError) -> list[list[str]]:
    """The table body, split into cells."""
    lines = str(error).splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:1] == ["input"])
    return [line.split() for line in lines[start + 1 :] if line.startswith("    ")]


# ------------------------------------------------------------------- correct functions pass


def test_correct_custom_function_passes() -> None:
    x = Tensor([[0.5, -1.5, 2.0], [1.0, 0.3, -0.7]], requires_grad=True)
    assert gradcheck(Square.apply, (x,))


def test_broadcasting_function_passes_because_the_engine_reduces() -> None:
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = Tensor([[0.1, 0.2, 0.3]], requires_grad=True)
    assert gradcheck(AddBias.apply, (x, b))


def test_tuple_outputs_pass() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, -1.0], requires_grad=True)
    assert gradcheck(SumAndProduct.apply, (a, b))
    assert gradcheck(lambda p, q: ((p * q).sum(), p.exp(), q * 2.0), (a, b))


def test_value_functions_pass() -> None:
    a, b = Value(0.7, label="a"), Value(-1.3)
    assert gradcheck(lambda p, q: (p * q + p.tanh()) / (q.exp() + 1.0), (a, b))
    assert gradcheck(lambda p, q: (p.sigmoid(), p**2, q.relu() * p), [a, b])
    assert gradcheck(lambda p: p.log(), Value(2.0))


def test_only_inputs_requiring_grad_are_checked() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    constant = Tensor([3.0, 4.0])  # a wrong gradient for it would not matter
    assert gradcheck(lambda p, c, scale: p * c * scale, (x, constant, 2.0))
    with pytest.raises(ValueError, match="no input to check"):
        gradcheck(lambda c: c * 2.0, (constant,))


def test_callers_inputs_are_not_touched_and_float32_is_promoted_with_a_warning() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True, dtype=np.float32)
    with pytest.warns(GradcheckWarning, match="float32"):
        assert gradcheck(lambda t: t.exp(), (x,))
    assert x.dtype == np.float32 and x.grad is None
    np.testing.assert_array_equal(x.numpy(), np.array([1.0, 2.0], dtype=np.float32))


def test_float64_inputs_give_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(lambda t: t.tanh(), (Tensor([0.1, 0.2], requires_grad=True),))


# ------------------------------------------------------------------- wrong backwards fail


def test_wrong_sign_fails_naming_every_element() -> None:
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    error = _error(SquareWrongSign.apply, (x,))
    rows = _rows(error)
    # worst first: element 2 has |analytic - numerical| = |-6 - 6| = 12
    assert rows[0][:6] == ["0", "(2,)", "0", "(2,)", "-6", "6"]
    assert {tuple(row[:2]) for row in rows} == {("0", "(0,)"), ("0", "(1,)"), ("0", "(2,)")}
    assert "3 of 9 entries differ" in str(error)
    assert "sign error" in str(error)
    assert error.report.mismatches[0].analytic == pytest.approx(-6.0)
    assert error.report.mismatches[0].numerical == pytest.approx(6.0)


def test_wrong_factor_fails_and_names_the_factor() -> None:
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    error = _error(SquareWrongFactor.apply, (x,))
    assert _rows(error)[0][:6] == ["0", "(1,", "1)", "0", "(1,", "1)"]
    worst = error.report.mismatches[0]
    assert worst.input_index == (1, 1) and worst.output_index == (1, 1)
    assert worst.analytic == pytest.approx(4.0) and worst.numerical == pytest.approx(8.0)
    assert "analytic = 0.5 * numerical" in str(error)


def test_transposed_gradient_fails_at_the_off_diagonal_elements() -> None:
    x = Tensor([[0.5, 1.0], [1.5, 2.0]], requires_grad=True)
    error = _error(ScaleByWeightsTransposed.apply, (x,))
    wrong_inputs = {row.input_index for row in error.report.mismatches}
    assert wrong_inputs == {(0, 1), (1, 0)}
    # d y[1,0] / d x[1,0] = W[1,0] = 3, but the transposed rule puts it at x[0,1]
    entry = next(
        row
        for row in error.report.mismatches
        if row.input_index == (1, 0) and row.output_index == (1, 0)
    )
    assert entry.analytic == pytest.approx(0.0) and entry.numerical == pytest.approx(3.0)
    assert "transposed" in str(error)


def test_missing_broadcast_reduction_fails_on_the_bias_only() -> None:
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = Tensor([[0.1, 0.2, 0.3]], requires_grad=True)
    b.label = "b"
    error = _error(AddBiasMissingReduction.apply, (x, b))
    assert {row.input_position for row in error.report.mismatches} == {1}
    # row 1 of the output never reaches b: d out[1, j] / d b[0, j] = 1 is missing
    assert {(row.input_index, row.output_index) for row in error.report.mismatches} == {
        ((0, j), (1, j)) for j in range(3)
    }
    assert all(row[:2] == ["1", "(b)"] for row in _rows(error))
    assert "3 of 54 entries differ" in str(error)  # 6x6 for x plus 6x3 for b


def test_wrong_for_one_element_only() -> None:
    x = Tensor([0.5, 1.25, -2.0, 3.0], requires_grad=True)
    error = _error(SquareWrongAtOneElement.apply, (x,))
    assert len(error.report.mismatches) == 1
    assert _rows(error) == [["0", "(1,)", "0", "(1,)", "7.5", "2.5", "5.00e+00", "2.00e+00"]]
    assert "only 1 of 16 entries are wrong" in str(error)


def test_wrong_second_output_names_that_output() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, -1.0], requires_grad=True)
    error = _error(SumAndProductWrongSecond.apply, (a, b))
    assert {(row.input_position, row.output_name) for row in error.report.mismatches} == {(0, "1")}


def test_rule_that_misuses_grad_output_is_caught_by_the_random_upstream() -> None:
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    error = _error(SquaresGradOutput.apply, (x,))
    assert {row.output_name for row in error.report.mismatches} == {"random upstream"}
    assert "grad_output linearly" in str(error)


def test_value_function_with_a_step_outside_the_graph_fails() -> None:
    a = Value(1.5, label="a")
    error = _error(lambda p: Value(p.data * 2.0) + p, (a,))
    [row] = error.report.mismatches
    assert row.input_name == "0 (a)"
    assert row.analytic == pytest.approx(1.0) and row.numerical == pytest.approx(3.0)


def test_wrong_shape_backward_is_reported() -> None:
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    error = _error(WrongShape.apply, (x,))
    assert "backward raised RuntimeError" in str(error)
    assert "(5,)" in str(error) and "(2, 3)" in str(error)


def test_wrong_dtype_backward_is_reported() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    error = _error(WrongDtype.apply, (x,))
    assert "backward raised TypeError" in str(error)
    assert "expected a floating-point array" in str(error)


def test_non_deterministic_function_is_reported() -> None:
    rng = np.random.default_rng(0)
    x = Tensor([1.0, 2.0], requires_grad=True)
    error = _error(lambda t: t * rng.random(), (x,))
    assert "not deterministic" in str(error)
    assert not error.report.mismatches


def test_raise_exception_false_returns_false() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert gradcheck(SquareWrongSign.apply, (x,), raise_exception=False) is False
    assert gradcheck(Square.apply, (x,), raise_exception=False) is True


def test_table_is_at_most_a_screenful_and_counts_every_failure() -> None:
    x = Tensor(np.linspace(0.5, 3.0, 30), requires_grad=True)
    error = _error(SquareWrongSign.apply, (x,))
    assert len(_rows(error)) == MAX_TABLE_ROWS
    assert "30 of 900 entries differ" in str(error)
    assert f"and {30 - MAX_TABLE_ROWS} more failing entries not shown" in str(error)
    errors = [row.abs_error for row in error.report.mismatches]
    assert errors == sorted(errors, reverse=True)


def test_tolerances_are_applied() -> None:
    # analytic 4.01 vs numerical 4.0: |error| 1e-2 > atol + rtol * 4 = 4.01e-3 by default
    class SlightlyOff(Square):
        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return (2 * x + 1e-2) * grad_output

    x = Tensor([2.0], requires_grad=True)
    assert not gradcheck(SlightlyOff.apply, (x,), raise_exception=False)
    assert gradcheck(SlightlyOff.apply, (x,), atol=2e-2)


def test_mixed_or_wrong_inputs_raise_type_error() -> None:
    with pytest.raises(TypeError, match="mix Tensors and Values"):
        gradcheck(lambda a, b: a, (Tensor([1.0], requires_grad=True), Value(1.0)))
    with pytest.raises(TypeError, match="must return Tensors"):
        gradcheck(lambda a: 1.0, (Tensor([1.0], requires_grad=True),))


# ------------------------------------------------------------------- gradgradcheck


def test_gradgradcheck_passes_for_built_in_ops() -> None:
    x = Tensor([[0.5, -1.0], [1.5, 0.2]], requires_grad=True)
    y = Tensor([[0.3, 0.8], [-0.4, 1.1]], requires_grad=True)
    assert gradgradcheck(lambda a, b: (a @ b).tanh() * a.exp(), (x, y))
    assert gradgradcheck(lambda a: (a.sigmoid(), (a**3).sum()), (x,))


def test_gradgradcheck_fails_for_a_custom_function_and_says_why() -> None:
    x = Tensor([0.5, 1.5], requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(Square.apply, (x,))
    message = str(info.value)
    assert "gradgradcheck failed" in message
    assert "d/d input 0" in message
    assert "differentiable once" in message
    # d/dx (2 x u) = 2 u, here with the default random u; analytic is 0
    assert all(row.analytic == 0.0 for row in info.value.report.mismatches)


def test_gradgradcheck_rejects_values_and_bad_grad_outputs() -> None:
    with pytest.raises(TypeError, match="differentiable once"):
        gradgradcheck(lambda a: a * a, (Value(1.0),))
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="shape"):
        gradgradcheck(lambda a: a * a, (x,), np.ones(3))


# ------------------------------------------------------------------- settings


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck])
@pytest.mark.parametrize(
    "settings, error, message",
    [
        (dict(eps=0.0), ValueError, r"eps must be a positive finite number, got 0\.0"),
        (dict(eps=-1.0), ValueError, r"eps must be a positive finite number, got -1\.0"),
        (dict(eps=float("nan")), ValueError, "eps must be a positive finite number"),
        (dict(eps="a"), TypeError, "eps must be a real number, got str"),
        (dict(atol=-1.0), ValueError, r"atol must be a finite number >= 0, got -1\.0"),
        (dict(rtol=-0.5), ValueError, r"rtol must be a finite number >= 0, got -0\.5"),
        (dict(atol=None), TypeError, "atol must be a real number, got NoneType"),
        (dict(rtol=True), TypeError, "rtol must be a real number, got bool"),
    ],
)
def test_bad_settings_are_rejected_by_name(check, settings, error, message) -> None:
    x = Tensor([0.5, 1.5], requires_grad=True)
    with pytest.raises(error, match=f"{check.__name__}: {message}"):
        check(lambda a: a * a, (x,), **settings)


def test_integer_settings_are_accepted() -> None:
    x = Tensor([0.5, 1.5], requires_grad=True)
    assert gradcheck(lambda a: a * a, (x,), atol=0, rtol=np.float64(1e-3))
