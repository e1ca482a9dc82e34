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


# ------------------------------------------------------------- exit codes (issue 24, item 4)
# 0 agree, 1 disagree, 2 could not run; "could not run" is always one line on stderr.
def _one_error_line(capsys: pytest.CaptureFixture, *parts: str) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("autograd-lite gradcheck: error: "), lines[0]
    assert "Traceback" not in captured.err and "passed" not in captured.out
    for part in parts:
        assert part in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("code", ["0", "None", "'bye'"])
def test_sys_exit_at_import_exits_2_naming_the_line(tmp_path: Path, capsys, code: str) -> None:
    # was exit 0 with nothing printed: the SystemExit went through as the command's own
    source = tmp_path / "exits.py"
    source.write_text(f"import sys\n\nsys.exit({code})\n\n\ndef f(x):\n    return x\n")
    assert main(["gradcheck", f"{source}:f", "--shapes", "3"]) == 2
    _one_error_line(capsys, "cannot import", "SystemExit", "exits.py:3")


def test_sys_exit_inside_the_function_exits_2_naming_the_line(tmp_path: Path, capsys) -> None:
    source = tmp_path / "exits.py"
    source.write_text("import sys\n\n\ndef f(x):\n    sys.exit(0)\n")
    assert main(["gradcheck", f"{source}:f", "--shapes", "3"]) == 2
    _one_error_line(capsys, "could not run", "SystemExit", "exits.py:5")


@pytest.mark.parametrize(
    "code, parts",
    [
        ("x = 1\ny = 1 / 0\n", ["ZeroDivisionError: division by zero", "bad.py:2"]),
        ("def f(x:\n", ["SyntaxError", "bad.py:1"]),
        # raised inside the json module: the line named is the user's, not json's
        ("import json\n\n\njson.loads('{')\n", ["JSONDecodeError", "bad.py:4"]),
        (
            "import no_such_module_here\n",
            ["ModuleNotFoundError", "no_such_module_here", "bad.py:1"],
        ),
    ],
)
def test_import_errors_name_the_type_and_the_users_line(tmp_path: Path, capsys, code, parts):
    source = tmp_path / "bad.py"
    source.write_text(code)
    assert main(["gradcheck", f"{source}:f", "--shapes", "3"]) == 2
    _one_error_line(capsys, "cannot import", *parts)


def test_an_error_inside_the_engine_names_the_users_line(module_file: str, capsys) -> None:
    # affine_tanh's x @ w fails inside the matmul op: the line named is my_functions.py's
    assert main(["gradcheck", f"{module_file}:affine_tanh", "--shapes", "3,4", "5"]) == 2
    _one_error_line(capsys, "ShapeError", "my_functions.py:6")


@pytest.mark.parametrize(
    "arguments, parts",
    [
        (["--seed", "-1"], ["--seed must be a non-negative integer, got -1"]),
        (["--range", "0", "inf"], ["--range needs finite LOW and HIGH", "0.0 inf"]),
        (["--range", "inf", "inf"], ["--range needs finite LOW and HIGH"]),
        (["--range", "nan", "1"], ["--range needs finite LOW and HIGH"]),
        (["--range", "2", "1"], ["--range needs LOW < HIGH, got 2.0 1.0"]),
        # -1e308 as argparse takes a negative number (digits only), then 1e308: HIGH - LOW
        # overflows, which NumPy's uniform refused with an OverflowError traceback
        (["--range", "-1" + "0" * 308, "1e308"], ["--range", "too wide"]),
    ],
)
def test_bad_seed_and_range_exit_2_with_one_line(module_file: str, capsys, arguments, parts):
    # --seed -1 and --range 0 inf were a NumPy traceback and exit 1 ("disagree")
    assert main(["gradcheck", f"{module_file}:log_of", "--shapes", "3", *arguments]) == 2
    _one_error_line(capsys, *parts)


@pytest.mark.parametrize(
    "arguments, parts",
    [
        (["--shapes", "100000,100000"], ["10000000000 input elements", "at most 100000"]),
        (["--shapes", "60000", "50000"], ["110000 input elements"]),
        (["--values", "200000"], ["200000 input elements"]),
    ],
)
def test_huge_inputs_exit_2_with_one_line(module_file: str, capsys, arguments, parts) -> None:
    # 100000,100000 was a 74.5 GiB allocation: MemoryError traceback, exit 1
    assert main(["gradcheck", f"{module_file}:log_of", *arguments]) == 2
    _one_error_line(capsys, *parts)


def test_memory_error_inside_the_function_exits_2(tmp_path: Path, capsys) -> None:
    source = tmp_path / "greedy.py"
    source.write_text("def f(x):\n    raise MemoryError('no room')\n")
    assert main(["gradcheck", f"{source}:f", "--shapes", "3"]) == 2
    _one_error_line(capsys, "MemoryError: no room", "greedy.py:2")


def test_the_console_process_exits_2_when_the_file_calls_sys_exit(tmp_path: Path) -> None:
    # end to end, as a user runs it: the process status, not main()'s return value
    import subprocess
    import sys

    source = tmp_path / "exits.py"
    source.write_text("import sys\nsys.exit(0)\n")
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-m", "autograd_lite", "gradcheck", f"{source}:f", "--shapes", "3"],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
    )
    assert result.returncode == 2, result
    assert result.stderr.count("\n") == 1 and "SystemExit" in result.stderr
