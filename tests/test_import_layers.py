"""The package's layers, read from the code's own imports: no cycle, and no import upward.

Every module of ``autograd_lite`` belongs to a layer (`LAYERS`, bottom first) and may import
only from its own layer or below; the modules of one layer import each other without a
cycle. ``nn`` imports only the public ``autograd_lite`` package. Imports under
``if TYPE_CHECKING:`` are not run, so they are not counted (they name types only).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: (layer name, module-name prefixes in it), from the bottom up
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "base",
        (
            "autograd_lite._version",
            "autograd_lite.errors",
            "autograd_lite.grad_mode",
            "autograd_lite.rng",
        ),
    ),
    ("engine", ("autograd_lite.engine",)),
    ("ops", ("autograd_lite.ops",)),
    (
        "tensor",
        (
            "autograd_lite.tensor",
            "autograd_lite.tensor_math",
            "autograd_lite.functions",
            "autograd_lite.creation",
        ),
    ),
    ("scalar", ("autograd_lite.scalar",)),
    (
        "tools",
        (
            "autograd_lite.checking",
            "autograd_lite.explaining",
            "autograd_lite.functional",
            "autograd_lite.documents",
            "autograd_lite.stepping",
        ),
    ),
    ("viz", ("autograd_lite.viz",)),
    ("face", ("autograd_lite.cli", "autograd_lite.__main__", "autograd_lite")),
]


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _runtime_imports(path: Path, root: Path = ROOT) -> set[str]:
    """The absolute names of the modules ``path`` imports when it runs (any depth)."""
    module = _module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _is_type_checking_block(node):
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            for alias in node.names:  # `from . import anomaly` imports a module
                found.add(f"{target}.{alias.name}")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return found


def _package_modules(package: str, root: Path = ROOT) -> dict[str, Path]:
    return {_module_name(p, root): p for p in sorted((root / package).rglob("*.py"))}


MODULES = _package_modules("autograd_lite")


def _layer_of(module: str) -> int:
    best, best_length = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    return best


def _internal_edges(modules: dict[str, Path] = MODULES, root: Path = ROOT) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges[name] = {m for m in _runtime_imports(path, root) if m in modules and m != name}
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every import loop a depth-first search meets, as a list of module names."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                cycles.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    return cycles


def test_every_module_has_a_layer() -> None:
    assert [name for name in MODULES if _layer_of(name) < 0] == []


def test_no_module_imports_from_a_layer_above_it() -> None:
    upward = [
        f"{name} ({LAYERS[_layer_of(name)][0]}) imports {target} ({LAYERS[_layer_of(target)][0]})"
        for name, targets in _internal_edges().items()
        for target in sorted(targets)
        if _layer_of(target) > _layer_of(name)
    ]
    assert upward == []


def test_no_import_cycle_inside_the_package() -> None:
    assert _cycles(_internal_edges()) == []


def test_nn_imports_only_the_public_engine() -> None:
    wrong = [
        f"{name} imports {target}"
        for name, path in _package_modules("nn").items()
        for target in sorted(_runtime_imports(path))
        if target in MODULES and target != "autograd_lite"
    ]
    assert wrong == []


def test_the_checker_finds_a_planted_cycle_and_skips_type_checking_imports(
    tmp_path: Path,
) -> None:
    # the parser itself must see a loop, or the tests above could not fail
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from .b import f\n")
    (package / "b.py").write_text("def f():\n    from . import a\n")
    (package / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import f\n"
    )
    edges = _internal_edges(_package_modules("pkg", tmp_path), tmp_path)
    assert _cycles(edges) == [["pkg.a", "pkg.b", "pkg.a"]]
    assert edges["pkg.c"] == set()


@pytest.mark.parametrize("module", ["autograd_lite.engine.node", "autograd_lite.tensor"])
def test_known_modules_are_read(module: str) -> None:
    assert module in MODULES and _internal_edges()[module]
