"""The owners' reports, computed from the ledger: one module behind the JSON
endpoints, the ``report`` command and the ``/admin`` pages.

Every function takes a session already scoped by ``Reports`` (a workspace's own
transaction, or the system transaction for an operator's all-workspace view)
and a ``ReportFilter``. Money is integer micro-USD here; ``payloads`` turns it
into text.

- Spend: what providers charged (the answer plus retried attempts), as in
  ``usage.aggregates``; unknown costs count as nothing here and are listed.
- Revenue: the monthly price of each workspace's entitlement snapshot in force
  during the period (the latest one that started before the period ended and had
  not ended before it began). Credits and overage are not counted as revenue.
- Margin: revenue minus spend.
"""

from __future__ import annotations

import statistics
import uuid
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import CallOutcome, UsageEvent, UsageWarning, User, Workspace
from app.models import Entitlement as EntitlementRow
from app.services.reports.period import Period
from app.services.usage.aggregates import ALL_WORKSPACES, Dimension, _All, usage_totals
from app.services.usage.money import to_micros

Scope = uuid.UUID | _All


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """What a report covers: whose ledger, which month, optionally one workflow."""

    scope: Scope
    period: Period
    workflow: str | None = None

    @property
    def all_workspaces(self) -> bool:
        return self.scope is ALL_WORKSPACES


# -- rows ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkspaceMargin:
    """One workspace's month: its plan's price against what its calls cost."""

    workspace_id: uuid.UUID
    name: str
    tier: str | None
    revenue_micros: int
    spend_micros: int
    requests: int

    @property
    def margin_micros(self) -> int:
        return self.revenue_micros - self.spend_micros


@dataclass(frozen=True, slots=True)
class WorkflowProfit:
    """One workflow on one tier: cost per request and per usable answer vs the price."""

    tier: str
    workflow: str
    workspaces: int
    requests: int
    usable: int
    spend_micros: int
    tier_price_micros: int

    @property
    def cost_per_request_micros(self) -> Decimal:
        return Decimal(self.spend_micros) / self.requests if self.requests else Decimal(0)

    @property
    def cost_per_usable_micros(self) -> Decimal | None:
        """None until product code marked an answer usable."""
        return Decimal(self.spend_micros) / self.usable if self.usable else None

    @property
    def spend_per_workspace_micros(self) -> Decimal:
        return Decimal(self.spend_micros) / self.workspaces if self.workspaces else Decimal(0)

    @property
    def margin_per_workspace_micros(self) -> Decimal:
        """The tier's price minus this workflow's cost per workspace using it."""
        return self.tier_price_micros - self.spend_per_workspace_micros


@dataclass(frozen=True, slots=True)
class MarginsReport:
    filter: ReportFilter
    workspaces: list[WorkspaceMargin]
    workflows: list[WorkflowProfit]

    @property
    def revenue_micros(self) -> int:
        return sum(w.revenue_micros for w in self.workspaces)

    @property
    def spend_micros(self) -> int:
        return sum(w.spend_micros for w in self.workspaces)

    @property
    def margin_micros(self) -> int:
        return self.revenue_micros - self.spend_micros


@dataclass(frozen=True, slots=True)
class Outlier:
    workspace_id: uuid.UUID
    workspace: str
    user_id: uuid.UUID | None
    user: str | None  # the user's email, else its external id
    spend_micros: int
    requests: int
    times_median: float


@dataclass(frozen=True, slots=True)
class OutliersReport:
    filter: ReportFilter
    factor: float
    median_micros: int
    users: list[Outlier]


@dataclass(frozen=True, slots=True)
class RetryRow:
    """Retry and failure spend of one workflow in one workspace."""

    workspace_id: uuid.UUID
    workspace: str
    workflow: str
    requests: int
    provider_calls: int
    failed: int
    retried_requests: int
    retries: int
    retry_spend_micros: int  # earlier attempts of every call
    failed_spend_micros: int  # everything spent on calls that failed in the end
    spend_micros: int
    failed_retry_micros: int = 0  # retry spend of failed calls (in both sums above)

    @property
    def wasted_micros(self) -> int:
        """Spend that bought no answer: retried attempts, and failed calls' last attempt."""
        return self.retry_spend_micros + self.failed_spend_micros - self.failed_retry_micros

    @property
    def failure_share(self) -> float:
        return self.failed / self.provider_calls if self.provider_calls else 0.0


