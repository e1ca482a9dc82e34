"""draw_backward(): an interactive page that steps through the backward pass on the picture.

The picture is `draw_graph`'s (Graphviz), drawn once; the steps are `backward_steps`'s (the
engine's own walk). The page is one self-contained HTML fragment: the SVG, the step data as
JSON and a small script (no network, no CDN) with Next / Back / Play buttons and the arrow
keys. At each step the current node and its edges are highlighted, "upstream x local =
contribution" is written beside it, and every gradient shown on the picture is the running
total of the pass so far. Every text is written here, in Python, from the engine's numbers;
the script only swaps texts and classes. ``save("x.gif")`` renders one Graphviz PNG per
step (Pillow, an optional extra, assembles them).
"""

from __future__ import annotations

import html
import io
import json
import math
import os
import re
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine.tensor_base import TensorBase
from ..explaining.explain import _array_text
from ..scalar.value import Value
from ..scalar.walk import values_below
from ..stepping.steps import BackwardStep, backward_steps
from .draw import _escape, dot_names, draw_graph, vertices_below

if TYPE_CHECKING:
    from ..tensor import Tensor

#: the texts of a gradient not reached yet, and of the current node's colours
UNREACHED = "grad ?"
_CURRENT, _TARGET = "#d62728", "#1f77b4"
#: arrays larger than this keep only their text preview in the page's step data
_EXACT_LIMIT = 10_000
GIF_HINT = (
    "saving a GIF needs Pillow, an optional extra: pip install 'autograd_lite[gif]' "
    "(or pip install Pillow)"
)


def draw_backward(
    output: Value | Tensor,
    *,
    max_nodes: int = 150,
    grad: Any = None,
    digits: int = 4,
    rankdir: str = "LR",
) -> BackwardPage:
    """An interactive page that steps through the backward pass from ``output``.

    The pass is run here with `backward_steps` (so the page shows the engine's own steps,
    in its order) and the ``.grad`` of every Value or leaf Tensor involved is put back as
    it was afterwards: drawing changes no gradient. A Tensor graph is kept
    (``retain_graph=True``), so ``backward()`` can still run through it.

    Args:
        output: the Value or Tensor whose backward pass is shown.
        max_nodes: draw at most this many values (as in `draw_graph`); the steps of the
            ones left out are still listed, without a highlight.
        grad: the gradient to start from, as for `backward_steps`.
        digits: significant digits of the numbers shown for Values.
        rankdir: Graphviz layout direction, as in `draw_graph`.

    Returns:
        A `BackwardPage`: shown inline in Jupyter, ``.save("x.html")`` or
        ``.save("x.gif")``; ``.steps`` holds the `BackwardStep` list.

    Raises:
        TypeError, ValueError: as `draw_graph` and `backward_steps`.
        GraphvizNotFoundError: when the page is rendered without Graphviz's ``dot``.

    Example:
        >>> x = Value(2.0, label="x"); y = (x * x).tanh(); y.label = "y"
        >>> draw_backward(y).save("y_backward.html")
    """
    if not isinstance(output, (Value, TensorBase)):
        raise TypeError(
            f"draw_backward: output must be a Value or a Tensor, got {type(output).__name__}"
        )
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 1:
        raise ValueError(f"draw_backward: digits must be a positive integer, got {digits!r}")
    saved = _save_grads(output)
    try:
        steps = list(backward_steps(output, grad, retain_graph=True))
    finally:
        _restore_grads(saved)
    graph = draw_graph(output, show_grad=False, max_nodes=max_nodes, digits=digits, rankdir=rankdir)
    story = _Story.build(output, steps, graph, digits, grad)
    return BackwardPage(steps=steps, graph=graph, story=story)


