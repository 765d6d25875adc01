"""``archgen tco SPEC``: the spec's total cost of ownership, as in ``docs/cost/tco.md``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from archgen.cli._io import emit_json, err, reporting
from archgen.spec import load_spec


def _table(
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    text_columns: Sequence[int] = (0,),
) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for i, header in enumerate(headers):
        # Figures right-aligned and never broken; names and notes (text columns) wrap.
        text = i in text_columns
        table.add_column(
            header, justify="left" if text else "right", no_wrap=not text, min_width=len(header)
        )
    for row in rows:
        table.add_row(*row)
    return table


def tco(
    spec: Annotated[Path, typer.Argument(help="The spec file (YAML).", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the model as JSON.")] = False,
    mau: Annotated[
        list[int] | None,
        typer.Option(
            "--mau",
            min=1,
            help="Monthly active users to model (repeat for several); default: the spec's tco.mau.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Model monthly cost, revenue and margin per tier at each scale point.

    The same figures as the generated docs/cost/tco.md: tables on stderr, or the
    model as JSON on stdout with --json. Exit 2 with every problem for a bad spec.
    """
    from archgen.tco import tco_context  # only when run

    with reporting(as_json=as_json):
        product = load_spec(spec)
        view = tco_context(product, mau)
        if as_json:
            emit_json(view["json"])
            return
        _show(product.product.name, view)


# Wide enough for every table; a terminal's own width wins when it is wider.
_MIN_WIDTH = 120


def _show(name: str, view: dict[str, Any]) -> None:
    tables = [
        _table("Assumptions", ["assumption", "value", "from"], view["assumptions"], (0, 1, 2)),
        _table(
            "Cost per request (the model routing picks first)",
            ["tier", "workflow", "model", "share", "input tok", "output tok", "cache hits",
             "per call", "per request"],
            view["workflows"],
            (0, 1, 2),
        ),
        _table(
            "Per user and month",
            ["tier", "price", "cap", "of MAU", "requests", "per request", "LLM cost", "note"],
            view["tiers"],
            (0, 7),
        ),
        _table(
            "By scale",
            ["MAU", "requests", "revenue", "LLM", "infra", "total cost", "profit", "margin"],
            view["scale"],
        ),
        _table(
            "By tier and scale",
            ["MAU", "tier", "users", "requests", "revenue", "cost/user", "margin",
             "max profitable cap"],
            view["tier_scale"],
            (1,),
        ),
    ]  # fmt: skip
    out = Console(stderr=True, highlight=False, width=max(err.width, _MIN_WIDTH))
    out.print(f"[bold]{escape(name)}[/]: total cost of ownership, USD per month")
    for table in tables:
        out.print(table)
    out.print(f"Break-even: {view['break_even']}", soft_wrap=True, markup=False)
    for warning in view["warnings"]:
        out.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
