"""Docstring examples run as tests (``--doctest-modules`` over autograd_lite and nn, set in
pyproject.toml), with the names a reader of an example assumes are imported.

An example may use ``np``, ``nn``, every public name of ``autograd_lite`` (``Tensor``,
``Value``, ``Function``, ``grad``, ...) and of ``nn`` (``Linear``, ``Parameter``, ``optim``,
...) without importing them. A module's own names win: in ``ops/nonlinear.py``, ``ReLU``
is the op class defined there, not ``nn.ReLU``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import autograd_lite
import nn


def _example_names() -> dict[str, Any]:
    names: dict[str, Any] = {"np": np, "nn": nn, "autograd_lite": autograd_lite}
    names.update((name, getattr(autograd_lite, name)) for name in autograd_lite.__all__)
    names.update((name, getattr(nn, name)) for name in nn.__all__)
    return names


EXAMPLE_NAMES = _example_names()


@pytest.fixture(autouse=True)
def _doctest_names(request: pytest.FixtureRequest) -> None:
    """Give each docstring example the names above that its module does not define."""
    example = getattr(request.node, "dtest", None)  # set on doctest items only
    if example is None:
        return
    namespace = request.getfixturevalue("doctest_namespace")
    namespace.clear()  # (shared by the session: each example gets its own selection)
    namespace.update(
        (name, value) for name, value in EXAMPLE_NAMES.items() if name not in example.globs
    )


#: Examples known to be wrong, as strict expected failures (none today): matched by the end
#: of the doctest's name. Strict: once an example is fixed it passes, the xfail fails, and
#: its entry must go.
WRONG_EXAMPLES: dict[str, str] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not hasattr(item, "dtest"):
            continue
        for suffix, reason in WRONG_EXAMPLES.items():
            if item.name.endswith(suffix):
                item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
