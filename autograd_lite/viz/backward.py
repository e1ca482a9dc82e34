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
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..engine.tensor_base import TensorBase
from ..scalar.value import Value
from ..scalar.walk import values_below
from ..stepping.steps import BackwardStep, backward_steps
from .backward_page import node_sizes, page_fragment, replace_texts, strip_prolog
from .backward_story import _Story
from .draw import draw_graph
from .layout import vertices_below

if TYPE_CHECKING:
    from ..tensor import Tensor

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
        >>> page = draw_backward(y)          # page.save("y_backward.html"), or shown inline
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
            self._fragment = page_fragment(replace_texts(strip_prolog(svg), final), story.data)
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
        sizes = node_sizes(story.layout_graph())
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
