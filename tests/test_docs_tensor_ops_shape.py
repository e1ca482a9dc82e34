"""The python blocks of docs/tensor_ops_shape.md run and print what their comments claim.

The conventions of the docs pages: each block runs on its own; ``# raises NAME: text``
means the block must raise NAME with that text in its message; ``# prints TEXT`` at the
end of a line claims that TEXT is one whole line of what the block printed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parent.parent / "docs" / "tensor_ops_shape.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)


def test_the_page_has_examples_for_each_part() -> None:
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_block_runs_and_prints_what_it_claims(index: int, capsys, tmp_path, monkeypatch) -> None:
    code = BLOCKS[index]
    monkeypatch.chdir(tmp_path)
    compiled = compile(code, f"{PAGE.name} block {index}", "exec")
    expected = re.search(r"# raises (\w+)(?::\s*(.*))?$", code, re.M)
    if expected:
        with pytest.raises(Exception) as info:
            exec(compiled, {"__name__": "__docs__"})
        assert type(info.value).__name__ == expected.group(1)
        for part in (expected.group(2) or "").split("..."):
            assert part.strip() in str(info.value)
    else:
        exec(compiled, {"__name__": "__docs__"})
    printed = [line.strip() for line in capsys.readouterr().out.splitlines()]
    for claimed in re.findall(r"# prints (.*)$", code, re.M):
        assert claimed.strip() in printed, f"{claimed!r} not printed: {printed}"
