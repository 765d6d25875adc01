"""The owners' reports on a seeded ledger whose answers were worked out by hand.

February 2020 (no other test writes there): workspace Acme on a $10 plan (an
older $5 plan ended in January), Beta on a $30 plan from the 10th, Cove on a
plan that starts in March. Every number asserted below is derived in the
comments from the rows of ``SEEDED``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.catalog import TIERS
from app.models import Entitlement as EntitlementRow
from app.models import UsageEvent, UsageWarning
from app.services.accounts import Accounts
from app.services.reports import ALL_WORKSPACES, Period, PeriodError, ReportFilter, Reports
from app.services.reports.payloads import margins_body, outliers_body, retries_body
from app.services.reports.tables import margins_tables, providers_table
from app.services.usage.tenancy import TenantDatabase

FEB = Period(2020, 2)
FEB_5 = datetime(2020, 2, 5, 12, 0, tzinfo=UTC)


def at(day: int, month: int = 2) -> datetime:
    return datetime(2020, month, day, 12, 0, tzinfo=UTC)


def terms(price: str, cap: str = "1") -> dict[str, Any]:
    return {"monthly_price": price, "monthly_cost_cap": cap, "soft_warnings": [0.5, 0.9]}


def attempt(provider: str, outcome: str) -> dict[str, Any]:
    return {"provider": provider, "model": "m", "outcome": outcome, "skipped": False}


@dataclass(frozen=True)
class Row:
    """One seeded ledger row (money in micro-USD)."""

    workspace: str
    user: str | None
    workflow: str
    outcome: str
    cost: int | None
    retries: int = 0
    retry_cost: int | None = 0
    usable: bool | None = None
    latency: int | None = None
    version: str | None = None
    saved: int | None = None
    attempts: tuple[dict[str, Any], ...] = ()
    when: datetime = FEB_5


SEEDED = (
    # Acme (tier "pro", $10): summarize 1000 + 3500 + 300 + 60000, draft 2000 + 0.
    Row(
        "acme",
        "a1",
        "summarize",
        "ok",
        1000,
        usable=True,
        latency=100,
        version="s@v1",
        attempts=(attempt("openai", "ok"),),
    ),
    Row(
        "acme",
        "a1",
        "summarize",
        "ok",
        3000,
        retries=2,
        retry_cost=500,
        usable=False,
        latency=300,
        version="s@v2",
        attempts=(
            attempt("openai", "server_error"),
            attempt("openai", "server_error"),
            attempt("openai", "ok"),
        ),
    ),
    Row(
        "acme",
        "a2",
        "summarize",
        "failed",
        200,
        retries=1,
        retry_cost=100,
        version="s@v1",
        attempts=(attempt("openai", "timeout"), attempt("anthropic", "server_error")),
    ),
    Row(
        "acme",
        "a2",
        "draft",
        "ok",
        2000,
        usable=True,
        latency=200,
        version="d@v1",
        attempts=(attempt("openai", "ok"),),
    ),
    Row("acme", "a3", "draft", "cached", 0, version="d@v1", saved=1500),
    Row(
        "acme",
        "a3",
        "summarize",
        "ok",
        60000,
        usable=True,
        latency=400,
        version="s@v2",
        attempts=(attempt("openai", "rate_limited"), attempt("anthropic", "ok")),
    ),
    # Not in February's reports: still in flight, and March.
    Row("acme", "a1", "summarize", "pending", None, retry_cost=None),
    Row("acme", "a1", "summarize", "ok", 99000, when=at(2, 3)),
    # Beta (tier "team", $30): 5000, and a capped call that cost nothing.
    Row("beta", "b1", "summarize", "ok", 5000, usable=True, latency=500, version="s@v1"),
    Row("beta", "b1", "summarize", "capped", None, retry_cost=None),
)
TIER_OF = {"acme": ("pro", terms("10")), "beta": ("team", terms("30"))}


@dataclass(frozen=True)
class Seeded:
    reports: Reports
    workspaces: dict[str, uuid.UUID]
    users: dict[str, uuid.UUID]


@pytest.fixture
async def seeded(usage_engine: AsyncEngine, accounts: Accounts) -> Seeded:
    db = TenantDatabase(usage_engine)
    workspaces: dict[str, uuid.UUID] = {}
    users: dict[str, uuid.UUID] = {}
    for name in ("acme", "beta", "cove"):
        workspace = await accounts.create_workspace(name.capitalize(), next(iter(TIERS)))
        workspaces[name] = workspace.id
    for row in SEEDED:
        if row.user and row.user not in users:
            user = await accounts.add_user(workspaces[row.workspace], email=f"{row.user}@test")
            users[row.user] = user.id
    plans: dict[str, list[tuple[str, dict[str, Any], datetime, datetime | None]]] = {
        # Acme: $5 until mid-January (ended before February), then $10.
        "acme": [
            ("pro", terms("5"), datetime(2019, 6, 1, tzinfo=UTC), at(15, 1)),
            ("pro", terms("10"), at(15, 1), None),
        ],
        "beta": [("team", terms("30"), at(10), None)],
        "cove": [("pro", terms("10"), at(5, 3), None)],  # starts in March: not February's
    }
    for name, rows in plans.items():
        async with db.tenant(workspaces[name]) as session:
            for tier, snapshot, starts, ends in rows:
                session.add(
                    EntitlementRow(
                        workspace_id=workspaces[name],
                        tier=tier,
                        snapshot=snapshot,
                        starts_at=starts,
                        ends_at=ends,
                    )
                )
    for row in SEEDED:
        workspace_id = workspaces[row.workspace]
        tier, snapshot = TIER_OF[row.workspace]
        async with db.tenant(workspace_id) as session:
            session.add(
                UsageEvent(
                    workspace_id=workspace_id,
                    user_id=users[row.user] if row.user else None,
                    environment="test",
                    workflow=row.workflow,
                    usage_source="provider",
                    latency_ms=row.latency,
                    cost_micros=row.cost,
                    retry_count=row.retries,
                    retry_cost_micros=row.retry_cost,
                    settled_micros=(row.cost or 0) + (row.retry_cost or 0),
                    saved_cost_micros=row.saved,
                    outcome=row.outcome,
                    usable=row.usable,
                    prompt_version=row.version,
                    provider=row.attempts[-1]["provider"] if row.attempts else None,
                    price_table_version="test",
                    tier=tier,
                    entitlement=snapshot,
                    attempts=list(row.attempts) or None,
                    created_at=row.when,
                )
            )
    async with db.tenant(workspaces["acme"]) as session:
        session.add(
            UsageWarning(
                workspace_id=workspaces["acme"],
                kind="monthly_cost",
                scope="workspace",
                period="2020-02",
                threshold="0.5",
                used_micros=500_000,
                limit_micros=1_000_000,
            )
        )
    return Seeded(Reports(db), workspaces, users)


def everyone() -> ReportFilter:
    return ReportFilter(ALL_WORKSPACES, FEB)


def only(seeded: Seeded, name: str, workflow: str | None = None) -> ReportFilter:
    return ReportFilter(seeded.workspaces[name], FEB, workflow)


def mine(seeded: Seeded, rows: list[Any]) -> list[Any]:
    """Rows of this test's workspaces (PostgreSQL runs share one schema per session)."""
    ids = set(seeded.workspaces.values())
    return [r for r in rows if r.workspace_id in ids]


