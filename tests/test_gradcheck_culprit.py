"""gradcheck points at what is wrong: the faulty op with its line, kinks, per-output hints.

- A wrong custom backward inside a bigger function is named (``report.culprit``) with the
  file and line of the user's code that applied it, and the error message says so.
- A point at or near a kink of abs / relu / max / maximum is reported as a kink, not as a
  "missing constant factor" or "no gradient reaches it"; a pass exactly at a kink warns.
- Hints are judged per output, so one wholly wrong output is not "only 2 of 8 entries".
- ``--at`` on the command line checks a chosen point.
"""

from __future__ import annotations

import inspect
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

from autograd_lite import (
    Function,
    GradcheckError,
    Tensor,
    Value,
    gradcheck,
    maximum,
    minimum,
)
from autograd_lite.checking.culprit import check_op
from autograd_lite.checking.gradcheck import GradcheckWarning, gradcheck_report
from autograd_lite.cli.main import main
from autograd_lite.ops.nonlinear import Abs
from tests.helpers import Square


class CubeWrong(Function):
    """y = x**3 with the derivative 2 x**2 instead of 3 x**2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2 * x**2 * grad_output


class Raises(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2.0

    @staticmethod
    def backward(ctx, grad_output):
        raise ValueError("forgot this one")


def bigger_function(x, w):
    h = (x @ w).tanh()
    s = Square.apply(h)  # a correct custom Function before the faulty one
    cube = CubeWrong.apply(s + 0.5)
    return (cube * 2.0).sum(axis=0) + x.sum()


CULPRIT_LINE = inspect.getsourcelines(bigger_function)[1] + 3  # the CubeWrong.apply line


def _inputs():
    rng = np.random.default_rng(1)
    x = Tensor(rng.uniform(-1, 1, (3, 2)), requires_grad=True)
    w = Tensor(rng.uniform(-1, 1, (2, 2)), requires_grad=True)
    return x, w


def test_a_wrong_custom_backward_inside_a_bigger_function_is_named_with_its_line() -> None:
    with pytest.raises(GradcheckError) as info:
        gradcheck(bigger_function, _inputs())
    culprit = info.value.report.culprit
    assert culprit is not None
    assert culprit.op == "CubeWrong"
    assert Path(culprit.filename) == Path(__file__)
    assert culprit.lineno == CULPRIT_LINE
    assert "cube = CubeWrong.apply(s + 0.5)" in culprit.created_at
    assert culprit.input == 0 and culprit.analytic != pytest.approx(culprit.numerical)
    message = str(info.value)
    assert f"culprit: CubeWrong (op {culprit.position} of {culprit.n_ops}" in message
    assert f"{Path(__file__).name}:{CULPRIT_LINE}" in message
    # the ops before it (MatMul, Tanh, Square, Add) were judged and passed
    assert culprit.position == 5


def test_no_culprit_when_every_op_is_right_and_the_step_leaves_the_graph() -> None:
    def outside(x):
        return x * Tensor(x.data * 2.0)  # a factor computed outside the graph

    report = gradcheck_report(outside, Tensor([1.0, 2.0], requires_grad=True))
    assert not report.passed and report.culprit is None
    assert any("outside the recorded graph" in hint for hint in report.hints)


def test_a_backward_that_raises_is_the_culprit() -> None:
    def f(x):
        return Raises.apply(x.exp()).sum()

    report = gradcheck_report(f, Tensor([0.5, 1.0], requires_grad=True))
    assert report.culprit is not None and report.culprit.op == "Raises"
    assert "raised ValueError: forgot this one" in str(report.culprit)


def test_passing_checks_have_no_culprit_and_the_callers_graph_mode_is_untouched() -> None:
    x, w = _inputs()
    assert gradcheck(lambda a, b: (a @ b).tanh().sum(axis=1), (x, w))
    assert x.grad is None and w.grad is None


def test_check_op_judges_one_op_alone() -> None:
    rng = np.random.default_rng(0)
    x = np.array([0.5, -1.5, 2.0])
    assert check_op(Square, (x,), {}, (True,), 1e-6, 1e-5, 1e-3, rng) is None
    verdict = check_op(CubeWrong, (x,), {}, (True,), 1e-6, 1e-5, 1e-3, rng)
    assert isinstance(verdict, tuple) and verdict[0] == 0
    at_kink = check_op(Abs, (np.array([0.0, 1.0]),), {}, (True,), 1e-6, 1e-5, 1e-3, rng)
    assert at_kink == "not judged: an input sits at its kink"


# ------------------------------------------------------------------------------- kinks
def test_abs_near_zero_is_a_kink_not_a_missing_factor() -> None:
    report = gradcheck_report(lambda t: t.abs(), Tensor([1e-7, 1.0], requires_grad=True))
    assert not report.passed
    text = report.format()
    assert "constant factor" not in text
    assert "crosses a kink" in text and "Abs" in text and "1e-07 from the kink" in text
    [note] = report.kinks
    assert note.op == "Abs" and note.crossed == ((0, (0,)),)
    assert report.culprit is None  # a kink is not a bug of Abs


def test_relu_of_value_zero_is_a_kink_not_a_missing_gradient() -> None:
    report = gradcheck_report(lambda v: v.relu() * 3.0, Value(0.0))
    assert not report.passed
    text = report.format()
    assert "no gradient reaches it" not in text
    assert "ReLU has an input exactly at the kink" in text


def test_abs_exactly_at_zero_passes_with_a_warning() -> None:
    with pytest.warns(GradcheckWarning, match="exactly at the kink"):
        assert gradcheck(lambda t: t.abs(), (Tensor([0.0, 2.0], requires_grad=True),))
    report = gradcheck_report(lambda t: t.abs(), Tensor([0.0, 2.0], requires_grad=True))
    assert report.passed and "note: Abs" in report.format()  # the report only notes it


def test_away_from_kinks_nothing_is_said() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = gradcheck_report(lambda t: t.abs().relu(), Tensor([0.5, -2.0], requires_grad=True))
    assert report.passed and report.kinks == [] and "note" not in report.format()


@pytest.mark.parametrize(
    ("fn", "data", "op"),
    [
        (lambda t: t.max(), [1.0, 1.0 + 1e-7, -3.0], "Max"),
        (lambda t: maximum(t[:2], t[2:]), [1.0, 2.0, 1.0 + 5e-7, 0.0], "Maximum"),
        (lambda t: (t * 100.0).relu(), [1e-7, 1.0], "ReLU"),  # crossed only after scaling
    ],
)
def test_ties_and_scaled_kinks_are_found(fn, data, op) -> None:
    report = gradcheck_report(fn, Tensor(data, requires_grad=True))
    assert not report.passed
    assert [note.op for note in report.kinks if note.crossed] == [op]
    assert any("crosses a kink" in hint for hint in report.hints)


@pytest.mark.parametrize(
    ("fn", "data", "op"),
    [
        (lambda t: t.clip(0.0, 1.0), [0.0, 0.5, 2.0], "Clip"),  # bounds count as inside
        (lambda t: t.min(), [1.0, 1.0 + 1e-7, 3.0], "Min"),
        (lambda t: minimum(t[:2], t[2:]), [1.0, 2.0, 1.0 + 1e-7, 5.0], "Minimum"),
        (lambda t: t.floor() + t, [1.9999999, 0.5], "Floor"),
        (lambda t: t.round() + t, [0.4999999, 0.2], "Round"),
        (lambda t: t.sign() + t, [1e-7, 0.5], "Sign"),
    ],
)
def test_kinks_of_clip_min_minimum_and_jumps_of_floor_round_sign(fn, data, op) -> None:
    report = gradcheck_report(fn, Tensor(data, requires_grad=True))
    assert not report.passed
    assert [note.op for note in report.kinks if note.crossed] == [op]
    assert report.culprit is None  # at a kink an op is not judged


# ------------------------------------------------------------------------- per-output hints
class FirstOutputNegated(Function):
    """(2a, 3a) with the gradient of the first output negated."""

    @staticmethod
    def forward(ctx, a):
        return a * 2.0, a * 3.0

    @staticmethod
    def backward(ctx, grad_first, grad_second):
        return -2.0 * grad_first + 3.0 * grad_second


def test_hints_are_judged_per_output() -> None:
    report = gradcheck_report(FirstOutputNegated.apply, Tensor([1.0, 2.0], requires_grad=True))
    text = report.format()
    assert "only 2 of 8 entries" not in text
    assert "input 0, output 0: analytic = -numerical everywhere (a sign error?)" in text
    assert "output 1" not in "\n".join(report.hints)


# ------------------------------------------------------------------------------- the CLI
FUNCTIONS = textwrap.dedent(
    """
    def absolute(x):
        return x.abs()


    def product_relu(a, b):
        return (a * b).relu()
    """
)


@pytest.fixture
def functions_file(tmp_path: Path) -> str:
    path = tmp_path / "kinky.py"
    path.write_text(FUNCTIONS)
    return str(path)


def test_cli_at_checks_the_chosen_point(functions_file, capsys) -> None:
    assert (
        main(["gradcheck", f"{functions_file}:absolute", "--shapes", "3", "--at", "0.5,-1,2"]) == 0
    )
    assert "at 0.5,-1,2" in capsys.readouterr().out
    assert (
        main(["gradcheck", f"{functions_file}:absolute", "--shapes", "3", "--at", "0.5,-1,1e-7"])
        == 1
    )
    out = capsys.readouterr().out
    assert "crosses a kink" in out and "kinky.py:3" in out


def test_cli_at_takes_one_list_for_all_inputs_or_one_per_input(functions_file, capsys) -> None:
    target = f"{functions_file}:product_relu"
    assert main(["gradcheck", target, "--shapes", "2", "2", "--at=-1,2,3,4"]) == 0
    assert main(["gradcheck", target, "--shapes", "2", "2", "--at", "1,2", "3,4"]) == 0
    assert main(["gradcheck", target, "--values", "2", "--at", "1,0"]) == 1
    assert "ReLU has an input exactly at the kink" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("at", "message"),
    [
        (["1,2", "3"], "input 1 has 2 entries but got 1 numbers"),
        (["1,2,3"], "got 3 number(s) for 2 inputs with 4 entries"),
        (["1,x"], "expected comma-separated numbers"),
    ],
)
def test_cli_at_rejects_what_does_not_fit(functions_file, capsys, at, message) -> None:
    target = f"{functions_file}:product_relu"
    assert main(["gradcheck", target, "--shapes", "2", "2", "--at", *at]) == 2
    assert message in capsys.readouterr().err
