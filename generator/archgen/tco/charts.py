"""Mermaid ``xychart-beta`` charts: GitHub renders them in Markdown, no CDN or image."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

_CENT = Decimal("0.01")


def _label(text: str) -> str:
    # Mermaid strings cannot escape a double quote; our labels never hold one.
    return '"' + text.replace('"', "'") + '"'


def _value(value: Decimal) -> str:
    return f"{value.quantize(_CENT, rounding=ROUND_HALF_UP):f}"


def _axis_top(values: Sequence[Decimal]) -> Decimal:
    """A round upper bound a little above the largest value (at least 1)."""
    top = max([Decimal(1), *values]) * Decimal("1.1")
    magnitude = Decimal(10) ** (top.adjusted() - 1)  # two significant digits
    return (top / magnitude).to_integral_value(rounding=ROUND_CEILING) * magnitude


def xychart(
    title: str,
    categories: Sequence[str],
    y_label: str,
    *,
    bars: Sequence[Decimal],
    line: Sequence[Decimal] | None = None,
) -> str:
    """The chart's lines (no fences), one series as bars and an optional line."""
    series = [*bars, *(line or [])]
    lines = [
        "xychart-beta",
        f"    title {_label(title)}",
        f"    x-axis [{', '.join(_label(c) for c in categories)}]",
        f"    y-axis {_label(y_label)} 0 --> {_value(_axis_top(series))}",
        f"    bar [{', '.join(_value(v) for v in bars)}]",
    ]
    if line is not None:
        lines.append(f"    line [{', '.join(_value(v) for v in line)}]")
    return "\n".join(lines)
