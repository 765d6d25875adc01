"""``python -m app report margins|outliers|retries --period YYYY-MM [--json]``.

The operator's view of every workspace, from the same queries as the
``/v1/reports`` endpoints and the ``/admin`` pages. Tables (or, with ``--json``,
the endpoints' JSON bodies) go to stdout.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.cli import add_group
from app.core.catalog import WORKFLOWS
from app.core.config import get_settings
from app.core.db import create_engine_for
from app.services.reports import ALL_WORKSPACES, Period, PeriodError, ReportFilter, Reports
from app.services.reports.payloads import margins_body, outliers_body, retries_body
from app.services.reports.tables import Table, margins_tables, outliers_table, retries_table
from app.services.usage.tenancy import TenantDatabase

REPORTS = {
    "margins": "revenue, spend and margin per workspace; profitability per workflow",
    "outliers": "users spending more than three times the median user",
    "retries": "retry and failure spend per workspace and workflow",
}


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers: Any) -> None:
    """Add the ``report`` group and its commands."""
    commands = add_group(
        subparsers,
        "report",
        "margins, outlier users and retry spend of every workspace",
        "Reports from the usage ledger over every workspace (the operator's view). "
        "The same numbers as GET /v1/reports/... and the /admin pages.",
    )
    for name, help_text in REPORTS.items():
        command = commands.add_parser(name, help=help_text, description=help_text.capitalize())
        command.add_argument(
            "--period",
            type=_period,
            default=None,
            help="the month, YYYY-MM (default: this month, UTC)",
        )
        command.add_argument("--workflow", choices=sorted(WORKFLOWS), help="only this workflow")
        command.add_argument("--json", action="store_true", help="print the JSON body instead")
        command.add_argument("--url", help="database URL (default: DATABASE_URL, then SQLite)")
        command.set_defaults(handler=report_command, report=name)


async def report_command(args: argparse.Namespace) -> int:
    """Print the chosen report for every workspace."""
    flt = ReportFilter(ALL_WORKSPACES, args.period or Period.current(), args.workflow)
    engine = create_engine_for(args.url or get_settings().database_url)
    try:
        reports = Reports(TenantDatabase(engine))
        tables: tuple[Table, ...]
        if args.report == "margins":
            margins = await reports.margins(flt)
            body: Any = margins_body(margins)
            tables = margins_tables(margins)
            summary = (
                f"revenue {body.revenue_usd} USD, spend {body.spend_usd} USD, "
                f"margin {body.margin_usd} USD"
            )
        elif args.report == "outliers":
            outliers = await reports.outliers(flt)
            body, tables, summary = outliers_body(outliers), (outliers_table(outliers),), ""
        else:
            retries = await reports.retries(flt)
            body, tables = retries_body(retries), (retries_table(retries),)
            summary = f"retry spend {body.retry_spend_usd} USD, wasted {body.wasted_usd} USD"
    finally:
        await engine.dispose()
    if args.json:
        print(body.model_dump_json(indent=2))
        return 0
    print(f"{args.report} for {flt.period.label}, every workspace", file=sys.stderr)
    print("\n\n".join(table.text() for table in tables))
    if summary:
        print(f"\n{summary}")
    return 0
