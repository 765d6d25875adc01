"""A structural parser for the Mermaid ``xychart-beta`` blocks archgen writes.

Mermaid's own CLI needs a headless browser; this checks what its grammar requires
of the subset we emit: the header, at most one title, a categorical x axis, a
numeric y range, and bar/line series with one number per category inside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_STRING = r'"[^"\n]*"'
_NUMBER = r"-?\d+(?:\.\d+)?"
_TITLE = re.compile(rf"^title\s+({_STRING})$")
_X_AXIS = re.compile(rf"^x-axis\s+\[\s*({_STRING}(?:\s*,\s*{_STRING})*)\s*\]$")
_Y_AXIS = re.compile(rf"^y-axis\s+({_STRING})\s+({_NUMBER})\s+-->\s+({_NUMBER})$")
_SERIES = re.compile(rf"^(bar|line)\s+\[\s*({_NUMBER}(?:\s*,\s*{_NUMBER})*)\s*\]$")


class MermaidError(ValueError):
    """The block is not a valid chart of the shape we emit."""


@dataclass
class XYChart:
    title: str | None = None
    categories: list[str] = field(default_factory=list)
    y_range: tuple[float, float] | None = None
    series: list[tuple[str, list[float]]] = field(default_factory=list)


def _strings(text: str) -> list[str]:
    return [s[1:-1] for s in re.findall(_STRING, text)]


def parse_xychart(block: str) -> XYChart:
    """Parse one block (without fences); raise ``MermaidError`` naming the bad line."""
    lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
    if not lines or lines[0] != "xychart-beta":
        raise MermaidError(f"expected 'xychart-beta' first, got {lines[:1]}")
    chart = XYChart()
    for number, line in enumerate(lines[1:], start=2):
        if m := _TITLE.match(line):
            if chart.title is not None:
                raise MermaidError(f"line {number}: a second title")
            chart.title = m.group(1)[1:-1]
        elif m := _X_AXIS.match(line):
            chart.categories = _strings(m.group(1))
        elif m := _Y_AXIS.match(line):
            low, high = float(m.group(2)), float(m.group(3))
            if not low < high:
                raise MermaidError(f"line {number}: empty y range {low} --> {high}")
            chart.y_range = (low, high)
        elif m := _SERIES.match(line):
            chart.series.append((m.group(1), [float(v) for v in m.group(2).split(",")]))
        else:
            raise MermaidError(f"line {number}: not xychart syntax: {line!r}")
    if not chart.categories:
        raise MermaidError("no x-axis categories")
    if not chart.series:
        raise MermaidError("no bar or line series")
    for kind, values in chart.series:
        if len(values) != len(chart.categories):
            raise MermaidError(
                f"{kind} has {len(values)} values for {len(chart.categories)} categories"
            )
        if chart.y_range and not all(chart.y_range[0] <= v <= chart.y_range[1] for v in values):
            raise MermaidError(f"{kind} values {values} fall outside the y range {chart.y_range}")
    return chart


def mermaid_blocks(markdown: str) -> list[str]:
    """The contents of every ```mermaid fence in ``markdown``."""
    return re.findall(r"^```mermaid\n(.*?)^```$", markdown, flags=re.M | re.S)