@dataclass(frozen=True, slots=True)
class RetriesReport:
    filter: ReportFilter
    rows: list[RetryRow]

    @property
    def retry_spend_micros(self) -> int:
        return sum(r.retry_spend_micros for r in self.rows)

    @property
    def failed_spend_micros(self) -> int:
        return sum(r.failed_spend_micros for r in self.rows)

    @property
    def wasted_micros(self) -> int:
        return sum(r.wasted_micros for r in self.rows)


@dataclass(frozen=True, slots=True)
class PlanUsage:
    """A workspace's plan against its cap this period, and the warnings it crossed."""

    workspace_id: uuid.UUID
    workspace: str
    tier: str
    cap_micros: int
    settled_micros: int
    soft_warnings: tuple[float, ...]
    warnings_crossed: tuple[str, ...]

    @property
    def cap_share(self) -> float | None:
        return self.settled_micros / self.cap_micros if self.cap_micros else None


@dataclass(frozen=True, slots=True)
class PromptVersionRow:
    workflow: str
    prompt_version: str | None
    requests: int
    ok: int
    usable: int
    spend_micros: int
    mean_latency_ms: float | None

    @property
    def usable_rate(self) -> float | None:
        """Usable answers per answer (None before any answer)."""
        return self.usable / self.ok if self.ok else None

    @property
    def cost_per_request_micros(self) -> Decimal:
        return Decimal(self.spend_micros) / self.requests if self.requests else Decimal(0)


@dataclass(frozen=True, slots=True)
class CacheRow:
    workflow: str
    requests: int
    cached: int
    saved_micros: int
    spend_micros: int

    @property
    def hit_rate(self) -> float:
        return self.cached / self.requests if self.requests else 0.0


@dataclass(slots=True)
class ProviderRow:
    """One provider's attempts this period, from the ledger's attempt records."""

    provider: str
    attempts: int = 0
    ok: int = 0
    errors: int = 0
    skipped: int = 0  # not called: circuit open, or no usable key
    failovers: int = 0  # calls this provider failed that another provider then answered
    error_kinds: Counter[str] = field(default_factory=Counter)

    @property
    def error_rate(self) -> float:
        called = self.attempts - self.skipped
        return self.errors / called if called else 0.0


@dataclass(frozen=True, slots=True)
class DayTotal:
    day: str
    requests: int
    spend_micros: int


# -- queries ------------------------------------------------------------------------------


def _in_window(statement: Select[Any], flt: ReportFilter) -> Select[Any]:
    statement = statement.where(
        UsageEvent.created_at >= flt.period.since,
        UsageEvent.created_at < flt.period.until,
        UsageEvent.outcome != CallOutcome.pending,
    )
    if not flt.all_workspaces:
        statement = statement.where(UsageEvent.workspace_id == flt.scope)
    if flt.workflow is not None:
        statement = statement.where(UsageEvent.workflow == flt.workflow)
    return statement


def _sum(column: Any) -> Any:
    return func.coalesce(func.sum(column), 0)


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


_SPEND = _sum(UsageEvent.cost_micros) + _sum(UsageEvent.retry_cost_micros)


async def workspace_names(session: AsyncSession, flt: ReportFilter) -> dict[uuid.UUID, str]:
    """The names of the workspaces in scope."""
    statement = select(Workspace.id, Workspace.name)
    if not flt.all_workspaces:
        statement = statement.where(Workspace.id == flt.scope)
    return {row.id: row.name for row in await session.execute(statement)}


async def plans_in_force(
    session: AsyncSession, flt: ReportFilter
) -> dict[uuid.UUID, EntitlementRow]:
    """Per workspace, the entitlement snapshot in force during the period: the latest
    one that started before the period ended and did not end before it began."""
    statement = select(EntitlementRow).where(
        EntitlementRow.starts_at < flt.period.until,
        or_(EntitlementRow.ends_at.is_(None), EntitlementRow.ends_at > flt.period.since),
    )
    if not flt.all_workspaces:
        statement = statement.where(EntitlementRow.workspace_id == flt.scope)
    latest: dict[uuid.UUID, EntitlementRow] = {}
    for row in (await session.scalars(statement.order_by(EntitlementRow.starts_at))).all():
        latest[row.workspace_id] = row  # ordered by start: the last one wins
    return latest


