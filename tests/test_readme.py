"""The README's Python examples run, and the Quick start has exactly two commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_quick_start_has_exactly_two_commands_that_ci_uses():
    text = README.read_text()
    quick_start = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```(?:bash|sh)?\n(.*?)```", quick_start, re.S)
    assert [c.strip() for c in commands] == [
        "bash scripts/quickstart.sh demo",
        "bash scripts/quickstart.sh test",
    ]
    ci = (README.parent / ".ci" / "run").read_text()
    assert "bash scripts/quickstart.sh test" in ci


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_block_runs(index, tmp_path, monkeypatch, capsys):
    code = BLOCKS[index]
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    compiled = compile(code, f"README.md python block {index}", "exec")
    expected_error = re.search(r"# raises (\w+)", code)
    if expected_error:  # a block that shows a failure says so in a comment
        with pytest.raises(Exception) as info:
            exec(compiled, {"__name__": "__readme__"})
        assert type(info.value).__name__ == expected_error.group(1)
        return
    exec(compiled, {"__name__": "__readme__"})
    printed = capsys.readouterr().out
    # Where a block shows its output as "# => ..." or a trailing comment after print(...),
    # the numbers it claims must be what it printed.
    for claimed in re.findall(r"^# (E = .*)$", code, re.M):
        assert claimed in printed


def test_readme_explain_excerpt_and_docs_text_are_what_the_engine_prints():
    from autograd_lite import explain
    from autograd_lite.cli.graph import demo_222, find_labelled

    error = demo_222()
    w5 = find_labelled(error, "w5", {})
    printed = str(explain(error, w5)).strip()
    excerpt = README.read_text().split("<td><pre>\n", 1)[1].split("</pre>", 1)[0].strip()
    assert excerpt == printed
    docs_text = (README.parent / "docs" / "explain_w5.txt").read_text().strip()
    assert docs_text == printed
