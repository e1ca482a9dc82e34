"""explain()'s result objects and their text: Factor, Path, Branch, Stage, Explanation for
Value graphs; OpStep, TensorPath, TensorExplanation for Tensor graphs.

Every number is printed to 9 significant digits (`num_text`); arrays get a one-line preview
(`array_text`, also used by viz).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def num_text(number: float) -> str:
    """A number to 9 significant digits, as explain() prints every number."""
    return f"{number:.9g}"


# ------------------------------------------------------------------------ result objects
@dataclass(frozen=True)
class Factor:
    """One factor of a chain-rule product: d upper / d lower with its formula and number."""

    upper: str
    lower: str
    formula: str
    value: float
    through: tuple[str, ...] = ()  # labelled sums folded into this factor (output side first)
    #: when the factor folds several steps: the numbers of each folded sub-path (unit steps
    #: left out, as in the formula), so its parts can be read beside its formula
    parts: tuple[tuple[float, ...], ...] = ()

    @property
    def name(self) -> str:
        """The derivative's name, e.g. ``d out_o1 / d net_o1``."""
        return f"d {self.upper} / d {self.lower}"

    @property
    def description(self) -> str:
        """Name and formula, e.g. ``d out_o1 / d net_o1 = out_o1 * (1 - out_o1)``."""
        return f"{self.name} = {self.formula}"

    @property
    def parts_text(self) -> str:
        """The folded steps' numbers, as the formula multiplies and adds them ("" when the
        factor is a single step, so there is nothing more to show)."""
        if sum(len(part) for part in self.parts) < 2:
            return ""
        products = [" * ".join(num_text(number) for number in part) or "1" for part in self.parts]
        if len(products) == 1:
            return products[0]
        return " + ".join(f"({text})" if " * " in text else text for text in products)

    def __str__(self) -> str:
        note = f"   (through {', '.join(self.through)})" if self.through else ""
        if self.formula == num_text(self.value):  # a constant factor: say it once
            return f"{self.name} = {self.formula}{note}"
        parts = self.parts_text
        middle = f" = {parts}" if parts else ""
        return f"{self.description}{middle} = {num_text(self.value)}{note}"


@dataclass(frozen=True)
class Path:
    """One path from the output back to ``wrt``: its factors and their product."""

    steps: tuple[Factor, ...]
    product: float

    @property
    def factors(self) -> list[tuple[str, float]]:
        """(description, value) per factor, ordered from the output back to ``wrt``."""
        return [(step.description, step.value) for step in self.steps]


@dataclass(frozen=True)
class Branch:
    """One way through a stage: a named product of factors."""

    name: str
    steps: tuple[Factor, ...]
    product: float


@dataclass(frozen=True)
class Stage:
    """d upper / d lower between two values that every path goes through."""

    upper: str
    lower: str
    value: float
    branches: tuple[Branch, ...]
    n_branches: int

    @property
    def name(self) -> str:
        """The stage's derivative name, e.g. ``d E / d out_h1``."""
        return f"d {self.upper} / d {self.lower}"