# ------------------------------------------------------------------------ the result
@dataclass(eq=False)
class BackwardPage:
    """What `draw_backward` returns: the steps, and the page and GIF made from them.

    Attributes:
        steps: the `BackwardStep` of every node, in the engine's order.
        graph: the `graphviz.Digraph` the page is drawn from (without gradients).
    """

    steps: list[BackwardStep]
    graph: Any
    story: _Story = field(repr=False)
    _fragment: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"<BackwardPage of {len(self.steps)} steps: .save('x.html') or .save('x.gif')>"

    @property
    def data(self) -> dict[str, Any]:
        """The step data embedded in the page (JSON-ready): texts and exact numbers."""
        return self.story.data

    def fragment(self) -> str:
        """The page as one HTML fragment (a ``<div>`` with its style and script)."""
        if self._fragment is None:
            story = self.story
            svg = story.layout_graph().pipe(format="svg").decode("utf-8")
            # laid out with each value's widest text, it shows the finished pass (what a
            # viewer that runs no script shows); the script steps from there
            final = {
                name: (story.layout_texts[name], story.states[-1][name])
                for name in story.layout_texts
            }
            self._fragment = _fragment(_replace_texts(_strip_prolog(svg), final), story.data)
        return self._fragment

    def html(self) -> str:
        """The page as a complete, self-contained HTML document."""
        title = html.escape(f"Backward pass of {self.story.data['output']}")
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<title>{title}</title>\n</head>\n<body data-agb-page="1">\n'
            f"{self.fragment()}\n</body>\n</html>\n"
        )

    def _repr_html_(self) -> str:
        return self.fragment()

    def save(self, path: str | Path, *, dpi: int = 72, seconds_per_step: float = 1.2) -> Path:
        """Write the page (``.html``) or an animation with one frame per step (``.gif``).

        Args:
            path: where to write, ending in .html or .gif.
            dpi: (GIF) resolution of the frames Graphviz renders.
            seconds_per_step: (GIF) how long each frame shows (the first and last longer).

        Returns:
            The path written.

        Raises:
            ValueError: for another suffix.
            ImportError: for ``.gif`` without Pillow (the message names the extra).
            GraphvizNotFoundError: if Graphviz's ``dot`` is not installed.
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".html", ".htm", ".gif"):
            raise ValueError(
                f"BackwardPage.save: the file must end in .html or .gif, got {path.name!r}"
            )
        if suffix != ".gif":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.html(), encoding="utf-8")
            return path
        frames = self.gif_frames(dpi=dpi)  # (checks for Pillow before any file is touched)
        step = round(1000 * seconds_per_step)
        durations = [step] * len(frames)
        durations[0] = durations[-1] = 3 * step
        path.parent.mkdir(parents=True, exist_ok=True)
        palette = _gif_palette()
        images = [frame.quantize(palette=palette, dither=0) for frame in frames]
        images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=0)
        return path

    def frame_graphs(self) -> list[Any]:
        """One `graphviz.Digraph` per position (before the first step, then after each),
        all laid out alike: the frames of the GIF."""
        story = self.story
        sizes = _node_sizes(story.layout_graph())
        return [story.frame_graph(position, sizes) for position in range(len(self.steps) + 1)]

    def gif_frames(self, dpi: int = 72) -> list[Any]:
        """The GIF's frames as Pillow images (the picture, the step's text below it)."""
        try:
            from PIL import Image, ImageDraw, ImageFont
        except ImportError as exc:
            raise ImportError(GIF_HINT) from exc
        try:
            font: Any = ImageFont.load_default(size=max(12, round(16 * dpi / 72)))
        except TypeError:  # Pillow < 10.1: the small bitmap font
            font = ImageFont.load_default()
        graphs = self.frame_graphs()
        for graph in graphs:
            graph.graph_attr["dpi"] = str(dpi)
        # one `dot` process per frame, a few at a time (they wait on Graphviz, not Python)
        with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
            pngs = list(pool.map(lambda graph: graph.pipe(format="png"), graphs))
        pictures = [Image.open(io.BytesIO(png)).convert("RGB") for png in pngs]
        width = max(picture.width for picture in pictures)
        height = max(picture.height for picture in pictures)
        captions = [self.story.caption(position) for position in range(len(pictures))]
        line_height = max(14, round(22 * dpi / 72))
        text_height = line_height * max(len(lines) for lines in captions) + 16
        frames = []
        for picture, lines in zip(pictures, captions):
            frame = Image.new("RGB", (width, height + text_height), "white")
            frame.paste(picture, (0, 0))
            draw = ImageDraw.Draw(frame)
            for number, line in enumerate(lines):
                colour = (0, 0, 0) if number == 0 else (40, 40, 40)
                draw.text((12, height + 8 + number * line_height), line, fill=colour, font=font)
            frames.append(frame)
        return frames


def _gif_palette() -> Any:
    """One palette for every frame (the same colours throughout, and a fast encoding):
    white shading into black and into the two highlight colours (anti-aliased edges)."""
    from PIL import Image

    inks = [(0, 0, 0), (0xD6, 0x27, 0x28), (0x1F, 0x77, 0xB4)]
    colours: list[tuple[int, ...]] = [(255, 255, 255)]
    for ink in inks:
        for level in range(1, 17):  # (16 shades: closer ones would be confused with white)
            share = level / 16
            colours.append(tuple(round(255 + (c - 255) * share) for c in ink))
    palette = Image.new("P", (1, 1))
    palette.putpalette([channel for colour in colours for channel in colour])
    return palette


# ------------------------------------------------------------------------ grads kept
def _save_grads(output: Value | TensorBase) -> list[tuple[Any, Any]]:
    """The ``.grad`` of every Value below ``output`` (or every leaf Tensor), cleared for a
    pass of its own: the page shows this pass's totals, from zero."""
    if isinstance(output, Value):
        saved = [(value, value.grad) for value in values_below(output)]
        for value, _ in saved:
            value.grad = 0.0
        return saved
    vertex = output._vertex()
    if vertex is None:
        return []
    leaves = [v for v in vertices_below(vertex) if isinstance(v, TensorBase)]
    saved = [(leaf, leaf.grad) for leaf in leaves]
    for leaf in leaves:
        leaf.grad = None
    return saved


