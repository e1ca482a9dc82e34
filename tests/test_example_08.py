"""examples/08_render_graph.py runs, explains w5 as document 002 does, and writes a PNG."""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, load_example


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` is not installed")
def test_example_08_writes_a_valid_png(tmp_path, capsys):
    module = load_example("08_render_graph.py")
    written = Path(module.main(str(tmp_path / "graph.png")))
    data = written.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > 500 and height > 100  # a real picture of ~40 nodes, not an empty image
    out = capsys.readouterr().out
    # document 002: dE/dw5 = 0.74136507 * 0.186815602 * 0.593269992 = 0.082167041
    assert "0.74136507 * 0.186815602 * 0.593269992 = 0.0821670406" in out
    assert "d E / d w1 = d E / d out_h1 * d out_h1 / d net_h1 * d net_h1 / d w1" in out


def test_example_08_draws_into_out_by_default_not_into_the_cwd():
    # issue 22: pictures go to the clone's git-ignored out/, never into docs/ or the cwd
    module = load_example("08_render_graph.py")
    default = inspect.signature(module.main).parameters["path"].default
    assert Path(default) == EXAMPLES.parent / "out" / "graph_222.png"


def test_example_08_without_dot_explains_and_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot` anywhere
    with pytest.raises(SystemExit) as exit_info:
        load_example("08_render_graph.py").main(tmp_path / "graph.png")
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert "= 0.0821670406" in captured.out  # the explanations come first, without `dot`
    assert "Graphviz" in captured.err and "apt-get install graphviz" in captured.err
    assert not (tmp_path / "graph.png").exists()
