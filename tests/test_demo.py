"""The main demo (``autograd-lite demo``): the document's numbers beside the engine's."""

from __future__ import annotations

import shutil

import pytest

from autograd_lite.cli.main import main


def test_demo_prints_document_numbers_explain_and_writes_picture(tmp_path, capsys):
    picture = tmp_path / "graph.png"
    assert main(["demo", "--epochs", "20", "--picture", str(picture)]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.rstrip().endswith(("ok", "differs"))]
    # 9 forward values, 5 derivatives, 8 updated weights, the error after one update
    assert len(rows) == 23
    # Only the document's loosely rounded "error after one update" differs (document 002).
    differing = [line for line in rows if line.rstrip().endswith("differs")]
    assert len(differing) == 1 and "E after one update" in differing[0]
    assert "d out_o1 / d net_o1 = out_o1 * (1 - out_o1) = 0.186815602" in out
    if shutil.which("dot"):
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert "No picture written" in out


@pytest.mark.parametrize("threshold", [0.2])
def test_demo_stops_at_the_error_threshold(threshold, capsys):
    assert main(["demo", "--threshold", str(threshold), "--picture", ""]) == 0
    out = capsys.readouterr().out
    final = float(out.strip().splitlines()[-1].split(":")[-1])
    assert final < threshold
    assert "after 10000 updates" not in out
    assert f"until E < {threshold:g}" in out


def test_demo_without_threshold_says_it_runs_a_fixed_number_of_updates(capsys):
    assert main(["demo", "--epochs", "20", "--picture", ""]) == 0
    out = capsys.readouterr().out
    assert "Training: for up to 20 updates" in out
    assert "until E <" not in out
    assert "error after 20 updates" in out


def test_version_flag_prints_the_package_version(capsys):
    import importlib.metadata

    import autograd_lite

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    printed = capsys.readouterr().out.strip()
    assert printed == f"autograd-lite {autograd_lite.__version__}"
    # one definition: the installed metadata reads the same _version.py
    assert autograd_lite.__version__ == importlib.metadata.version("autograd_lite")


def test_every_gradient_in_the_demo_picture_is_the_engines_gradient_of_e(tmp_path, monkeypatch):
    """The demo runs backward from several roots first; its picture must still show the
    gradients of E alone (issue 21: unnamed nodes showed the sums of earlier passes)."""
    import re

    import autograd_lite.cli.demo as demo
    from autograd_lite.documents import NETWORK_222_START, network_222
    from autograd_lite.scalar.walk import values_below
    from autograd_lite.viz.layout import dot_names

    drawn = []
    monkeypatch.setattr(demo, "render_graph", lambda graph, path: drawn.append(graph) or path)
    assert main(["demo", "--epochs", "2", "--picture", str(tmp_path / "graph.png")]) == 0
    (graph,) = drawn
    printed = dict(re.findall(r"^\t(v\d+) \[label=\".*\| grad ([^ \"|]+)\"", graph.source, re.M))

    fresh = network_222(dict(NETWORK_222_START))
    fresh.error.backward()
    names = dot_names(fresh.error)
    values = {names[id(value)]: value for value in values_below(fresh.error)}
    assert len(printed) == len(values) > 30  # every Value of the graph shows a gradient
    wrong = {
        name: (text, f"{values[name].grad:.4g}")
        for name, text in printed.items()
        if text != f"{values[name].grad:.4g}"
    }
    assert not wrong, f"picture gradient != engine's dE/dvalue: {wrong}"


# ------------------------------------------------------------- exit codes (issue 24, item 4)
def _refused(capsys, *parts: str) -> None:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("autograd-lite demo: error: "), lines[0]
    for part in parts:
        assert part in lines[0], lines[0]
    assert captured.out == ""  # checked before anything is computed or printed


@pytest.mark.parametrize(
    "arguments, parts",
    [
        (["--epochs", "-5"], ["--epochs must be a positive integer, got -5"]),
        (["--epochs", "0"], ["--epochs must be a positive integer, got 0"]),
        (["--lr", "nan"], ["--lr must be a positive finite number, got nan"]),
        (["--lr", "-1"], ["--lr must be a positive finite number, got -1.0"]),
        (["--lr", "inf"], ["--lr must be a positive finite number, got inf"]),
        (["--lr", "0"], ["--lr must be a positive finite number, got 0.0"]),
        (["--threshold", "nan"], ["--threshold must be a number, got nan"]),
    ],
)
def test_demo_refuses_bad_settings(capsys, arguments, parts) -> None:
    # --epochs -5, --lr nan and --lr -1 ran and exited 0
    assert main(["demo", "--picture", "", *arguments]) == 2
    _refused(capsys, *parts)


def test_demo_checks_the_picture_path_before_anything_runs(tmp_path, capsys) -> None:
    # was a traceback (exit 1) after the forward and backward passes were printed
    assert main(["demo", "--epochs", "3", "--picture", str(tmp_path / "x.jpg")]) == 2
    _refused(capsys, "--picture", ".png, .svg or .pdf", "x.jpg")
    assert main(["demo", "--epochs", "3", "--picture", str(tmp_path)]) == 2
    _refused(capsys, "--picture", "is a directory")
    blocker = tmp_path / "notes.txt"
    blocker.write_text("not a folder")
    assert main(["demo", "--epochs", "3", "--picture", str(blocker / "g.png")]) == 2
    _refused(capsys, "notes.txt is not a directory")


def test_an_unexpected_failure_is_exit_2_with_one_line_not_a_traceback(capsys, monkeypatch):
    # exit 1 means "gradients disagree"; a crash must not be mistaken for it
    import autograd_lite.cli.demo as demo_command

    def broken(numbers):
        raise RuntimeError("internal failure")

    monkeypatch.setattr(demo_command, "network_222", broken)
    assert main(["demo", "--picture", ""]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("autograd-lite demo: error: RuntimeError: internal failure")
    assert "test_demo.py:" in lines[0]  # where it was raised
