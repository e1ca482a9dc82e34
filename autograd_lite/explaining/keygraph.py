"""The key graph of a Value explanation: folded edges between key values, and on it the
path counts (dynamic programming, exact integers), the paths (all, or the k largest by
|product|) and the stages cut at values every path goes through. No recursion.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..scalar.value import Value
from .results import Branch, Factor, Path, Stage


@dataclass
class _Edge:
    """An edge of the key graph (between consecutive key values): d upper / d lower."""

    lower: Value
    upper: Value
    value: float
    formula: str
    unit_sum: bool
    through: tuple[str, ...] = ()
    #: the numbers of each folded sub-path (unit steps left out), for the factor's text
    parts: tuple[tuple[float, ...], ...] = ()


class _KeyGraph:
    """The graph of key values and folded edges: path counts, paths, stages."""

    def __init__(
        self,
        edges: list[_Edge],
        position: dict[int, int],
        wrt: Value,
        output: Value,
        namer: Callable[[Value], str],
    ) -> None:
        self.position = position
        self.namer = namer
        self.wrt, self.output = wrt, output
        self.incoming: dict[int, list[_Edge]] = {}
        vertices = {id(wrt): wrt, id(output): output}
        for edge in edges:
            self.incoming.setdefault(id(edge.upper), []).append(edge)
            vertices[id(edge.lower)] = edge.lower
            vertices[id(edge.upper)] = edge.upper
        for edge_list in self.incoming.values():  # parent order of the graph, deterministic
            edge_list.sort(key=lambda e: position[id(e.lower)], reverse=True)
        self.ascending = sorted(vertices.values(), key=lambda v: position[id(v)])
        self.ascending_positions = [position[id(v)] for v in self.ascending]

    def _factor(self, edge: _Edge) -> Factor:
        upper, lower = self.namer(edge.upper), self.namer(edge.lower)
        return Factor(upper, lower, edge.formula, edge.value, edge.through, edge.parts)

    def _between(self, lower: Value, upper: Value) -> list[Value]:
        start = bisect.bisect_left(self.ascending_positions, self.position[id(lower)])
        stop = bisect.bisect_right(self.ascending_positions, self.position[id(upper)])
        return self.ascending[start:stop]

    def _counts_up(self, lower: Value, upper: Value) -> dict[int, int]:
        """Number of paths from each vertex up to ``upper`` (exact integers)."""
        counts = {id(upper): 1}
        for vertex in reversed(self._between(lower, upper)):
            count = counts.get(id(vertex), 0)
            for edge in self.incoming.get(id(vertex), ()) if vertex is not lower else ():
                counts[id(edge.lower)] = counts.get(id(edge.lower), 0) + count
        return counts

    def count_paths(self, lower: Value, upper: Value) -> int:
        return self._counts_up(lower, upper).get(id(lower), 0)

    def paths(self, lower: Value, upper: Value, limit: int) -> list[Path]:
        """Every path lower -> upper in graph order, or the ``limit`` largest by |product|."""
        if lower is upper:
            return [Path((), 1.0)]
        count = self.count_paths(lower, upper)
        if count <= limit:
            edge_lists = self._all_paths(lower, upper)
        else:
            edge_lists = self._largest_paths(lower, upper, limit)
        paths = []
        for edge_list in edge_lists:
            product = 1.0
            for edge in edge_list:
                product *= edge.value
            paths.append(Path(tuple(self._factor(e) for e in edge_list), product))
        return paths

    def _all_paths(self, lower: Value, upper: Value) -> list[list[_Edge]]:
        """Depth-first from ``upper`` down to ``lower`` (an explicit stack, no recursion)."""
        low = self.position[id(lower)]
        found: list[list[_Edge]] = []
        # Each stack entry keeps its path as a linked list (edge, rest) so a long chain
        # costs linear, not quadratic, time.
        stack: list[tuple[Value, Any]] = [(upper, None)]
        while stack:
            vertex, linked = stack.pop()
            if vertex is lower:
                edges: list[_Edge] = []
                while linked is not None:
                    edges.append(linked[0])
                    linked = linked[1]
                found.append(edges[::-1])
                continue
            for edge in self.incoming.get(id(vertex), ()):
                if self.position[id(edge.lower)] >= low:
                    stack.append((edge.lower, (edge, linked)))
        return [path for path in found if path]

    def _largest_paths(self, lower: Value, upper: Value, limit: int) -> list[list[_Edge]]:
        """The ``limit`` paths with the largest |product|: k-best dynamic programming."""
        best: dict[int, list[tuple[float, _Edge | None, Any]]] = {id(lower): [(1.0, None, None)]}
        for vertex in self._between(lower, upper):
            if vertex is lower:
                continue
            candidates: list[tuple[float, _Edge | None, Any]] = []
            for edge in self.incoming.get(id(vertex), ()):
                for entry in best.get(id(edge.lower), ()):
                    candidates.append((entry[0] * edge.value, edge, entry))
            candidates.sort(key=lambda item: -abs(item[0]))
            best[id(vertex)] = candidates[:limit]
        result = []
        for entry in best.get(id(upper), ()):
            edge_list = []
            while entry[1] is not None:
                edge_list.append(entry[1])
                entry = entry[2]
            result.append(edge_list)
        return result

    def _derivative(self, lower: Value, upper: Value) -> float:
        adjoint = {id(upper): 1.0}
        for vertex in reversed(self._between(lower, upper)):
            grad = adjoint.get(id(vertex))
            if grad is None or vertex is lower:
                continue
            for edge in self.incoming.get(id(vertex), ()):
                adjoint[id(edge.lower)] = adjoint.get(id(edge.lower), 0.0) + edge.value * grad
        return adjoint.get(id(lower), 0.0)

    def stages(self, limit: int) -> list[Stage]:
        """Split at values every path goes through; each stage is a factor or a branch sum."""
        wrt, output = self.wrt, self.output
        up = self._counts_up(wrt, output)
        total = up.get(id(wrt), 0)
        if total == 0 or wrt is output:
            return []
        down = {id(wrt): 1}
        for vertex in self.ascending:
            for edge in self.incoming.get(id(vertex), ()):
                down[id(vertex)] = down.get(id(vertex), 0) + down.get(id(edge.lower), 0)
        cuts = [v for v in self.ascending if down.get(id(v), 0) * up.get(id(v), 0) == total]
        stages = []
        for lower, upper in zip(reversed(cuts[:-1]), reversed(cuts[1:])):
            paths = self.paths(lower, upper, limit)
            names = _unique_names([self._branch_name(path, lower, paths) for path in paths])
            branches = tuple(
                Branch(name, path.steps, path.product) for name, path in zip(names, paths)
            )
            stages.append(
                Stage(
                    self.namer(upper),
                    self.namer(lower),
                    self._derivative(lower, upper),
                    branches,
                    self.count_paths(lower, upper),
                )
            )
        return stages

    def _branch_name(self, path: Path, lower: Value, paths: list[Path]) -> str:
        """d (the stage's upper) / d lower, and for several branches what tells this one
        apart: the labelled sum it goes through, or the first value on it that no other
        branch passes."""
        lower_name = self.namer(lower)
        first = path.steps[0]
        if len(paths) == 1:
            return f"d {first.upper} / d {lower_name}"
        if first.through:
            return f"d {first.through[-1]} / d {lower_name}"
        own = [step.lower for step in path.steps[:-1]]
        others = [{step.lower for step in other.steps[:-1]} for other in paths if other is not path]
        for name in own:
            if not any(name in seen for seen in others):
                return f"d {first.upper} / d {lower_name} via {name}"
        if own:
            return f"d {first.upper} / d {lower_name} via {' and '.join(own)}"
        return f"d {first.upper} / d {lower_name}"


def _unique_names(names: list[str]) -> list[str]:
    """Number the names that still repeat ("... (branch 2)"), so each branch reads apart."""
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        if counts[name] == 1:
            unique.append(name)
            continue
        seen[name] = seen.get(name, 0) + 1
        unique.append(f"{name} (branch {seen[name]})")
    return unique