async def test_margins_across_every_workspace(seeded: Seeded) -> None:
    report = await seeded.reports.margins(everyone())
    rows = {w.name: w for w in mine(seeded, report.workspaces)}

    # Cove's plan starts in March: no revenue, no spend, not listed.
    assert set(rows) == {"Acme", "Beta"}
    # Acme: $10 plan in force (the $5 one ended in January); 1000+3500+300+2000+0+60000.
    acme = rows["Acme"]
    assert (acme.tier, acme.requests) == ("pro", 6)
    assert (acme.revenue_micros, acme.spend_micros) == (10_000_000, 66_800)
    assert acme.margin_micros == 9_933_200
    # Beta: $30 from the 10th; one answer (5000) and a capped call (unknown cost: none).
    beta = rows["Beta"]
    assert (beta.revenue_micros, beta.spend_micros, beta.requests) == (30_000_000, 5_000, 2)

    body = margins_body(report)
    named = {w.workspace: w for w in body.workspaces}
    assert named["Acme"].margin_usd == "9.933200"
    assert named["Beta"].revenue_usd == "30.000000"
    assert body.scope == "all" and body.period == "2020-02"


async def test_workflow_profitability_per_request_and_per_usable_answer(seeded: Seeded) -> None:
    report = await seeded.reports.margins(only(seeded, "acme"))
    body = margins_body(report)
    flows = {(w.tier, w.workflow): w for w in body.workflows}

    assert set(flows) == {("pro", "draft"), ("pro", "summarize")}
    # summarize: 4 requests, 2 usable, 1000+3500+300+60000 = 64800.
    summarize = flows["pro", "summarize"]
    assert (summarize.requests, summarize.usable, summarize.workspaces) == (4, 2, 1)
    assert summarize.spend_usd == "0.064800"
    assert summarize.cost_per_request_usd == "0.016200"  # 64800 / 4
    assert summarize.cost_per_usable_usd == "0.032400"  # 64800 / 2
    assert summarize.tier_price_usd == "10.000000"
    assert summarize.margin_per_workspace_usd == "9.935200"
    # draft: a 2000 answer and a cache hit; one usable.
    draft = flows["pro", "draft"]
    assert (draft.requests, draft.cost_per_request_usd, draft.cost_per_usable_usd) == (
        2,
        "0.001000",
        "0.002000",
    )
    # The owner's view: its own workspace only.
    assert [w.workspace for w in body.workspaces] == ["Acme"]
    assert (body.revenue_usd, body.spend_usd, body.margin_usd) == (
        "10.000000",
        "0.066800",
        "9.933200",
    )
    assert body.scope == "workspace"


