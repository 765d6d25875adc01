"""Reports as plain tables (title, columns, text cells): what the ``/admin`` pages
show, their CSV exports and the ``report`` command's text output print.

Cells are the same text the JSON reports carry (``payloads.money``), so a number
read off a page can be compared with the API's.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.services.reports.payloads import money, share
from app.services.reports.queries import (
    CacheRow,
    MarginsReport,
    OutliersReport,
    PlanUsage,
    PromptVersionRow,
    ProviderRow,
    RetriesReport,
)


@dataclass(frozen=True, slots=True)
class Table:
    """One table: a slug (for CSV file names and test ids), a title, columns, rows."""

    slug: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def csv(self) -> str:
        """The table as CSV (RFC 4180, header row first); cells that a spreadsheet would
        run as a formula are prefixed with a quote."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.columns)
        writer.writerows([_inert(cell) for cell in row] for row in self.rows)
        return out.getvalue()

    def text(self) -> str:
        """The table aligned in columns, for a terminal."""
        widths = [len(c) for c in self.columns]
        for row in self.rows:
            widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
        lines = [self.title, ""]
        for row in (self.columns, *self.rows):
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        if not self.rows:
            lines.append("(nothing this period)")
        return "\n".join(line.rstrip() for line in lines)


def _inert(cell: str) -> str:
    # Names come from customers: "=HYPERLINK(...)" must stay text in a spreadsheet.
    return (
        "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not _number(cell) else cell
    )


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _opt(value: str | None) -> str:
    return "-" if value is None else value


def margins_tables(report: MarginsReport) -> tuple[Table, Table]:
    """Per workspace (revenue, spend, margin) and per tier and workflow."""
    workspaces = Table(
        "workspaces",
        "Margin per workspace",
        ("Workspace", "Tier", "Requests", "Revenue (USD)", "Spend (USD)", "Margin (USD)"),
        tuple(
            (
                w.name,
                _opt(w.tier),
                str(w.requests),
                money(w.revenue_micros),
                money(w.spend_micros),
                money(w.margin_micros),
            )
            for w in report.workspaces
        ),
    )
    workflows = Table(
        "workflows",
        "Workflow profitability",
        (
            "Tier",
            "Workflow",
            "Workspaces",
            "Requests",
            "Usable",
            "Spend (USD)",
            "Per request (USD)",
            "Per usable (USD)",
            "Tier price (USD)",
            "Margin per workspace (USD)",
        ),
        tuple(
            (
                w.tier,
                w.workflow,
                str(w.workspaces),
                str(w.requests),
                str(w.usable),
                money(w.spend_micros),
                money(w.cost_per_request_micros),
                "-" if w.cost_per_usable_micros is None else money(w.cost_per_usable_micros),
                money(w.tier_price_micros),
                money(w.margin_per_workspace_micros),
            )
            for w in report.workflows
        ),
    )
    return workspaces, workflows


def outliers_table(report: OutliersReport) -> Table:
    """Users spending more than ``factor`` times the median user."""
    return Table(
        "outliers",
        f"Users above {report.factor:g}x the median user's spend "
        f"(median {money(report.median_micros)} USD)",
        ("Workspace", "User", "Requests", "Spend (USD)", "Times median"),
        tuple(
            (
                o.workspace,
                o.user or ("(workspace calls)" if o.user_id is None else str(o.user_id)),
                str(o.requests),
                money(o.spend_micros),
                f"{o.times_median:.2f}",
            )
            for o in report.users
        ),
    )


def retries_table(report: RetriesReport) -> Table:
    """Retry and failure spend per workspace and workflow, most wasted first."""
    return Table(
        "retries",
        "Retry and failure spend",
        (
            "Workspace",
            "Workflow",
            "Requests",
            "Failed",
            "Failure rate",
            "Retried",
            "Retries",
            "Retry spend (USD)",
            "Failed spend (USD)",
            "Wasted (USD)",
            "Spend (USD)",
        ),
        tuple(
            (
                r.workspace,
                r.workflow,
                str(r.requests),
                str(r.failed),
                share(r.failure_share),
                str(r.retried_requests),
                str(r.retries),
                money(r.retry_spend_micros),
                money(r.failed_spend_micros),
                money(r.wasted_micros),
                money(r.spend_micros),
            )
            for r in report.rows
        ),
    )


def plans_table(rows: Sequence[PlanUsage]) -> Table:
    """Each workspace's settled spend against its cap, and soft warnings crossed."""
    return Table(
        "plans",
        "Plan usage against caps",
        ("Workspace", "Tier", "Cap (USD)", "Used (USD)", "Used", "Warns at", "Warnings crossed"),
        tuple(
            (
                p.workspace,
                p.tier,
                money(p.cap_micros),
                money(p.settled_micros),
                share(p.cap_share),
                " ".join(share(w) for w in p.soft_warnings) or "-",
                " ".join(share(float(t)) for t in p.warnings_crossed) or "-",
            )
            for p in rows
        ),
    )


def prompts_table(rows: Sequence[PromptVersionRow], arms: Mapping[str, float]) -> Table:
    """Per workflow and prompt version (``arms``: a version's experiment traffic share)."""
    return Table(
        "prompts",
        "Prompt versions",
        (
            "Workflow",
            "Prompt version",
            "Experiment share",
            "Requests",
            "Spend (USD)",
            "Per request (USD)",
            "Mean latency (ms)",
            "Usable rate",
        ),
        tuple(
            (
                p.workflow,
                _opt(p.prompt_version),
                share(arms.get(p.prompt_version)) if p.prompt_version else "-",
                str(p.requests),
                money(p.spend_micros),
                money(p.cost_per_request_micros),
                "-" if p.mean_latency_ms is None else f"{p.mean_latency_ms:.1f}",
                share(p.usable_rate),
            )
            for p in rows
        ),
    )


def cache_table(rows: Sequence[CacheRow]) -> Table:
    """Cache hits and what they saved, per workflow."""
    return Table(
        "cache",
        "Cache savings",
        ("Workflow", "Requests", "Cache hits", "Hit rate", "Saved (USD)", "Spend (USD)"),
        tuple(
            (
                c.workflow,
                str(c.requests),
                str(c.cached),
                share(c.hit_rate),
                money(c.saved_micros),
                money(c.spend_micros),
            )
            for c in rows
        ),
    )


def providers_table(
    rows: Sequence[ProviderRow], circuits: Mapping[str, Mapping[str, object]]
) -> Table:
    """Per provider: attempts, errors, failovers (ledger) and breaker state (this process)."""
    names = sorted({r.provider for r in rows} | set(circuits))
    by_name = {r.provider: r for r in rows}
    return Table(
        "providers",
        "Provider health",
        (
            "Provider",
            "Attempts",
            "Answers",
            "Errors",
            "Error rate",
            "Skipped",
            "Failovers",
            "Errors by kind",
            "Circuit",
        ),
        tuple(_provider_row(name, by_name.get(name), circuits.get(name, {})) for name in names),
    )


def _provider_row(
    name: str, row: ProviderRow | None, circuit: Mapping[str, object]
) -> tuple[str, ...]:
    stats = row or ProviderRow(name)
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(stats.error_kinds.items())) or "-"
    return (
        name,
        str(stats.attempts),
        str(stats.ok),
        str(stats.errors),
        share(stats.error_rate),
        str(stats.skipped),
        str(stats.failovers),
        kinds,
        str(circuit.get("circuit", "-")),
    )