def _price_micros(snapshot: Mapping[str, Any] | None) -> int:
    return to_micros(Decimal(str(snapshot["monthly_price"]))) if snapshot else 0


async def margins(session: AsyncSession, flt: ReportFilter) -> MarginsReport:
    """Revenue, spend and margin per workspace; profitability per tier and workflow."""
    names = await workspace_names(session, flt)
    plans = await plans_in_force(session, flt)
    statement = _in_window(
        select(UsageEvent.workspace_id, func.count().label("requests"), _SPEND.label("spend")),
        flt,
    ).group_by(UsageEvent.workspace_id)
    spend = {row.workspace_id: row for row in await session.execute(statement)}
    workspaces = [
        WorkspaceMargin(
            workspace_id=workspace_id,
            name=names.get(workspace_id, str(workspace_id)),
            tier=plans[workspace_id].tier if workspace_id in plans else None,
            revenue_micros=_price_micros(plans[workspace_id].snapshot)
            if workspace_id in plans
            else 0,
            spend_micros=int(spend[workspace_id].spend) if workspace_id in spend else 0,
            requests=int(spend[workspace_id].requests) if workspace_id in spend else 0,
        )
        for workspace_id in set(plans) | set(spend)
    ]
    workspaces.sort(key=lambda w: (w.margin_micros, w.name))
    return MarginsReport(flt, workspaces, await workflow_profits(session, flt))


async def workflow_profits(session: AsyncSession, flt: ReportFilter) -> list[WorkflowProfit]:
    """Per tier and workflow: requests, usable answers, spend and the tier's price
    (as recorded on the calls' own entitlement snapshots, the latest in the period)."""
    statement = _in_window(
        select(
            UsageEvent.tier,
            UsageEvent.workflow,
            func.count(func.distinct(UsageEvent.workspace_id)).label("workspaces"),
            func.count().label("requests"),
            _count(UsageEvent.usable.is_(True)).label("usable"),
            _SPEND.label("spend"),
        ),
        flt,
    ).group_by(UsageEvent.tier, UsageEvent.workflow)
    rows = (await session.execute(statement.order_by(UsageEvent.tier, UsageEvent.workflow))).all()
    prices: dict[str, int] = {}
    for row in rows:
        if row.tier not in prices:
            snapshot = await session.scalar(
                _in_window(select(UsageEvent.entitlement), flt)
                .where(UsageEvent.tier == row.tier)
                .order_by(UsageEvent.created_at.desc())
                .limit(1)
            )
            prices[row.tier] = _price_micros(snapshot)
    return [
        WorkflowProfit(
            tier=row.tier,
            workflow=row.workflow,
            workspaces=int(row.workspaces),
            requests=int(row.requests),
            usable=int(row.usable),
            spend_micros=int(row.spend),
            tier_price_micros=prices[row.tier],
        )
        for row in rows
    ]


async def outliers(session: AsyncSession, flt: ReportFilter, factor: float = 3.0) -> OutliersReport:
    """Users who spent more than ``factor`` times the median user, biggest first."""
    statement = _in_window(
        select(
            UsageEvent.workspace_id,
            UsageEvent.user_id,
            _SPEND.label("spend"),
            func.count().label("requests"),
        ),
        flt,
    ).group_by(UsageEvent.workspace_id, UsageEvent.user_id)
    users = (await session.execute(statement)).all()
    if not users:
        return OutliersReport(flt, factor, 0, [])
    median = int(statistics.median(int(u.spend) for u in users))
    base = median if median > 0 else 1  # most users spent nothing: measure against 1 micro
    heavy = [u for u in users if int(u.spend) > factor * base]
    names = await workspace_names(session, flt)
    emails = await _user_labels(session, [u.user_id for u in heavy if u.user_id is not None])
    found = [
        Outlier(
            workspace_id=u.workspace_id,
            workspace=names.get(u.workspace_id, str(u.workspace_id)),
            user_id=u.user_id,
            user=emails.get(u.user_id) if u.user_id is not None else None,
            spend_micros=int(u.spend),
            requests=int(u.requests),
            times_median=int(u.spend) / base,
        )
        for u in heavy
    ]
    found.sort(key=lambda o: (-o.spend_micros, str(o.user_id)))
    return OutliersReport(flt, factor, median, found)