@dataclass
class Explanation:
    """The chain-rule breakdown of d output / d wrt for a Value graph.

    Attributes:
        output_name, wrt_name: names used in the text.
        total: d output / d wrt computed exactly as the engine's backward pass does.
        paths: the paths (all of them, or the largest by |product| when there are more
            than ``max_paths``), each with ``.factors`` and ``.product``.
        n_paths: how many paths there are in all.
        stages: the product form around values every path goes through.
    """

    output_name: str
    wrt_name: str
    total: float
    paths: list[Path] = field(default_factory=list)
    n_paths: int = 0
    stages: list[Stage] = field(default_factory=list)
    #: op-and-number names of unlabelled values (``sigmoid_1``) -> (expression, value)
    definitions: dict[str, tuple[str, float]] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """True when every path is listed in ``paths``."""
        return len(self.paths) == self.n_paths

    @property
    def path_sum(self) -> float:
        """Sum of the listed paths' products (equals ``total`` when ``complete``)."""
        return sum(path.product for path in self.paths)

    def __str__(self) -> str:
        lines = _render_value_explanation(self)
        return "\n".join(lines + _render_definitions(self.definitions, lines))

    def __repr__(self) -> str:
        plural = "path" if self.n_paths == 1 else "paths"
        return (
            f"<Explanation d {self.output_name} / d {self.wrt_name} = {num_text(self.total)} "
            f"({self.n_paths} {plural}); print() it for the breakdown>"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython's text display
        printer.text(str(self))

    def _repr_html_(self) -> str:  # Jupyter shows the breakdown, not the dataclass fields
        return _pre(str(self))


# ------------------------------------------------------------------------ text
def _render_value_explanation(result: Explanation) -> list[str]:
    head = f"d {result.output_name} / d {result.wrt_name}"
    total = num_text(result.total)
    if result.n_paths == 0:
        return [f"{head} = 0: {result.output_name} does not depend on {result.wrt_name}"]
    plural = "path" if result.n_paths == 1 else "paths"
    lines = [f"{head} = {total}   (sum over {result.n_paths} {plural}; engine gradient)"]
    if result.n_paths == 1 and result.paths:
        path = result.paths[0]
        lines += [f"  {step}" for step in path.steps]
        numbers = " * ".join(num_text(step.value) for step in path.steps) or "1"
        lines.append(f"  {head} = {numbers} = {num_text(path.product)}")
        return lines

    lines.append("")
    if len(result.stages) > 1:
        lines.append(f"{head} = " + " * ".join(stage.name for stage in result.stages))
    for stage in result.stages:
        lines += _render_stage(stage)
    if len(result.stages) > 1:
        numbers = " * ".join(num_text(stage.value) for stage in result.stages)
        lines.append(f"  {head} = {numbers} = {total}")
    lines.append("")
    shown = len(result.paths)
    if result.complete:
        lines.append(f"paths (factors from {result.output_name} back to {result.wrt_name}):")
    else:
        lines.append(
            f"the {shown} largest of {result.n_paths} paths by |product| "
            f"(factors from {result.output_name} back to {result.wrt_name}):"
        )
    for number, path in enumerate(result.paths, start=1):
        names = " * ".join(step.name for step in path.steps)
        values = " * ".join(num_text(step.value) for step in path.steps)
        lines.append(f"  {number}. {names}")
        lines.append(f"     = {values} = {num_text(path.product)}")
    if result.complete:
        lines.append(f"  sum of the {shown} path products = {num_text(result.path_sum)}")
    else:
        rest = result.total - result.path_sum
        lines.append(
            f"  these {shown} add up to {num_text(result.path_sum)}; the other "
            f"{result.n_paths - shown} paths add {num_text(rest)}"
        )
    return lines


def _render_stage(stage: Stage) -> list[str]:
    if stage.n_branches == 1 and len(stage.branches[0].steps) == 1:
        return [f"  {stage.branches[0].steps[0]}"]
    lines = [f"  {stage.name} = {num_text(stage.value)}"]
    if stage.n_branches == 1:
        lines += [f"    {step}" for step in stage.branches[0].steps]
        return lines
    if len(stage.branches) == stage.n_branches:
        lines.append("    = " + " + ".join(branch.name for branch in stage.branches))
        lines.append("    = " + " + ".join(num_text(branch.product) for branch in stage.branches))
    else:
        lines.append(
            f"    a sum over {stage.n_branches} branches; the {len(stage.branches)} "
            "largest by |product|:"
        )
    for branch in stage.branches:
        lines.append(f"    {branch.name} = {num_text(branch.product)}")
        lines += [f"      {step}" for step in branch.steps]
    return lines


def _render_definitions(definitions: dict[str, tuple[str, float]], lines: list[str]) -> list[str]:
    """ "where" lines defining the op-and-number names the text uses (and those they use)."""
    if not definitions:
        return []
    pattern = re.compile(r"\b(" + "|".join(re.escape(name) for name in definitions) + r")\b")
    used: list[str] = []
    pending = [name for line in lines for name in pattern.findall(line)]
    while pending:
        name = pending.pop(0)
        if name not in used:
            used.append(name)
            pending += pattern.findall(definitions[name][0])
    if not used:
        return []
    order = list(definitions)
    used.sort(key=order.index)
    text = ["", "where (unlabelled values, named by op and the order they were computed in):"]
    text += [
        f"  {name} = {definitions[name][0]} = {num_text(definitions[name][1])}" for name in used
    ]
    return text


def _pre(text: str) -> str:
    """Text as an HTML <pre> block, for Jupyter."""
    return f"<pre>{html.escape(text)}</pre>"


def array_text(array: np.ndarray, limit: int = 8) -> str:
    """A short one-line preview of an array for explanations and pictures: every entry when
    it has at most ``limit``, else the first and last two of each axis."""
    if array.size == 1:
        return num_text(float(array.reshape(())))
    text = np.array2string(array, precision=6, threshold=limit, edgeitems=2, separator=", ")
    return " ".join(text.split())


def reduced_axes(grad_shape: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of ``grad_shape`` a gradient is summed over to reach ``shape`` (broadcast
    undone): the leading axes ``shape`` lacks, and the ones where it has size 1."""
    lead = len(grad_shape) - len(shape)
    return tuple(range(lead)) + tuple(
        lead + i for i, size in enumerate(shape) if size == 1 and grad_shape[lead + i] != 1
    )


def reduction_text(grad_shape: tuple[int, ...], shape: tuple[int, ...]) -> str:
    """E.g. ``(3,) <- summed over axis 0 of (4, 3)``; "" when nothing is summed."""
    axes = reduced_axes(tuple(grad_shape), tuple(shape))
    if not axes or tuple(grad_shape) == tuple(shape):
        return ""
    which = f"axis {axes[0]}" if len(axes) == 1 else f"axes {axes}"
    return f"{tuple(shape)} <- summed over {which} of {tuple(grad_shape)}"


# ------------------------------------------------------------------------ Tensor graphs
@dataclass(frozen=True)
class OpStep:
    """One operation on a tensor path, with the gradient flowing back into its result.

    ``input_name`` names the input the path goes back into (its label, or the op that made
    it); ``summed`` says when the gradient sent there was summed over broadcast axes, e.g.
    ``b (3,) <- summed over axis 0 of (4, 3)``.
    """

    op: str
    input_index: int
    output_shape: tuple[int, ...]
    upstream: np.ndarray  # d output / d (this op's result), along this path only
    input_name: str = ""
    summed: str = ""

    @property
    def description(self) -> str:
        into = f"{self.input_index} ({self.input_name})" if self.input_name else self.input_index
        text = (
            f"{self.op} -> shape {self.output_shape}, upstream gradient "
            f"{array_text(self.upstream)}; back into its input {into}"
        )
        if self.summed:
            text += f"; {self.input_name or 'input'} {self.summed}"
        return text


@dataclass(frozen=True)
class TensorPath:
    """One chain of operations from the output back to ``wrt`` and what it contributes."""

    steps: tuple[OpStep, ...]
    delivered: np.ndarray | None  # the gradient this path gives to all of wrt
    contribution: float  # its element at the explained index

    @property
    def factors(self) -> list[tuple[str, np.ndarray]]:
        """(description, upstream gradient array) per operation, output first."""
        return [(step.description, step.upstream) for step in self.steps]

    @property
    def product(self) -> float:
        """This path's contribution to the explained gradient element."""
        return self.contribution


@dataclass
class TensorExplanation:
    """Which operations one element of a Tensor gradient flowed through, path by path."""

    output_name: str
    wrt_name: str
    index: tuple[int, ...]
    total: float
    paths: list[TensorPath] = field(default_factory=list)
    n_paths: int = 0

    @property
    def complete(self) -> bool:
        return len(self.paths) == self.n_paths

    @property
    def path_sum(self) -> float:
        return sum(path.contribution for path in self.paths)

    def __repr__(self) -> str:
        element = f"{self.wrt_name}[{', '.join(map(str, self.index))}]"
        return (
            f"<TensorExplanation d {self.output_name} / d {element} = {num_text(self.total)} "
            f"({self.n_paths} chain(s) of ops); print() it for the breakdown>"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython's text display
        printer.text(str(self))

    def _repr_html_(self) -> str:
        return _pre(str(self))

    def __str__(self) -> str:
        element = f"{self.wrt_name}[{', '.join(map(str, self.index))}]"
        head = f"d {self.output_name} / d {element} = {num_text(self.total)}   (engine gradient)"
        if self.n_paths == 0:
            return f"{head}: {self.output_name} does not depend on {self.wrt_name}"
        lines = [head, f"the gradient reaches {self.wrt_name} along {self.n_paths} chain(s) of ops"]
        for number, path in enumerate(self.paths, start=1):
            lines.append(f"path {number}: contributes {num_text(path.contribution)}")
            lines += [f"  {step.description}" for step in path.steps]
            delivered = "nothing" if path.delivered is None else array_text(path.delivered)
            lines.append(f"  {self.wrt_name} receives {delivered}; element {element}")
        if self.complete:
            lines.append(f"sum of the path contributions = {num_text(self.path_sum)}")
        else:
            lines.append(f"({self.n_paths - len(self.paths)} more paths not shown)")
        return "\n".join(lines)
