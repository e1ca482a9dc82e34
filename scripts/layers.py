"""The package's layers, read from the code's own imports; draws docs/layers.svg.

``python scripts/layers.py`` writes docs/layers.dot (and docs/layers.svg when Graphviz's
``dot`` is installed): one box per layer, its modules inside, one arrow per layer pair
that has an import. tests/test_import_layers.py uses the same reading to fail on an
import cycle or an import that points up the layers, and checks that docs/layers.dot is
what this script writes today.

Imports under ``if TYPE_CHECKING:`` are not run, so they are not counted.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (layer name, what it holds, module-name prefixes in it), from the bottom up: a module
#: may import from its own layer and the layers before it, never from a later one.
LAYERS: list[tuple[str, str, tuple[str, ...]]] = [
    (
        "base",
        "exceptions, the grad-mode flag, the random generator",
        (
            "autograd_lite._version",
            "autograd_lite.errors",
            "autograd_lite.grad_mode",
            "autograd_lite.rng",
        ),
    ),
    (
        "engine",
        "apply an op, record a node, walk the graph back",
        ("autograd_lite.engine",),
    ),
    ("ops", "one small class per op: forward beside backward", ("autograd_lite.ops",)),
    (
        "tensor",
        "the Tensor class, its methods and module functions",
        (
            "autograd_lite.tensor",
            "autograd_lite.tensor_math",
            "autograd_lite.tensor_args",
            "autograd_lite.tensor_shape",
            "autograd_lite.tensor_index",
            "autograd_lite.tensor_inplace",
            "autograd_lite.tensor_protocols",
            "autograd_lite.tensor_hooks",
            "autograd_lite.functions",
            "autograd_lite.functions_recurrent",
            "autograd_lite.functions_fused",
            "autograd_lite.creation",
        ),
    ),
    ("scalar", "Value, its walk and formula text", ("autograd_lite.scalar",)),
    (
        "tools",
        "gradcheck, explain, transforms, stepping",
        (
            "autograd_lite.checking",
            "autograd_lite.explaining",
            "autograd_lite.functional",
            "autograd_lite.documents",
            "autograd_lite.stepping",
        ),
    ),
    ("viz", "pictures (Graphviz)", ("autograd_lite.viz",)),
    (
        "face",
        "the public namespace and the command line",
        ("autograd_lite.cli", "autograd_lite.__main__", "autograd_lite"),
    ),
]


def module_name(path: Path, root: Path = ROOT) -> str:
    """``autograd_lite/engine/node.py`` -> ``autograd_lite.engine.node``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def runtime_imports(path: Path, root: Path = ROOT) -> set[str]:
    """The absolute names ``path`` imports when it runs, at any depth (``from x import y``
    gives both ``x`` and ``x.y``, since y may be a module)."""
    module = module_name(path, root)
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
            found.update(f"{target}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return found


def package_modules(package: str, root: Path = ROOT) -> dict[str, Path]:
    """Every module of ``package`` (a folder under ``root``) by its dotted name."""
    return {module_name(p, root): p for p in sorted((root / package).rglob("*.py"))}


def internal_edges(modules: dict[str, Path], root: Path = ROOT) -> dict[str, set[str]]:
    """module -> the other modules of ``modules`` it imports."""
    return {
        name: {m for m in runtime_imports(path, root) if m in modules and m != name}
        for name, path in modules.items()
    }


def layer_of(module: str) -> int:
    """The index in `LAYERS` of the layer whose longest prefix matches, or -1."""
    best, best_length = -1, -1
    for index, (_, _, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    return best


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every import loop a depth-first search meets, as a list of module names."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    found: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                found.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    return found


def layers_dot() -> str:
    """The Graphviz source of the layer picture, drawn from today's imports."""
    modules = package_modules("autograd_lite")
    edges = internal_edges(modules)
    members: dict[int, list[str]] = {}
    for name in modules:
        members.setdefault(layer_of(name), []).append(name)
    lines = [
        "digraph layers {",
        '  rankdir=BT; node [shape=box, fontname="Helvetica", fontsize=11];',
        '  edge [color="#888888"];',
    ]
    for index, (layer, what, _) in enumerate(LAYERS):
        names = sorted(
            {
                name.removeprefix("autograd_lite.").split(".")[0] or name
                for name in members.get(index, [])
            }
        )
        shown = ", ".join(names) if names else "(empty)"
        label = f"{layer}\\n{what}\\n[{shown}]"
        lines.append(f'  L{index} [label="{label}"];')
    pairs = sorted(
        {
            (layer_of(source), layer_of(target))
            for source, targets in edges.items()
            for target in targets
            if layer_of(source) != layer_of(target)
        }
    )
    lines += [f"  L{source} -> L{target};" for source, target in pairs]
    lines.append("}")
    return "\n".join(lines) + "\n"


#: The path of ``loss.backward()`` from the call to a leaf's ``.grad``: (module, function)
#: in call order. The test checks that each function is defined in its module.
BACKWARD_PATH: list[tuple[str, str]] = [
    ("autograd_lite.tensor", "Tensor.backward"),
    ("autograd_lite.engine.backward", "run_backward"),
    ("autograd_lite.engine.walk", "backpropagate"),
    ("autograd_lite.engine.walk", "_walk"),
    ("autograd_lite.engine.node", "Node._backward"),
    ("autograd_lite.ops.op", "Op.run_backward"),
    ("autograd_lite.ops.elementwise", "Mul.backward"),
    ("autograd_lite.engine.node", "Node._fit"),
    ("autograd_lite.engine.broadcast", "sum_to_array"),
    ("autograd_lite.engine.walk", "add_gradients"),
    ("autograd_lite.engine.backward", "run_backward.deliver"),
]


def backward_path_dot() -> str:
    """Graphviz source: the path of ``loss.backward()`` through the modules, each module in
    its layer; an arrow's label is the function the path enters next, in order."""
    modules = package_modules("autograd_lite")
    members: dict[int, list[str]] = {}
    for name in modules:
        members.setdefault(layer_of(name), []).append(name)
    on_path = {module for module, _ in BACKWARD_PATH}
    lines = [
        "digraph backward_path {",
        '  rankdir=TB; newrank=true; node [shape=box, fontname="Helvetica", fontsize=10];',
        '  edge [color="#c0392b", fontcolor="#c0392b", fontname="Helvetica", fontsize=9];',
    ]
    for index in reversed(range(len(LAYERS))):
        layer = LAYERS[index][0]
        if not set(members.get(index, [])) & on_path:
            continue
        lines.append(f'  subgraph cluster_{index} {{ label="{layer}"; color="#999999";')
        for name in sorted(set(members.get(index, [])) & on_path):
            lines.append(f'    "{name}" [label="{name.removeprefix("autograd_lite.")}"];')
        lines.append("  }")
    start, first = BACKWARD_PATH[0]
    lines.append('  start [shape=plaintext, label="loss.backward()"];')
    lines.append(f'  start -> "{start}" [label="1. {first}"];')
    for step, ((source, _), (target, function)) in enumerate(
        zip(BACKWARD_PATH, BACKWARD_PATH[1:]), start=2
    ):
        lines.append(f'  "{source}" -> "{target}" [label="{step}. {function}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


PICTURES = {"layers": layers_dot, "backward_path": backward_path_dot}


def main() -> int:
    """Write docs/<picture>.dot, and the .svg beside it when ``dot`` is on the PATH."""
    rendered = shutil.which("dot") is not None
    for name, make in PICTURES.items():
        dot_path = ROOT / "docs" / f"{name}.dot"
        dot_path.write_text(make())
        if rendered:
            svg = ROOT / "docs" / f"{name}.svg"
            subprocess.run(["dot", "-Tsvg", str(dot_path), "-o", str(svg)], check=True)
    print("wrote docs/layers and docs/backward_path (.dot" + (" and .svg)" if rendered else ")"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
