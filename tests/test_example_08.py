"""examples/08_render_graph.py runs, explains w5 as document 002 does, and writes a PNG."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import load_example


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
