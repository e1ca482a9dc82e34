"""The ``autograd-lite gradcheck`` subcommand, run in-process on small files in tmp_path."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from autograd_lite.cli.main import main

FUNCTIONS = textwrap.dedent(
    """
    from autograd_lite import Function


    def affine_tanh(x, w):
        return (x @ w).tanh()


    def two_outputs(x):
        return x.sum(axis=0), x.exp()


    def scalar_chain(a, b):
        return (a * b).sigmoid() + a.exp()


    def log_of(x):
        return x.log()


    class HalfSquare(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return x * grad_output  # wrong: d(x*x)/dx = 2x


    def broken(x):
        return HalfSquare.apply(x)


    def crashes(x):
        raise RuntimeError("boom")


    NOT_A_FUNCTION = 3
    """
)


@pytest.fixture
def module_file(tmp_path: Path) -> str:
    path = tmp_path / "my_functions.py"
    path.write_text(FUNCTIONS)
    return str(path)


def test_passing_function_exits_0(module_file: str, capsys: pytest.CaptureFixture) -> None:
    code = main(["gradcheck", f"{module_file}:affine_tanh", "--shapes", "3,4", "4,2"])
    out = capsys.readouterr().out
    assert code == 0
    assert "gradcheck passed" in out and "(3, 4), (4, 2)" in out


def test_tuple_outputs_scalars_and_gradgrad_pass(module_file: str) -> None:
    assert main(["gradcheck", f"{module_file}:two_outputs", "--shapes", "2,3"]) == 0
    assert main(["gradcheck", f"{module_file}:two_outputs", "--shapes", "scalar"]) == 0
    assert main(["gradcheck", f"{module_file}:scalar_chain", "--values", "2"]) == 0
    assert (
        main(["gradcheck", f"{module_file}:affine_tanh", "--shapes", "2,3", "3", "--gradgrad"]) == 0
    )


def test_range_keeps_inputs_in_the_domain(module_file: str, capsys) -> None:
    # log on [-1, 1) produces nan at negative inputs: the check fails; on [0.5, 2) it passes
    assert main(["gradcheck", f"{module_file}:log_of", "--shapes", "4"]) == 1
    assert main(["gradcheck", f"{module_file}:log_of", "--shapes", "4", "--range", "0.5", "2"]) == 0


def test_wrong_gradient_exits_1_and_prints_the_table(module_file: str, capsys) -> None:
    code = main(["gradcheck", f"{module_file}:broken", "--shapes", "3", "--seed", "1"])
    out = capsys.readouterr().out
    assert code == 1
    assert "gradcheck failed" in out
    assert "3 of 9 entries differ" in out
    assert "analytic" in out and "numerical" in out
    assert "0.5 * numerical" in out


def test_gradgrad_of_a_custom_function_fails(module_file: str, capsys) -> None:
    code = main(["gradcheck", f"{module_file}:broken", "--shapes", "2", "--gradgrad"])
    assert code == 1
    assert "gradgradcheck failed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "target, message",
    [
        ("{dir}/missing.py:f", "no such file"),
        ("{file}:nope", "defines no function 'nope'"),
        ("{file}:NOT_A_FUNCTION", "is not callable"),
        ("{file}", "expected FILE.py:FUNCTION"),
        ("{file}:crashes", "RuntimeError: boom"),
    ],
)
def test_usage_errors_exit_2(module_file: str, capsys, target: str, message: str) -> None:
    target = target.format(file=module_file, dir=str(Path(module_file).parent))
    code = main(["gradcheck", target, "--shapes", "3"])
    assert code == 2
    assert message in capsys.readouterr().err


def test_shape_mismatch_inside_the_function_exits_2(module_file: str, capsys) -> None:
    assert main(["gradcheck", f"{module_file}:affine_tanh", "--shapes", "3,4", "5"]) == 2
    assert "matmul" in capsys.readouterr().err


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--eps", "0"], "error: --eps must be a positive finite number, got 0.0"),
        (["--eps", "-1"], "error: --eps must be a positive finite number, got -1.0"),
        (["--atol", "-1"], "error: --atol must be a finite number >= 0, got -1.0"),
        (["--rtol", "-1", "--gradgrad"], "error: --rtol must be a finite number >= 0, got -1.0"),
    ],
)
def test_bad_tolerances_exit_2_with_one_line(module_file: str, capsys, arguments, message) -> None:
    assert main(["gradcheck", f"{module_file}:log_of", "--shapes", "3", *arguments]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and len(captured.err.strip().splitlines()) == 1
    assert "failed" not in captured.out


@pytest.mark.parametrize(
    "arguments",
    [
        ["--shapes", "3,x"],  # not a shape
        [],  # neither --shapes nor --values
        ["--shapes", "3", "--values", "2"],  # both
    ],
)
def test_argument_errors_exit_2(module_file: str, arguments: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["gradcheck", f"{module_file}:log_of", *arguments])
    assert info.value.code == 2


def test_help_documents_the_syntax(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["gradcheck", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "FILE.py:FUNCTION" in text and "--shapes" in text and "Exit status" in text