async def _user_labels(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(User.id, User.email, User.external_id).where(User.id.in_(ids))
    )
    return {row.id: row.email or row.external_id or str(row.id) for row in rows}


async def retries(session: AsyncSession, flt: ReportFilter) -> RetriesReport:
    """Retry and failure spend per workspace and workflow."""
    failed = UsageEvent.outcome == CallOutcome.failed
    statement = _in_window(
        select(
            UsageEvent.workspace_id,
            UsageEvent.workflow,
            func.count().label("requests"),
            _count(
                UsageEvent.outcome.in_((CallOutcome.ok, CallOutcome.failed, CallOutcome.cancelled))
            ).label("provider_calls"),
            _count(failed).label("failed"),
            _count(UsageEvent.retry_count > 0).label("retried"),
            _sum(UsageEvent.retry_count).label("retries"),
            _sum(UsageEvent.retry_cost_micros).label("retry_spend"),
            _sum(case((failed, UsageEvent.cost_micros), else_=0)).label("failed_cost"),
            _sum(case((failed, UsageEvent.retry_cost_micros), else_=0)).label("failed_retry"),
            _SPEND.label("spend"),
        ),
        flt,
    ).group_by(UsageEvent.workspace_id, UsageEvent.workflow)
    names = await workspace_names(session, flt)
    rows = [
        RetryRow(
            workspace_id=row.workspace_id,
            workspace=names.get(row.workspace_id, str(row.workspace_id)),
            workflow=row.workflow,
            requests=int(row.requests),
            provider_calls=int(row.provider_calls),
            failed=int(row.failed),
            retried_requests=int(row.retried),
            retries=int(row.retries),
            retry_spend_micros=int(row.retry_spend),
            failed_spend_micros=int(row.failed_cost) + int(row.failed_retry),
            spend_micros=int(row.spend),
            failed_retry_micros=int(row.failed_retry),
        )
        for row in await session.execute(statement)
    ]
    rows.sort(key=lambda r: (-r.wasted_micros, r.workspace, r.workflow))
    return RetriesReport(flt, rows)


async def plan_usage(session: AsyncSession, flt: ReportFilter) -> list[PlanUsage]:
    """Each workspace's settled spend this period against its plan's monthly cap."""
    names = await workspace_names(session, flt)
    plans = await plans_in_force(session, flt)
    settled_statement = _in_window(
        select(UsageEvent.workspace_id, _sum(UsageEvent.settled_micros).label("settled")),
        ReportFilter(flt.scope, flt.period),  # the cap counts every workflow
    ).group_by(UsageEvent.workspace_id)
    settled = {r.workspace_id: int(r.settled) for r in await session.execute(settled_statement)}
    warned: defaultdict[uuid.UUID, list[str]] = defaultdict(list)
    warnings = select(UsageWarning.workspace_id, UsageWarning.threshold).where(
        UsageWarning.kind == "monthly_cost", UsageWarning.period == flt.period.label
    )
    if not flt.all_workspaces:
        warnings = warnings.where(UsageWarning.workspace_id == flt.scope)
    for row in await session.execute(warnings.order_by(UsageWarning.threshold)):
        warned[row.workspace_id].append(row.threshold)
    result = [
        PlanUsage(
            workspace_id=workspace_id,
            workspace=names.get(workspace_id, str(workspace_id)),
            tier=plan.tier,
            cap_micros=to_micros(Decimal(str(plan.snapshot["monthly_cost_cap"]))),
            settled_micros=settled.get(workspace_id, 0),
            soft_warnings=tuple(float(w) for w in plan.snapshot.get("soft_warnings", ())),
            warnings_crossed=tuple(warned[workspace_id]),
        )
        for workspace_id, plan in plans.items()
    ]
    result.sort(key=lambda p: (-(p.cap_share or 0.0), p.workspace))
    return result