def _restore_grads(saved: list[tuple[Any, Any]]) -> None:
    for holder, grad in saved:
        holder.grad = grad


# ------------------------------------------------------------------------ the story
def _exact(value: Any) -> Any:
    """A number or array as JSON: floats exactly (their repr round-trips), an array as
    {"shape", "data": its elements in C order}; non-finite numbers as text ("nan", "inf")."""
    if value is None:
        return None
    if isinstance(value, tuple):
        return [_exact(item) for item in value]
    if isinstance(value, float) or np.ndim(value) == 0 and not isinstance(value, np.ndarray):
        number = float(value)
        return number if math.isfinite(number) else str(number)
    array = np.asarray(value, dtype=float)
    if array.size > _EXACT_LIMIT:
        return {"shape": list(array.shape), "data": None}
    data = [number if math.isfinite(number) else str(number) for number in array.ravel()]
    return {"shape": list(array.shape), "data": data}


@dataclass(eq=False)
class _Story:
    """Everything the page and the GIF show, as text, from the steps."""

    base: Any  # the Digraph drawn without gradients
    labels: dict[str, str]  # DOT name -> its label in ``base`` (for nodes showing a grad)
    layout_texts: dict[str, str]  # DOT name -> the widest grad text it takes (lays it out)
    states: list[dict[str, str]]  # per position: DOT name -> grad text
    data: dict[str, Any]

    @classmethod
    def build(
        cls,
        output: Value | Tensor,
        steps: list[BackwardStep],
        graph: Any,
        digits: int,
        grad: Any,
    ) -> _Story:
        is_value = isinstance(output, Value)

        def number(value: Any) -> str:
            if value is None:
                return "none"
            if isinstance(value, tuple):
                return "(" + ", ".join(number(item) for item in value) + ")"
            if is_value:
                return f"{value:.{digits}g}"
            return _array_text(np.asarray(value))

        labels = _node_labels(graph.body)
        names = dot_names(output)
        root_vertex = output if isinstance(output, Value) else output._vertex()

        def dot_name(node: Any, slot: int = 0) -> str | None:
            """The drawn node holding the value of ``node`` (output ``slot``), if drawn."""
            if node is None or id(node) not in names:
                return None
            name = names[id(node)]
            if not is_value and not isinstance(node, TensorBase):
                name = f"{name}_out{slot}"
            return name if name in labels else None

        def op_name(node: Any) -> str | None:
            """The drawn node of the operation that produced ``node``."""
            if id(node) not in names:
                return None
            name = names[id(node)] + ("_op" if is_value else "")
            return name if name in labels else None

        output_name = steps[0].name if steps else _plain_name(output)
        root_name = dot_name(root_vertex, 0 if isinstance(output, Value) else output._slot)
        seed = _seed_value(output, grad)
        state: dict[str, str] = {}
        # every drawn value gets a gradient text: "?" until the pass reaches it
        grad_names = [name for name in _value_names(output, names) if name in labels]
        for name in grad_names:
            state[name] = UNREACHED
        if root_name is not None:
            state[root_name] = "grad " + number(seed)
        initial = dict(state)
        states = [dict(state)]
        step_data = []
        for step in steps:
            slots = _input_slots(step)
            changes: dict[str, str] = {}
            inputs = []
            for position, node in enumerate(step.inputs):
                target = dot_name(node, slots[position])
                total = step.accumulated[position]
                if target is not None and total is not None:
                    changes[target] = "grad " + number(total)
                inputs.append(
                    {
                        "node": target,
                        "name": step.input_names[position],
                        "local": _exact(step.local[position]),
                        "contribution": _exact(step.contribution[position]),
                        "accumulated": _exact(total),
                        "local_text": number(step.local[position]),
                        "contribution_text": number(step.contribution[position]),
                        "accumulated_text": number(total),
                    }
                )
            state.update(changes)
            states.append(dict(state))
            here = dot_name(step.node, 0) if is_value else None
            operation = op_name(step.node)
            outputs: list[str] = []
            if not is_value and id(step.node) in names:
                prefix = names[id(step.node)]
                outputs = [
                    f"{prefix}_out{slot}"
                    for slot in range(step.node._n_outputs)
                    if f"{prefix}_out{slot}" in labels
                ]
            # the value node first: the callout is placed beside it
            current = [name for name in (here, *outputs, operation) if name is not None]
            if is_value:
                arriving = [[operation, here]] if here and operation else []
            else:
                arriving = [[operation, out] for out in outputs] if operation else []
            sources = [dot_name(node, slots[position]) for position, node in enumerate(step.inputs)]
            sending = [[source, operation] for source in sources if source and operation]
            targets = sorted({source for source in sources if source})
            title, lines, callout = _step_text(step, output_name, is_value, number)
            step_data.append(
                {
                    "index": step.index,
                    "node": here or operation,
                    "op": step.op,
                    "name": step.name,
                    "upstream": _exact(step.upstream),
                    "upstream_text": number(step.upstream),
                    "inputs": inputs,
                    "grads": changes,
                    "current": current,
                    "targets": targets,
                    "arriving": arriving,
                    "sending": sending,
                    "title": f"Step {step.index + 1} of {len(steps)}: {title}",
                    "lines": lines,
                    "callout": callout,
                }
            )
        layout_texts = {name: max((s[name] for s in states), key=len) for name in grad_names}
        seed_text = number(seed)
        data = {
            "kind": "Value" if is_value else "Tensor",
            "output": output_name,
            "digits": digits,
            "seed": _exact(seed),
            "root": root_name,  # the drawn node of the output (None when not drawn)
            "grad_nodes": {
                name: {"initial": initial[name], "final": state[name]} for name in grad_names
            },
            "start": {
                "title": f"Before the first step: d {output_name} / d {output_name} = "
                f"{seed_text} (the seed)",
                "lines": [
                    f"{len(steps)} steps, in the order backward() runs them. Press Next "
                    "(or the right arrow key) to run the first."
                ],
            },
            "end": {
                "title": f"Done: all {len(steps)} steps ran; every gradient shown is final "
                "(what backward() leaves, from zero)",
            },
            "steps": step_data,
        }
        return cls(graph, labels, layout_texts, states, data)

    # -------------------------------------------------------------------- pictures
    def _graph_with(self, texts: dict[str, str]) -> Any:
        graph = self.base.copy()
        for name, text in texts.items():
            graph.node(name, label=f"{self.labels[name]} | {_escape(text)}")
        return graph

    def layout_graph(self) -> Any:
        """The picture with each value's widest gradient text: the page's layout."""
        return self._graph_with(self.layout_texts)

    def frame_graph(self, position: int, sizes: dict[str, tuple[str, str]]) -> Any:
        """The picture at ``position`` (0: before the first step; k: after step k), every
        node at its size in the layout so that all frames are laid out alike."""
        graph = self._graph_with(self.states[position])
        if position:
            step = self.data["steps"][position - 1]
            graph.body = _colour_edges(graph.body, step["arriving"], _CURRENT)
            graph.body = _colour_edges(graph.body, step["sending"], _TARGET)
            for name in step["current"]:
                graph.node(name, color=_CURRENT, penwidth="3", fontcolor=_CURRENT)
            for name in step["targets"]:
                graph.node(name, color=_TARGET, penwidth="3")
        for name, (width, height) in sizes.items():
            graph.node(name, width=width, height=height, fixedsize="true")
        return graph

    def caption(self, position: int) -> list[str]:
        """The text under a GIF frame."""
        if position == 0:
            start = self.data["start"]
            return [start["title"], *start["lines"]]
        step = self.data["steps"][position - 1]
        lines = [step["title"], *step["lines"]]
        if position == len(self.data["steps"]):
            lines.append(self.data["end"]["title"])
        return lines


