"""Charts as inline SVG geometry: bars computed here, drawn by the templates.

No JavaScript and no inline styles: colours come from the static stylesheet, so
the pages work under a strict Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 640
HEIGHT = 160
_GAP = 4


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # shown as the bar's tooltip (<title>)


@dataclass(frozen=True, slots=True)
class Chart:
    """A bar chart: ``width`` x ``height`` view box, bars from the bottom up."""

    title: str
    bars: tuple[Bar, ...]
    width: int = WIDTH
    height: int = HEIGHT


def bar_chart(title: str, points: Sequence[tuple[str, float, str]]) -> Chart | None:
    """Bars for ``(name, value, label)`` points, scaled to the largest; None when empty."""
    if not points:
        return None
    top = max(value for _, value, _ in points) or 1.0
    step = WIDTH / len(points)
    bars = []
    for index, (name, value, label) in enumerate(points):
        height = max(value, 0.0) / top * (HEIGHT - 10)
        bars.append(
            Bar(
                x=round(index * step + _GAP / 2, 1),
                y=round(HEIGHT - height, 1),
                width=round(max(step - _GAP, 1.0), 1),
                height=round(height, 1),
                label=f"{name}: {label}",
            )
        )
    return Chart(title, tuple(bars))
