"""``autograd-lite graph``: demos and user functions to DOT text or image files."""

from __future__ import annotations

import shutil
import sys
import textwrap

import pytest

from autograd_lite.cli.main import main

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's `dot` program is not installed"
)


def test_demo_without_output_prints_dot(capsys):
    assert main(["graph", "--demo", "222"]) == 0
    source = capsys.readouterr().out
    assert source.startswith("digraph autograd_lite {")
    assert '"w5 | data 0.4 | grad 0.08217"' in source  # backward ran: document 002's dE/dw5


def test_demo_explain_prints_the_documents_factors_first(capsys):
    assert main(["graph", "--demo", "222", "--explain", "w5", "--no-backward"]) == 0
    out = capsys.readouterr().out
    # document 002: 0.74136507 * 0.186815602 * 0.593269992
    assert "d E / d w5 = 0.74136507 * 0.186815602 * 0.593269992" in out
    assert '"w5 | data 0.4 | grad 0"' in out  # --no-backward leaves the grads at 0


@needs_dot
def test_demo_renders_png(tmp_path, capsys):
    target = tmp_path / "graph.png"
    assert main(["graph", "--demo", "mlp", "-o", str(target), "--highlight", "W1"]) == 0
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {target}" in capsys.readouterr().out


def test_user_function_in_a_file(tmp_path, capsys):
    source = tmp_path / "model.py"
    source.write_text(
        textwrap.dedent(
            """
            from autograd_lite import Value

            def loss():
                x = Value(3.0, label="x")
                y = x * x
                y.label = "y"
                return y
            """
        )
    )
    assert main(["graph", f"{source}:loss", "--edge-grads", "--explain", "x"]) == 0
    out = capsys.readouterr().out
    assert "d y / d x = 6" in out
    assert '"x | data 3 | grad 6"' in out
    assert "[label=3 " in out  # the local derivative dy/dx = x on both edges


def test_tensor_explain_with_index(capsys):
    assert main(["graph", "--demo", "mlp", "--explain", "W2", "--index", "1,0"]) == 0
    assert "d loss / d W2[1, 0]" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["graph", "missing.py"], "no such file 'missing.py'"),
        (["graph", "--demo", "222", "--highlight", "zz"], "no value labelled 'zz'"),
        (["graph", "--demo", "222", "-o", "out.gif"], ".png, .svg or .pdf"),
        (["graph", "--demo", "mlp", "--explain", "W1", "--index", "a"], "--index must be"),
    ],
)
def test_errors_are_one_clear_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert_one_error_line(capsys, message)


def assert_one_error_line(capsys, *messages: str) -> None:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("autograd-lite graph: error: ")
    for message in messages:
        assert message in lines[0], lines[0]
    assert "Traceback" not in captured.err and captured.out == ""


def test_function_must_return_a_value_or_tensor(tmp_path, capsys):
    source = tmp_path / "bad.py"
    source.write_text("def build_graph():\n    return 42\n")
    assert main(["graph", str(source)]) == 2
    assert_one_error_line(capsys, "must return a Value or a Tensor")


@pytest.mark.parametrize(
    "code, message",
    [
        ("def build_graph():\n    raise RuntimeError('boom')\n", "RuntimeError: boom (bad.py:2)"),
        ("def build_graph(x, y=1):\n    return x\n", "takes arguments (x); it must take none"),
        ("def build_graph(:\n", "cannot import"),
        ("import no_such_module_here\n", "No module named 'no_such_module_here'"),
    ],
)
def test_a_broken_user_function_exits_2_with_one_line(tmp_path, capsys, code, message):
    source = tmp_path / "bad.py"
    source.write_text(code)
    assert main(["graph", f"{source}:build_graph"]) == 2
    assert_one_error_line(capsys, message)


def test_bad_max_nodes_exits_2(capsys):
    assert main(["graph", "--demo", "222", "--max-nodes", "0"]) == 2
    assert_one_error_line(capsys, "max_nodes must be at least 1")


# ------------------------------------------------------------- exit codes (issue 24, item 4)
def test_output_that_is_a_directory_says_so(tmp_path, capsys):
    # a directory named like a picture: was graphviz's IsADirectoryError traceback, exit 1
    folder = tmp_path / "pictures.png"
    folder.mkdir()
    assert main(["graph", "--demo", "222", "-o", str(folder)]) == 2
    assert_one_error_line(capsys, "is a directory")
    # a directory without a suffix: was "must end in .png, .svg or .pdf, got 'tmp...'"
    assert main(["graph", "--demo", "222", "-o", str(tmp_path)]) == 2
    assert_one_error_line(capsys, "is a directory")


def test_output_under_a_regular_file_exits_2(tmp_path, capsys):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("not a folder")
    assert main(["graph", "--demo", "222", "-o", str(blocker / "graph.png")]) == 2
    assert_one_error_line(capsys, "notes.txt is not a directory")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux's /proc")
def test_output_into_an_unwritable_place_exits_2(capsys):
    # /proc refuses new files even to root: was FileNotFoundError traceback, exit 1
    assert main(["graph", "--demo", "222", "-o", "/proc/autograd_lite_graph.png"]) == 2
    assert_one_error_line(capsys, "cannot write")


def test_sys_exit_in_the_users_file_exits_2(tmp_path, capsys):
    source = tmp_path / "exits.py"
    source.write_text("import sys\nsys.exit(0)\n")
    assert main(["graph", str(source)]) == 2
    assert_one_error_line(capsys, "SystemExit", "exits.py:2")
    source.write_text("import sys\n\n\ndef build_graph():\n    sys.exit(3)\n")
    assert main(["graph", str(source)]) == 2
    assert_one_error_line(capsys, "SystemExit", "exits.py:5")


def test_an_import_error_names_the_users_line_not_the_library_line(tmp_path, capsys):
    source = tmp_path / "bad.py"
    source.write_text("import json\n\njson.loads('{')\n")
    assert main(["graph", str(source)]) == 2
    assert_one_error_line(capsys, "JSONDecodeError", "bad.py:3")


def test_a_write_that_fails_after_the_checks_exits_2(tmp_path, capsys, monkeypatch):
    # e.g. the disk fills up between the check of -o and the rendering
    import autograd_lite.cli.graph as graph_command

    def full_disk(graph, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(graph_command, "render_graph", full_disk)
    assert main(["graph", "--demo", "222", "-o", str(tmp_path / "g.png")]) == 2
    assert_one_error_line(capsys, "cannot write", "OSError", "No space left on device")