def _step_text(
    step: BackwardStep, output_name: str, is_value: bool, number: Callable[[Any], str]
) -> tuple[str, list[str], list[str]]:
    """The title, the panel's lines and the callout's lines of one step."""
    title = f"{step.name} ({step.op})" if step.label else step.name
    lines = [f"upstream d {output_name} / d {step.name} = {number(step.upstream)}"]
    callout = (
        ["upstream x local = contribution"] if is_value else [f"upstream {number(step.upstream)}"]
    )
    for name, local, sent, total in zip(
        step.input_names, step.local, step.contribution, step.accumulated
    ):
        if sent is None:
            lines.append(f"-> {name}: no gradient")
            continue
        if is_value:
            product = f"{number(step.upstream)} x {number(local)} = {number(sent)}"
            lines.append(f"-> {name}: upstream x local = {product}  (so far {number(total)})")
            callout.append(f"{product} -> {name}")
        else:
            lines.append(f"-> {name}: sends {number(sent)}  (so far {number(total)})")
            callout.append(f"sends {number(sent)} -> {name}")
    return title, lines, callout


def _plain_name(output: Any) -> str:
    label = getattr(output, "label", "")
    return label or "output"


def _seed_value(output: Value | TensorBase, grad: Any) -> Any:
    if isinstance(output, Value):
        return 1.0 if grad is None else float(grad)
    if grad is None:
        return np.ones(output.shape, dtype=output.dtype)
    return np.asarray(getattr(grad, "data", grad), dtype=output.dtype)


