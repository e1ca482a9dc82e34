"""``autograd-lite graph``: demos and user functions to DOT text or image files."""

from __future__ import annotations

import shutil
import textwrap

import pytest

from autograd_lite.cli import main

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
    assert main(argv) == 1
    assert message in capsys.readouterr().err


def test_function_must_return_a_value_or_tensor(tmp_path, capsys):
    source = tmp_path / "bad.py"
    source.write_text("def build_graph():\n    return 42\n")
    assert main(["graph", str(source)]) == 1
    assert "must return a Value or a Tensor" in capsys.readouterr().err
