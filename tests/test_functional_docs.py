"""docs/functional.md: every Python block runs, and prints what its ``# =>`` comments claim;
the docstring examples of autograd_lite.functional run too."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

import autograd_lite.functional

PAGE = Path(__file__).resolve().parent.parent / "docs" / "functional.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)


def test_the_page_has_an_example_for_every_transform():
    text = "".join(BLOCKS)
    for name in ("vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"):
        assert f"F.{name}(" in text


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_block_prints_what_it_claims(index, capsys):
    code = BLOCKS[index]
    exec(compile(code, f"docs/functional.md python block {index}", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    claimed = re.findall(r"# => (.*)$", code, re.M)
    assert claimed, "every block shows what it prints"
    assert [line.strip() for line in printed] == [c.strip() for c in claimed]


def test_docstring_examples_run():
    result = doctest.testmod(autograd_lite.functional)
    assert result.attempted >= 6 and result.failed == 0