def _value_names(output: Value | TensorBase, names: dict[int, str]) -> list[str]:
    """The DOT names of the nodes that stand for a value (which shows a gradient): every
    Value; a Tensor graph's leaves and op outputs (not its op boxes or constants)."""
    if isinstance(output, Value):
        return [names[id(value)] for value in values_below(output)]
    vertex = output._vertex()
    if vertex is None or vertex is output:
        return list(names.values())
    found = []
    for each in vertices_below(vertex):
        if isinstance(each, TensorBase):
            found.append(names[id(each)])
        else:
            found += [f"{names[id(each)]}_out{slot}" for slot in range(each._n_outputs)]
    return found


def _input_slots(step: BackwardStep) -> tuple[int, ...]:
    slots = getattr(step.node, "_parent_slots", None)
    return tuple(slots) if slots else (0,) * len(step.inputs)


_NODE_LINE = re.compile(r'^\t(\w+) \[label=("(?:[^"\\]|\\.)*"|[^\s\]]+)')
_EDGE_LINE = re.compile(r"^\t(\w+) -> (\w+)(?: \[.*\])?$")


def _node_labels(body: list[str]) -> dict[str, str]:
    """DOT name -> label text of every node statement in a Digraph's body."""
    labels = {}
    for line in body:
        match = _NODE_LINE.match(line)
        if match:
            label = match.group(2)
            labels[match.group(1)] = label[1:-1] if label.startswith('"') else label
    return labels