async def prompt_versions(session: AsyncSession, flt: ReportFilter) -> list[PromptVersionRow]:
    """Per workflow and prompt version: cost, latency and usable rate."""
    statement = _in_window(
        select(
            UsageEvent.workflow,
            UsageEvent.prompt_version,
            func.count().label("requests"),
            _count(UsageEvent.outcome == CallOutcome.ok).label("ok"),
            _count(UsageEvent.usable.is_(True)).label("usable"),
            _SPEND.label("spend"),
            func.avg(UsageEvent.latency_ms).label("latency"),
        ),
        flt,
    ).group_by(UsageEvent.workflow, UsageEvent.prompt_version)
    rows = (
        await session.execute(statement.order_by(UsageEvent.workflow, UsageEvent.prompt_version))
    ).all()
    return [
        PromptVersionRow(
            workflow=row.workflow,
            prompt_version=row.prompt_version,
            requests=int(row.requests),
            ok=int(row.ok),
            usable=int(row.usable),
            spend_micros=int(row.spend),
            mean_latency_ms=None if row.latency is None else round(float(row.latency), 1),
        )
        for row in rows
    ]


async def cache_savings(session: AsyncSession, flt: ReportFilter) -> list[CacheRow]:
    """Per workflow: cache hits and what they saved at list price."""
    statement = _in_window(
        select(
            UsageEvent.workflow,
            func.count().label("requests"),
            _count(UsageEvent.outcome == CallOutcome.cached).label("cached"),
            _sum(UsageEvent.saved_cost_micros).label("saved"),
            _SPEND.label("spend"),
        ),
        flt,
    ).group_by(UsageEvent.workflow)
    return [
        CacheRow(
            workflow=row.workflow,
            requests=int(row.requests),
            cached=int(row.cached),
            saved_micros=int(row.saved),
            spend_micros=int(row.spend),
        )
        for row in await session.execute(statement.order_by(UsageEvent.workflow))
    ]


_SKIPPED = frozenset({"circuit_open"})


async def provider_health(session: AsyncSession, flt: ReportFilter) -> list[ProviderRow]:
    """Per provider: attempts, errors by kind, skips and failovers, from the ledger."""
    statement = _in_window(
        select(UsageEvent.provider, UsageEvent.outcome, UsageEvent.attempts), flt
    ).where(UsageEvent.attempts.is_not(None))
    providers: dict[str, ProviderRow] = {}
    for row in await session.execute(statement):
        attempts = [a for a in row.attempts or () if isinstance(a, dict)]
        answered_by = row.provider if row.outcome == CallOutcome.ok else None
        for attempt in attempts:
            name = str(attempt.get("provider") or "unknown")
            stats = providers.setdefault(name, ProviderRow(name))
            stats.attempts += 1
            outcome = str(attempt.get("outcome"))
            if attempt.get("skipped") or outcome in _SKIPPED:
                stats.skipped += 1
            elif outcome == "ok":
                stats.ok += 1
            else:
                stats.errors += 1
                stats.error_kinds[outcome] += 1
        failed_here = {
            str(a.get("provider"))
            for a in attempts
            if str(a.get("outcome")) != "ok" and not a.get("skipped")
        }
        if answered_by is not None:
            for name in failed_here - {answered_by}:
                providers[name].failovers += 1
    return sorted(providers.values(), key=lambda p: p.provider)


async def daily_spend(session: AsyncSession, flt: ReportFilter) -> list[DayTotal]:
    """Requests and spend per UTC day of the period (days with calls only)."""
    rows = await usage_totals(
        session,
        workspace_id=flt.scope,
        since=flt.period.since,
        until=flt.period.until,
        by=[Dimension.day],
        workflow=flt.workflow,
    )
    return [DayTotal(str(r.group["day"]), r.requests, r.spend_micros) for r in rows]


def workflows_seen(rows: Sequence[WorkflowProfit]) -> list[str]:
    """The workflows named in ``rows``, sorted, once each."""
    return sorted({r.workflow for r in rows})


__all__ = [
    "ALL_WORKSPACES",
    "CacheRow",
    "DayTotal",
    "MarginsReport",
    "Outlier",
    "OutliersReport",
    "PlanUsage",
    "PromptVersionRow",
    "ProviderRow",
    "ReportFilter",
    "RetriesReport",
    "RetryRow",
    "Scope",
    "WorkflowProfit",
    "WorkspaceMargin",
]
