"""The page draw_backward writes: the Graphviz SVG with its texts made swappable, the style
and the small script (no network, no CDN) that steps through the story."""

from __future__ import annotations

import html
import json
import re
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


_NODE_LINE = re.compile(r'^\t(\w+) \[label=("(?:[^"\\]|\\.)*"|[^\s\]]+)')
_EDGE_LINE = re.compile(r"^\t(\w+) -> (\w+)(?: \[.*\])?$")


def node_labels(body: list[str]) -> dict[str, str]:
    """DOT name -> label text of every node statement in a Digraph's body."""
    labels = {}
    for line in body:
        match = _NODE_LINE.match(line)
        if match:
            label = match.group(2)
            labels[match.group(1)] = label[1:-1] if label.startswith('"') else label
    return labels


def colour_edges(body: list[str], edges: list[list[str]], colour: str) -> list[str]:
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


def node_sizes(graph: Any) -> dict[str, tuple[str, str]]:
    """DOT name -> (width, height) in inches, as Graphviz lays ``graph`` out."""
    sizes = {}
    for line in graph.pipe(format="plain").decode("utf-8").splitlines():
        parts = line.split(" ", 6)
        if parts[0] == "node":
            sizes[parts[1].strip('"')] = (parts[4], parts[5])
    return sizes


def replace_texts(svg: str, texts: dict[str, tuple[str, str]]) -> str:
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


def strip_prolog(svg: str) -> str:
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


def page_fragment(svg: str, data: dict[str, Any]) -> str:
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