def _colour_edges(body: list[str], edges: list[list[str]], colour: str) -> list[str]:
    """``body`` with the edges ``[tail, head]`` drawn in ``colour`` (a second attribute list
    on their statements: DOT lets a later list override an earlier one)."""
    wanted = {(tail, head) for tail, head in edges}
    out = []
    for line in body:
        match = _EDGE_LINE.match(line.rstrip("\n"))
        if match and (match.group(1), match.group(2)) in wanted:
            line = line.rstrip("\n") + f' [color="{colour}" penwidth=3]\n'
        out.append(line)
    return out


def _node_sizes(graph: Any) -> dict[str, tuple[str, str]]:
    """DOT name -> (width, height) in inches, as Graphviz lays ``graph`` out."""
    sizes = {}
    for line in graph.pipe(format="plain").decode("utf-8").splitlines():
        parts = line.split(" ", 6)
        if parts[0] == "node":
            sizes[parts[1].strip('"')] = (parts[4], parts[5])
    return sizes


def _replace_texts(svg: str, texts: dict[str, tuple[str, str]]) -> str:
    """``svg`` with, in the node titled ``name``, the text ``old`` replaced by ``new``
    (``texts``: name -> (old, new); Graphviz escapes some characters, e.g. "-" as &#45;)."""
    parts = svg.split("<title>")
    for index in range(1, len(parts)):
        name, _, rest = parts[index].partition("</title>")
        change = texts.get(html.unescape(name))
        if change is None:
            continue
        old, new = change
        for match in _SVG_TEXT.finditer(rest):  # the first text that reads ``old``
            if html.unescape(match.group(2)) == old:
                start, end = match.span(2)
                rest = rest[:start] + html.escape(new, quote=False) + rest[end:]
                break
        parts[index] = name + "</title>" + rest
    return "<title>".join(parts)


_SVG_TEXT = re.compile(r"(<text\b[^>]*>)(.*?)(</text>)", re.S)


def _strip_prolog(svg: str) -> str:
    """The ``<svg>`` element alone (no XML declaration, doctype or comments before it)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


# ------------------------------------------------------------------------ the page
_STYLE = """
#ID { font-family: Helvetica, Arial, sans-serif; outline: none; }
#ID .agb-bar { display: flex; gap: .5em; align-items: center; margin: .3em 0; }
#ID .agb-bar button { font-size: 14px; padding: .2em .8em; cursor: pointer; }
#ID .agb-counter { color: #555; font-size: 13px; }
#ID .agb-stage { position: relative; overflow: auto; max-height: 80vh;
  border: 1px solid #ddd; }
