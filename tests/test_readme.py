"""The README's Quick start has exactly two commands, and its explain() excerpt is real.

Every python block of the README (and of docs/) runs in tests/test_docs.py.
"""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


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


def test_readme_network_block_prints_the_excerpt_shown_beside_the_picture(
    tmp_path, monkeypatch, capsys
):
    text = README.read_text()
    excerpt = text.split("<td><pre>\n", 1)[1].split("</pre>", 1)[0].strip()
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "explain(E, " in b]
    assert len(blocks) == 1
    monkeypatch.chdir(tmp_path)
    exec(compile(blocks[0], "README.md 2-2-2 block", "exec"), {"__name__": "__readme__"})
    printed = capsys.readouterr().out
    assert printed.strip().endswith(excerpt)
