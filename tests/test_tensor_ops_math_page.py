"""docs/tensor_ops_math.md: its python block runs and prints every ``# prints`` line it claims,
and its tables name every method the page is about (the docs suite runs all pages the same
way once it exists; this keeps the page honest on its own)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from autograd_lite.tensor_math import MathMethods

PAGE = Path(__file__).resolve().parent.parent / "docs" / "tensor_ops_math.md"


def test_the_python_block_prints_what_it_claims(capsys: pytest.CaptureFixture) -> None:
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1
    exec(compile(blocks[0], str(PAGE), "exec"), {"__name__": "__docs__"})
    printed = [line.strip() for line in capsys.readouterr().out.splitlines()]
    claims = re.findall(r"# prints (.*)$", blocks[0], re.M)
    assert len(claims) > 10
    for claimed in claims:
        assert claimed.strip() in printed, f"{claimed!r} not printed: {printed}"


def test_every_math_method_is_in_a_table() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for name in vars(MathMethods):
        if not name.startswith("_"):
            assert f"`{name}" in text or f" {name}" in text, name