#ID .agb-stage svg { display: block; max-width: none; height: auto; }
#ID .agb-callout { position: absolute; display: none; pointer-events: none;
  background: rgba(255, 255, 235, .96); border: 1px solid #d62728; border-radius: 4px;
  padding: .25em .5em; font: 12px/1.35 Menlo, Consolas, monospace; white-space: pre;
  color: #222; box-shadow: 0 1px 4px rgba(0, 0, 0, .2); }
#ID .agb-title { font-weight: bold; margin-top: .5em; }
#ID .agb-lines { font: 13px/1.5 Menlo, Consolas, monospace; white-space: pre-wrap; }
#ID g.agb-current polygon, #ID g.agb-current ellipse, #ID g.agb-current polyline {
  stroke: #d62728; stroke-width: 3px; }
#ID g.agb-current > polygon:first-of-type, #ID g.agb-current > ellipse { fill: #fdecec; }
#ID g.agb-target polygon, #ID g.agb-target ellipse, #ID g.agb-target polyline {
  stroke: #1f77b4; stroke-width: 3px; }
#ID g.agb-arriving path { stroke: #d62728; stroke-width: 3px; }
#ID g.agb-arriving polygon { stroke: #d62728; fill: #d62728; }
#ID g.agb-sending path { stroke: #1f77b4; stroke-width: 3px; }
#ID g.agb-sending polygon { stroke: #1f77b4; fill: #1f77b4; }
#ID text.agb-fresh { fill: #1f77b4; font-weight: bold; }
"""

_SCRIPT = r"""
(function () {
  var root = document.getElementById("ID");
  if (!root || root.getAttribute("data-agb-ready")) { return; }
  root.setAttribute("data-agb-ready", "1");
  var data = JSON.parse(root.querySelector("script.agb-data").textContent);
  var stage = root.querySelector(".agb-stage");
  var callout = root.querySelector(".agb-callout");
  var steps = data.steps, n = steps.length, position = 0, timer = null;
  var groups = {};
  stage.querySelectorAll("g.node, g.edge").forEach(function (g) {
    var title = g.querySelector("title");
    if (title) { (groups[title.textContent] = groups[title.textContent] || []).push(g); }
  });
  var gradText = {};
  Object.keys(data.grad_nodes).forEach(function (name) {
    (groups[name] || []).forEach(function (g) {
      g.querySelectorAll("text").forEach(function (t) {
        if (t.textContent === data.grad_nodes[name].final) { gradText[name] = t; }
      });
    });
  });
  var marks = ["agb-current", "agb-target", "agb-arriving", "agb-sending"];
  function mark(names, cls) {
    names.forEach(function (name) {
      (groups[name] || []).forEach(function (g) { g.classList.add(cls); });
    });
  }
  function edges(pairs) { return pairs.map(function (p) { return p[0] + "->" + p[1]; }); }
  function place(step) {
    var first = null;
    step.current.forEach(function (name) {
      if (!first && groups[name]) { first = groups[name][0]; }
    });
    if (!first) { callout.style.display = "none"; return; }
    callout.textContent = step.callout.join("\n");
    callout.style.display = "block";
    if (first.scrollIntoView) { first.scrollIntoView({block: "nearest", inline: "nearest"}); }
    var box = first.getBoundingClientRect(), frame = stage.getBoundingClientRect();
    var left = box.right - frame.left + stage.scrollLeft + 8;
    var top = box.top - frame.top + stage.scrollTop;
    if (box.right + 8 + callout.offsetWidth > frame.left + stage.clientWidth) {
      left = Math.max(0, box.left - frame.left + stage.scrollLeft - callout.offsetWidth - 8);
    }
    callout.style.left = left + "px";
    callout.style.top = top + "px";
  }
  function show(p) {
    position = Math.max(0, Math.min(n, p));
    var texts = {}, fresh = {};
    Object.keys(data.grad_nodes).forEach(function (name) {
      texts[name] = data.grad_nodes[name].initial;
    });
    for (var k = 0; k < position; k++) {
      Object.keys(steps[k].grads).forEach(function (name) {
        texts[name] = steps[k].grads[name];
        if (k === position - 1) { fresh[name] = true; }
      });
    }
    Object.keys(gradText).forEach(function (name) {
      gradText[name].textContent = texts[name];
      gradText[name].classList.toggle("agb-fresh", !!fresh[name]);
    });
    marks.forEach(function (cls) {
      stage.querySelectorAll("." + cls).forEach(function (g) { g.classList.remove(cls); });
    });
    var title, lines;
    if (position === 0) {
      title = data.start.title; lines = data.start.lines; callout.style.display = "none";
      var start = data.root && groups[data.root];  // backward starts at the output
      if (start && start[0].scrollIntoView) {
        start[0].scrollIntoView({block: "nearest", inline: "nearest"});
      }
    } else {
      var step = steps[position - 1];
      mark(step.current, "agb-current");
      mark(step.targets, "agb-target");
      mark(edges(step.arriving), "agb-arriving");
      mark(edges(step.sending), "agb-sending");
      title = step.title; lines = step.lines.slice();
      if (position === n) { lines.push(data.end.title); }
      place(step);
    }
    root.querySelector(".agb-title").textContent = title;
    root.querySelector(".agb-lines").textContent = lines.join("\n");
    root.querySelector(".agb-counter").textContent = "step " + position + " of " + n;
    root.querySelector(".agb-back").disabled = position === 0;
    root.querySelector(".agb-next").disabled = position === n;
    root.setAttribute("data-position", String(position));
  }
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    root.querySelector(".agb-play").textContent = "\u25B6 Play";
  }
  function play() {
    if (timer !== null) { stop(); return; }
    if (position === n) { show(0); }
    root.querySelector(".agb-play").textContent = "\u275A\u275A Pause";
    timer = setInterval(function () {
      if (position >= n) { stop(); } else { show(position + 1); }
    }, 1000);
  }
  function go(to) { stop(); show(to); }
  root.querySelector(".agb-next").addEventListener("click", function () { go(position + 1); });
  root.querySelector(".agb-back").addEventListener("click", function () { go(position - 1); });
  root.querySelector(".agb-play").addEventListener("click", play);
  var keys = document.body.hasAttribute("data-agb-page") ? document : root;
  keys.addEventListener("keydown", function (event) {
    var key = event.key;
    if (key === "ArrowRight" || key === "ArrowDown") { go(position + 1); }
    else if (key === "ArrowLeft" || key === "ArrowUp") { go(position - 1); }
    else if (key === "Home") { go(0); }
    else if (key === "End") { go(n); }
    else if (key === " ") { play(); }
    else { return; }
    event.preventDefault();
  });
  show(0);
})();
"""


def _fragment(svg: str, data: dict[str, Any]) -> str:
    uid = "agb" + uuid.uuid4().hex[:10]
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    script = _SCRIPT.replace('"ID"', json.dumps(uid))
    return (
        f'<div class="agb" id="{uid}" tabindex="0">\n'
        f"<style>{_STYLE.replace('#ID', '#' + uid)}</style>\n"
        '<div class="agb-bar">'
        '<button type="button" class="agb-back">&#9664; Back</button>'
        '<button type="button" class="agb-play">&#9654; Play</button>'
        '<button type="button" class="agb-next">Next &#9654;</button>'
        '<span class="agb-counter"></span></div>\n'
        f'<div class="agb-stage">{svg}<div class="agb-callout"></div></div>\n'
        '<div class="agb-title">The finished backward pass (step through it in a browser '
        "that runs the page's script, or a trusted notebook)</div>"
        '<div class="agb-lines"></div>\n'
        f'<script type="application/json" class="agb-data">{payload}</script>\n'
        f"<script>{script}</script>\n"
        "</div>"
    )
