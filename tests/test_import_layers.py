"""The package's layers, read from the code's own imports: no cycle, no import upward.

Every module of ``autograd_lite`` belongs to a layer (``scripts/layers.py``, bottom first)
and may import only from its own layer or below; modules import each other without a
cycle; ``nn`` imports only the public ``autograd_lite`` package; the layer picture in
docs/ is the one today's imports give.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.layers import (
    BACKWARD_PATH,
    LAYERS,
    PICTURES,
    ROOT,
    cycles,
    internal_edges,
    layer_of,
    package_modules,
    runtime_imports,
)

MODULES = package_modules("autograd_lite")


def test_every_module_has_a_layer() -> None:
    assert [name for name in MODULES if layer_of(name) < 0] == []


def test_no_module_imports_from_a_layer_above_it() -> None:
    upward = [
        f"{name} ({LAYERS[layer_of(name)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for name, targets in internal_edges(MODULES).items()
        for target in sorted(targets)
        if layer_of(target) > layer_of(name)
    ]
    assert upward == []


def test_no_import_cycle_inside_the_package() -> None:
    assert cycles(internal_edges(MODULES)) == []


def test_nn_imports_only_the_public_engine() -> None:
    wrong = [
        f"{name} imports {target}"
        for name, path in package_modules("nn").items()
        for target in sorted(runtime_imports(path))
        if target in MODULES and target != "autograd_lite"
    ]
    assert wrong == []


def test_the_checker_finds_a_planted_cycle_and_skips_type_checking_imports(
    tmp_path: Path,
) -> None:
    # the reading itself must see a loop, or the tests above could not fail
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from .b import f\n")
    (package / "b.py").write_text("def f():\n    from . import a\n")
    (package / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import f\n"
    )
    edges = internal_edges(package_modules("pkg", tmp_path), tmp_path)
    assert cycles(edges) == [["pkg.a", "pkg.b", "pkg.a"]]
    assert edges["pkg.c"] == set()


def test_an_upward_import_is_named() -> None:
    assert layer_of("autograd_lite.engine.node") < layer_of("autograd_lite.tensor")
    assert layer_of("autograd_lite.tensor") < layer_of("autograd_lite.viz.draw")


@pytest.mark.parametrize("module", ["autograd_lite.engine.node", "autograd_lite.tensor"])
def test_known_modules_are_read(module: str) -> None:
    assert module in MODULES and internal_edges(MODULES)[module]


@pytest.mark.parametrize("name", sorted(PICTURES))
def test_the_pictures_in_docs_are_todays(name: str) -> None:
    # regenerate with: python scripts/layers.py
    assert (ROOT / "docs" / f"{name}.dot").read_text() == PICTURES[name]()


@pytest.mark.parametrize("module, function", BACKWARD_PATH)
def test_every_step_of_the_backward_path_names_a_real_function(module: str, function: str) -> None:
    source = MODULES[module].read_text()
    *owners, name = function.split(".")
    assert f"def {name}(" in source
    for owner in owners:
        assert f"class {owner}" in source or f"def {owner}(" in source


def test_dir_lists_exactly_the_public_names() -> None:
    import autograd_lite
    import nn

    assert dir(autograd_lite) == sorted(autograd_lite.__all__)
    assert dir(nn) == sorted(nn.__all__)
    for package in (autograd_lite, nn):  # every public name is there
        assert all(hasattr(package, name) for name in package.__all__)


def test_no_public_function_shadows_a_submodule() -> None:
    import autograd_lite

    modules = {name.split(".")[1] for name in MODULES if name.count(".") >= 1}
    functions = {n for n in autograd_lite.__all__ if callable(getattr(autograd_lite, n))}
    assert modules & functions == set()