async def test_the_workflow_filter_narrows_spend_not_revenue(seeded: Seeded) -> None:
    body = margins_body(await seeded.reports.margins(only(seeded, "acme", "draft")))

    assert [(w.workflow, w.requests) for w in body.workflows] == [("draft", 2)]
    assert (body.revenue_usd, body.spend_usd) == ("10.000000", "0.002000")


async def test_outlier_users(seeded: Seeded) -> None:
    # Acme's users spent a1 4500, a2 2300, a3 60000: median 4500; 3x = 13500.
    acme = await seeded.reports.outliers(only(seeded, "acme"))
    assert acme.median_micros == 4_500
    assert [(o.user, o.spend_micros, o.requests) for o in acme.users] == [("a3@test", 60_000, 2)]
    assert acme.users[0].times_median == pytest.approx(60_000 / 4_500)
    assert acme.users[0].workspace == "Acme"

    body = outliers_body(acme)
    assert body.users[0].spend_usd == "0.060000" and body.users[0].times_median == 13.33
    assert body.median_spend_usd == "0.004500"


async def test_outliers_across_workspaces_name_the_workspace(seeded: Seeded) -> None:
    report = await seeded.reports.outliers(everyone())

    found = mine(seeded, report.users)
    assert [(o.workspace, o.user) for o in found] == [("Acme", "a3@test")]


async def test_retry_and_failure_spend(seeded: Seeded) -> None:
    report = await seeded.reports.retries(everyone())
    rows = {(r.workspace, r.workflow): r for r in mine(seeded, report.rows)}

    assert set(rows) == {("Acme", "summarize"), ("Acme", "draft"), ("Beta", "summarize")}
    summarize = rows["Acme", "summarize"]
    # Retried: the 3000 answer (2 retries, 500) and the failed call (1 retry, 100).
    assert (summarize.requests, summarize.provider_calls, summarize.failed) == (4, 4, 1)
    assert (summarize.retried_requests, summarize.retries) == (2, 3)
    assert summarize.retry_spend_micros == 600
    assert summarize.failed_spend_micros == 300  # 200 last attempt + 100 retried
    assert summarize.wasted_micros == 800  # 600 + 300, the failed call's 100 once
    assert summarize.failure_share == pytest.approx(0.25)
    # A cache hit and a capped call never reached a provider.
    assert rows["Acme", "draft"].provider_calls == 1
    assert rows["Beta", "summarize"].provider_calls == 1
    assert rows["Beta", "summarize"].wasted_micros == 0

    owner = retries_body(await seeded.reports.retries(only(seeded, "acme")))
    assert (owner.retry_spend_usd, owner.failed_spend_usd, owner.wasted_usd) == (
        "0.000600",
        "0.000300",
        "0.000800",
    )
    assert owner.rows[0].workflow == "summarize"  # most wasted first
    assert {r.workspace for r in owner.rows} == {"Acme"}


