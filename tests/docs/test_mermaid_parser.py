"""The chart checker rejects what Mermaid would (so a passing docs test means something)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from archgen.tco.charts import xychart
from tests.docs.mermaid import MermaidError, parse_xychart

GOOD = """xychart-beta
    title "Cost"
    x-axis ["100", "1,000"]
    y-axis "USD" 0 --> 10.00
    bar [1.50, 2.00]
    line [3, 9.99]
"""


def test_a_good_chart_parses() -> None:
    chart = parse_xychart(GOOD)
    assert chart.categories == ["100", "1,000"]
    assert chart.series == [("bar", [1.5, 2.0]), ("line", [3.0, 9.99])]


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (GOOD.replace("xychart-beta", "xychart"), "xychart-beta"),
        (GOOD.replace("[1.50, 2.00]", "[1.50]"), "1 values for 2 categories"),
        (GOOD.replace("[3, 9.99]", "[3, 12]"), "outside the y range"),
        (GOOD.replace('["100", "1,000"]', "[100, 1,000]"), "not xychart syntax"),
        (GOOD.replace("0 --> 10.00", "10 --> 0"), "empty y range"),
        (GOOD.replace("bar [1.50, 2.00]", "bar [1,50, 2.00]"), "3 values"),
    ],
)
def test_broken_charts_are_refused(broken: str, message: str) -> None:
    with pytest.raises(MermaidError, match=message):
        parse_xychart(broken)


def test_the_emitter_makes_parseable_charts_with_room_above_the_data() -> None:
    chart = parse_xychart(
        xychart(
            "t", ["a", "b", "c"], "USD", bars=[Decimal("0.004"), Decimal(0), Decimal("12345.678")]
        )
    )
    assert chart.y_range is not None and chart.y_range[1] >= 12345.68
    assert chart.series == [("bar", [0.0, 0.0, 12345.68])]
