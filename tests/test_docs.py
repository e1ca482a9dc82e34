"""Every ```python block of README.md and docs/*.md runs, and shows what it prints.

Conventions, the same in every page:

- Each block runs on its own (a fresh namespace) in a temporary directory, so a block that
  writes a file writes it there. Its code is the file ``example.py`` there, which is the
  path an error message that quotes the block's lines shows.
- A block containing ``# raises NAME`` must raise an exception of type NAME.
- ``# prints TEXT`` at the end of a line claims that TEXT is one whole line of what the block
  printed.
- A block followed directly by a ```text block claims that it prints exactly that text; a
  ``...`` in the text stands for any characters within its line (a file path, a timing).
- A block whose first line is ``# continues the previous block`` runs after the page's block
  before it, in the same namespace (only its own output is checked).
- A block containing ``# needs Graphviz's dot`` is skipped when the ``dot`` program is missing.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```(?:\s*\n```text\n(.*?)```)?", re.S)


CONTINUES = "# continues the previous block\n"


def python_blocks(page: Path) -> list[tuple[str, str, str | None]]:
    """(code run first, the block's code, the ```text block right after it or None) for each
    python block of a page."""
    text = page.read_text(encoding="utf-8")
    blocks, before, previous = [], "", ""
    for code, shown in BLOCK.findall(text):
        before = before + previous if code.startswith(CONTINUES) else ""
        blocks.append((before, code, shown or None))
        previous = code
    return blocks


BLOCKS = [
    pytest.param(before, code, shown, id=f"{page.relative_to(ROOT)}-{index}")
    for page in PAGES
    for index, (before, code, shown) in enumerate(python_blocks(page))
]


def matches(shown: str, printed: str) -> bool:
    """Whether ``printed`` is ``shown``, line for line, with ``...`` matching anything in a line."""
    shown_lines = shown.rstrip("\n").split("\n")
    printed_lines = printed.rstrip("\n").split("\n")
    if len(shown_lines) != len(printed_lines):
        return False
    for expected, actual in zip(shown_lines, printed_lines):
        pattern = ".*".join(re.escape(part) for part in expected.rstrip().split("..."))
        if not re.fullmatch(pattern, actual.rstrip()):
            return False
    return True


def test_the_pattern_finds_every_python_block_and_every_concept_page_has_some():
    for page in PAGES:
        count = page.read_text(encoding="utf-8").count("```python")
        assert count == len(python_blocks(page)), page
        if page != ROOT / "docs" / "README.md":  # the index of the docs pages has no code
            assert count > 0, page


@pytest.mark.parametrize("before, code, shown", BLOCKS)
def test_python_block_runs_and_prints_what_the_page_shows(
    before, code, shown, tmp_path, monkeypatch, capsys
):
    if "# needs Graphviz's dot" in before + code and shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    namespace = {"__name__": "__docs__"}
    exec(compile(before, "<docs block before>", "exec"), namespace)
    capsys.readouterr()  # only this block's output is checked
    script = tmp_path / "example.py"  # a real file, so tracebacks can quote its lines
    script.write_text(code, encoding="utf-8")
    compiled = compile(code, str(script), "exec")
    expected_error = re.search(r"# raises (\w+)", code)
    if expected_error:  # a block that shows a failure says so in a comment
        with pytest.raises(Exception) as info:
            exec(compiled, namespace)
        assert type(info.value).__name__ == expected_error.group(1)
    else:
        exec(compiled, namespace)
    printed = capsys.readouterr().out
    printed_lines = [line.strip() for line in printed.splitlines()]
    for claimed in re.findall(r"# prints (.*)$", code, re.M):
        assert claimed.strip() in printed_lines, f"{claimed!r} not printed:\n{printed}"
    if shown is not None:
        assert matches(shown, printed), f"the page shows:\n{shown}\nthe block printed:\n{printed}"


@pytest.mark.parametrize(
    "shown, printed, expected",
    [
        ("a = 1\nb = 2\n", "a = 1\nb = 2\n", True),
        ("a = 1\nb = 2\n", "a = 1\nb = 3\n", False),
        ("a = 1\n", "a = 1\nb = 2\n", False),
        ("created at ...:6 in <module>\n", "created at /tmp/x.py:6 in <module>\n", True),
        ("created at ...:6 in <module>\n", "created at /tmp/x.py:7 in <module>\n", False),
        ("x (1.5)\n", "x (1.5]\n", False),
    ],
)
def test_the_shown_output_comparison(shown, printed, expected):
    assert matches(shown, printed) is expected