async def test_plan_usage_against_the_cap(seeded: Seeded) -> None:
    (acme,) = await seeded.reports.plans(only(seeded, "acme"))

    # Settled this month: 66800 of a $1 cap; the 50% warning row for February.
    assert (acme.tier, acme.cap_micros, acme.settled_micros) == ("pro", 1_000_000, 66_800)
    assert acme.cap_share == pytest.approx(0.0668)
    assert acme.soft_warnings == (0.5, 0.9) and acme.warnings_crossed == ("0.5",)


async def test_prompt_versions(seeded: Seeded) -> None:
    rows = {
        (p.workflow, p.prompt_version): p
        for p in await seeded.reports.prompts(only(seeded, "acme"))
    }

    v1, v2 = rows["summarize", "s@v1"], rows["summarize", "s@v2"]
    # v1: a 1000 usable answer (100 ms) and a failed call (300, no latency).
    assert (v1.requests, v1.ok, v1.usable, v1.spend_micros) == (2, 1, 1, 1_300)
    assert (v1.mean_latency_ms, v1.usable_rate) == (100.0, 1.0)
    # v2: 3500 (300 ms, not usable) and 60000 (400 ms, usable).
    assert (v2.requests, v2.spend_micros, v2.mean_latency_ms, v2.usable_rate) == (
        2,
        63_500,
        350.0,
        0.5,
    )
    assert rows["draft", "d@v1"].usable_rate == 1.0


async def test_cache_savings(seeded: Seeded) -> None:
    rows = {c.workflow: c for c in await seeded.reports.cache(only(seeded, "acme"))}

    assert (rows["draft"].cached, rows["draft"].saved_micros, rows["draft"].hit_rate) == (
        1,
        1_500,
        0.5,
    )
    assert rows["summarize"].cached == 0


async def test_provider_health_counts_errors_and_failovers(seeded: Seeded) -> None:
    rows = {p.provider: p for p in await seeded.reports.providers(only(seeded, "acme"))}

    openai, anthropic = rows["openai"], rows["anthropic"]
    # openai: 7 attempts, 3 answers, errors 2 server_error + timeout + rate_limited.
    assert (openai.attempts, openai.ok, openai.errors) == (7, 3, 4)
    assert dict(openai.error_kinds) == {"server_error": 2, "timeout": 1, "rate_limited": 1}
    # Failed over once: rate limited, then anthropic answered. A same-provider retry
    # and a call that failed everywhere are not failovers.
    assert openai.failovers == 1
    assert (anthropic.attempts, anthropic.ok, anthropic.errors, anthropic.failovers) == (
        2,
        1,
        1,
        0,
    )
    table = providers_table(list(rows.values()), {"openai": {"circuit": "open"}})
    assert table.rows[1][0] == "openai" and table.rows[1][-1] == "open"


async def test_tables_and_csv_carry_the_json_text(seeded: Seeded) -> None:
    report = await seeded.reports.margins(only(seeded, "acme"))
    workspaces, _ = margins_tables(report)

    assert workspaces.rows == (("Acme", "pro", "6", "10.000000", "0.066800", "9.933200"),)
    assert workspaces.csv().splitlines()[1] == "Acme,pro,6,10.000000,0.066800,9.933200"


async def test_an_empty_month_reports_nothing(seeded: Seeded) -> None:
    flt = ReportFilter(seeded.workspaces["acme"], Period(2019, 3))

    assert (await seeded.reports.margins(flt)).workspaces == []
    assert (await seeded.reports.outliers(flt)).users == []
    assert (await seeded.reports.retries(flt)).rows == []


@pytest.mark.parametrize("text", ["2020-13", "2020-00", "20-02", "2020-2", "feb", "2020-02-01"])
def test_a_period_is_a_month_written_yyyy_mm(text: str) -> None:
    with pytest.raises(PeriodError):
        Period.parse(text)


def test_a_period_spans_its_month() -> None:
    december = Period.parse("2026-12")

    assert (december.since, december.until) == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert Period.parse(None) == Period.current()
