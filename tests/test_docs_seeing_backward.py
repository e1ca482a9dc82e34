"""docs/seeing_backward.md: its Python blocks run, print what the page says they print, and
the GIF it shows (docs/backward_222.gif) is the one its last block makes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGE = (DOCS / "seeing_backward.md").read_text()
#: (python block, the ```text block right after it or None)
BLOCKS = re.findall(r"```python\n(.*?)```\n(?:\n```text\n(.*?)```)?", PAGE, re.S)


def _run(code: str, tmp_path, monkeypatch, capsys) -> str:
    monkeypatch.chdir(tmp_path)  # blocks that write files write them here
    exec(compile(code, "docs/seeing_backward.md", "exec"), {"__name__": "__docs__"})
    return capsys.readouterr().out


def test_the_page_has_its_blocks() -> None:
    assert len(BLOCKS) == 5
    assert "backward_222.gif" in PAGE and (DOCS / "backward_222.gif").exists()


@pytest.mark.parametrize("index", range(len(BLOCKS) - 1))
def test_block_runs_and_prints_what_the_page_shows(index, tmp_path, monkeypatch, capsys) -> None:
    code, shown = BLOCKS[index]
    if "draw_backward" in code and shutil.which("dot") is None:
        pytest.skip("Graphviz's `dot` is not installed")
    printed = _run(code, tmp_path, monkeypatch, capsys)
    for line in shown.splitlines():  # every line of the output shown, "..." for left out
        if line != "...":
            assert line in printed.splitlines(), line
    # "print(x)  # words value": the value is what was printed
    claims = [comment.split()[-1] for comment in re.findall(r"^print\(.*\)\s+# (.*)$", code, re.M)]
    if claims:
        assert printed.split("\n")[: len(claims)] == claims
    if "save(" in code:
        saved = tmp_path / re.search(r'save\("([^"]+)"\)', code).group(1)
        assert saved.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` is not installed")
def test_the_gif_shown_is_the_one_the_last_block_makes(tmp_path, monkeypatch, capsys) -> None:
    image = pytest.importorskip("PIL.Image", reason="Pillow (the gif extra) is not installed")
    code, _ = BLOCKS[-1]
    _run(code, tmp_path, monkeypatch, capsys)
    with (
        image.open(tmp_path / "backward_222.gif") as made,
        image.open(DOCS / "backward_222.gif") as committed,
    ):
        assert made.n_frames == committed.n_frames == 28  # before the first step, then 27
        assert made.size == committed.size
