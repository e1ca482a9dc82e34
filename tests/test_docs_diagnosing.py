"""docs/diagnosing.md: every ```python block runs and prints what the page shows.

The conventions are those of the docs pages (tests/test_docs.py where it exists): each
block runs alone as the file ``example.py`` in a temporary directory; ``# raises NAME``
expects that exception; ``# prints TEXT`` claims one whole printed line; a ```text block
right after a block is exactly what it prints, ``...`` standing for any characters within a
line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parent.parent / "docs" / "diagnosing.md"
BLOCK = re.compile(r"```python\n(.*?)```(?:\s*\n```text\n(.*?)```)?", re.S)
BLOCKS = BLOCK.findall(PAGE.read_text(encoding="utf-8"))


def matches(shown: str, printed: str) -> bool:
    """``printed`` is ``shown`` line for line, ``...`` matching anything within a line."""
    shown_lines = shown.rstrip("\n").split("\n")
    printed_lines = printed.rstrip("\n").split("\n")
    if len(shown_lines) != len(printed_lines):
        return False
    for expected, actual in zip(shown_lines, printed_lines):
        pattern = ".*".join(re.escape(part) for part in expected.rstrip().split("..."))
        if not re.fullmatch(pattern, actual.rstrip()):
            return False
    return True


def test_the_page_has_its_examples() -> None:
    assert len(BLOCKS) == PAGE.read_text(encoding="utf-8").count("```python") >= 4


@pytest.mark.parametrize(("code", "shown"), BLOCKS, ids=[f"block-{i}" for i in range(len(BLOCKS))])
def test_block_runs_and_prints_what_the_page_shows(code, shown, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    compiled = compile(code, str(script), "exec")
    namespace = {"__name__": "__docs__"}
    expected_error = re.search(r"# raises (\w+)", code)
    if expected_error:
        with pytest.raises(Exception) as info:
            exec(compiled, namespace)
        assert type(info.value).__name__ == expected_error.group(1)
    else:
        exec(compiled, namespace)
    printed = capsys.readouterr().out
    lines = [line.strip() for line in printed.splitlines()]
    for claimed in re.findall(r"# prints (.*)$", code, re.M):
        assert claimed.strip() in lines, f"{claimed!r} not printed:\n{printed}"
    if shown:
        assert matches(shown, printed), f"the page shows:\n{shown}\nthe block printed:\n{printed}"
