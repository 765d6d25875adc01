"""Usage reports from the ledger: spend, requests, tokens, failures, retries, margins.

Grouped by any of user, workspace, workflow, feature, model, provider, prompt
version, tier, day and month, over a time window. They feed the usage API and
the admin dashboard. Run them in the transaction of the workspace they report on
(``TenantDatabase.tenant``); reports across workspaces pass ``ALL_WORKSPACES``
and run in ``TenantDatabase.system``.

Spend is the provider cost we know (answer plus retries); rows whose cost is
unknown are counted in ``unknown_cost_requests`` rather than guessed.
"""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from app.models import CallOutcome, UsageEvent
from app.services.usage.money import to_usd


class Dimension(StrEnum):
    workspace = "workspace"
    user = "user"
    workflow = "workflow"
    feature = "feature"
    model = "model"
    provider = "provider"
    prompt_version = "prompt_version"
    tier = "tier"
    day = "day"
    month = "month"


class _All(Enum):
    token = "all workspaces"


# Pass as ``workspace_id`` for a report across every workspace (in a system transaction).
ALL_WORKSPACES: Final = _All.token

_CALLED = (CallOutcome.ok, CallOutcome.failed, CallOutcome.cancelled)
# Calls still in flight are not reported until they settle.
_OUTCOMES = tuple(o for o in CallOutcome if o is not CallOutcome.pending)


@dataclass(frozen=True, slots=True)
class UsageTotals:
    """One group's totals; money in micro-USD, with Decimal USD helpers."""

    group: dict[str, str | None]
    requests: int
    ok: int
    failed: int
    cancelled: int
    capped: int
    rate_limited: int
    cached: int
    rejected: int
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    spend_micros: int
    settled_micros: int
    unknown_cost_requests: int
    retried_requests: int
    retries: int
    retry_spend_micros: int
    saved_micros: int
    usable: int

    @property
    def provider_calls(self) -> int:
        """Requests that reached a provider (the base of the failure and retry shares)."""
        return self.ok + self.failed + self.cancelled

    @property
    def failure_share(self) -> float:
        return self.failed / self.provider_calls if self.provider_calls else 0.0

    @property
    def retry_share(self) -> float:
        """Share of provider calls that needed more than one attempt."""
        return self.retried_requests / self.provider_calls if self.provider_calls else 0.0

    @property
    def spend_usd(self) -> Decimal:
        return to_usd(self.spend_micros)

    @property
    def retry_spend_usd(self) -> Decimal:
        return to_usd(self.retry_spend_micros)

    @property
    def cost_per_usable_usd(self) -> Decimal | None:
        """Spend divided by the answers product code marked usable (None before any)."""
        return to_usd(self.spend_micros) / self.usable if self.usable else None


@dataclass(frozen=True, slots=True)
class WorkflowMargin:
    """What a workflow costs per paying workspace, against the tier's monthly price."""

    tier: str
    workflow: str
    workspaces: int
    requests: int
    spend_micros: int
    tier_price_usd: Decimal

    @property
    def spend_per_workspace_usd(self) -> Decimal:
        return to_usd(self.spend_micros) / self.workspaces if self.workspaces else Decimal(0)

    @property
    def margin_per_workspace_usd(self) -> Decimal:
        """The tier's price minus this workflow's cost per workspace."""
        return self.tier_price_usd - self.spend_per_workspace_usd

    @property
    def cost_share_of_price(self) -> float | None:
        """This workflow's cost per workspace as a share of the price (None when free)."""
        if not self.tier_price_usd:
            return None
        return float(self.spend_per_workspace_usd / self.tier_price_usd)


@dataclass(frozen=True, slots=True)
class OutlierUser:
    workspace_id: uuid.UUID
    user_id: uuid.UUID | None
    spend_micros: int
    requests: int
    times_median: float  # spend as a multiple of the median user's


def _period(dialect: str, kind: Dimension) -> ColumnElement[Any]:
    """The UTC day or month of ``created_at`` as text (``2026-11-05`` / ``2026-11``)."""
    if dialect == "postgresql":
        pattern = "YYYY-MM-DD" if kind is Dimension.day else "YYYY-MM"
        return func.to_char(func.timezone("UTC", UsageEvent.created_at), pattern)
    pattern = "%Y-%m-%d" if kind is Dimension.day else "%Y-%m"
    return func.strftime(pattern, UsageEvent.created_at)  # SQLite stores UTC text


def _dimension(dialect: str, dimension: Dimension) -> ColumnElement[Any] | QueryableAttribute[Any]:
    columns: dict[Dimension, QueryableAttribute[Any]] = {
        Dimension.workspace: UsageEvent.workspace_id,
        Dimension.user: UsageEvent.user_id,
        Dimension.workflow: UsageEvent.workflow,
        Dimension.feature: UsageEvent.feature,
        Dimension.model: UsageEvent.model,
        Dimension.provider: UsageEvent.provider,
        Dimension.prompt_version: UsageEvent.prompt_version,
        Dimension.tier: UsageEvent.tier,
    }
    if dimension in (Dimension.day, Dimension.month):
        return _period(dialect, dimension)
    return columns[dimension]


def _scoped(
    statement: Select[Any], workspace_id: uuid.UUID | _All, since: datetime, until: datetime
) -> Select[Any]:
    window = and_(
        UsageEvent.created_at >= since,
        UsageEvent.created_at < until,
        UsageEvent.outcome != CallOutcome.pending,
    )
    if workspace_id is ALL_WORKSPACES:
        return statement.where(window)
    return statement.where(UsageEvent.workspace_id == workspace_id, window)


def _count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _total(column: Any) -> ColumnElement[Any]:
    return func.coalesce(func.sum(column), 0)


async def usage_totals(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID | _All,
    since: datetime,
    until: datetime,
    by: Sequence[Dimension] = (),
    user_id: uuid.UUID | None = None,
    workflow: str | None = None,
) -> list[UsageTotals]:
    """Totals per group in ``[since, until)``; one row (empty group) when ``by`` is empty."""
    dialect = session.get_bind().dialect.name
    keys = [_dimension(dialect, d).label(d.value) for d in by]
    outcome = UsageEvent.outcome
    statement: Select[Any] = select(
        *keys,
        func.count().label("requests"),
        *(_count(outcome == o).label(o.value) for o in _OUTCOMES),
        _total(UsageEvent.input_tokens).label("input_tokens"),
        _total(UsageEvent.output_tokens).label("output_tokens"),
        _total(UsageEvent.cached_input_tokens).label("cached_input_tokens"),
        (_total(UsageEvent.cost_micros) + _total(UsageEvent.retry_cost_micros)).label("spend"),
        _total(UsageEvent.settled_micros).label("settled"),
        _count(
            outcome.in_(_CALLED)
            & (UsageEvent.cost_micros.is_(None) | UsageEvent.retry_cost_micros.is_(None))
        ).label("unknown_cost"),
        _count(UsageEvent.retry_count > 0).label("retried"),
        _total(UsageEvent.retry_count).label("retries"),
        _total(UsageEvent.retry_cost_micros).label("retry_spend"),
        _total(UsageEvent.saved_cost_micros).label("saved"),
        _count(UsageEvent.usable.is_(True)).label("usable"),
    )
    statement = _scoped(statement, workspace_id, since, until)
    if user_id is not None:
        statement = statement.where(UsageEvent.user_id == user_id)
    if workflow is not None:
        statement = statement.where(UsageEvent.workflow == workflow)
    if keys:
        statement = statement.group_by(*keys).order_by(*keys)
    result = []
    for row in (await session.execute(statement)).mappings():
        if not keys and not row["requests"]:
            continue
        result.append(
            UsageTotals(
                group={d.value: _text(row[d.value]) for d in by},
                requests=int(row["requests"]),
                **{o.value: int(row[o.value]) for o in _OUTCOMES},
                input_tokens=int(row["input_tokens"]),
                output_tokens=int(row["output_tokens"]),
                cached_input_tokens=int(row["cached_input_tokens"]),
                spend_micros=int(row["spend"]),
                settled_micros=int(row["settled"]),
                unknown_cost_requests=int(row["unknown_cost"]),
                retried_requests=int(row["retried"]),
                retries=int(row["retries"]),
                retry_spend_micros=int(row["retry_spend"]),
                saved_micros=int(row["saved"]),
                usable=int(row["usable"]),
            )
        )
    return result


async def workflow_margins(
    session: AsyncSession, *, workspace_id: uuid.UUID | _All, since: datetime, until: datetime
) -> list[WorkflowMargin]:
    """Per tier and workflow, over a one-month window: cost per active workspace
    against the tier's monthly price as recorded on the calls' entitlement snapshots.
    """
    spend = _total(UsageEvent.cost_micros) + _total(UsageEvent.retry_cost_micros)
    statement = _scoped(
        select(
            UsageEvent.tier,
            UsageEvent.workflow,
            func.count(func.distinct(UsageEvent.workspace_id)).label("workspaces"),
            func.count().label("requests"),
            spend.label("spend"),
            func.max(UsageEvent.created_at).label("latest"),
        ),
        workspace_id,
        since,
        until,
    ).group_by(UsageEvent.tier, UsageEvent.workflow)
    rows = (await session.execute(statement.order_by(UsageEvent.tier, UsageEvent.workflow))).all()
    prices: dict[str, Decimal] = {}
    for row in rows:
        if row.tier not in prices:
            prices[row.tier] = await _tier_price(session, row.tier, workspace_id, since, until)
    return [
        WorkflowMargin(
            tier=row.tier,
            workflow=row.workflow,
            workspaces=int(row.workspaces),
            requests=int(row.requests),
            spend_micros=int(row.spend),
            tier_price_usd=prices[row.tier],
        )
        for row in rows
    ]


async def _tier_price(
    session: AsyncSession,
    tier: str,
    workspace_id: uuid.UUID | _All,
    since: datetime,
    until: datetime,
) -> Decimal:
    """The tier's monthly price on its latest call in the window (the terms then)."""
    snapshot = await session.scalar(
        _scoped(select(UsageEvent.entitlement), workspace_id, since, until)
        .where(UsageEvent.tier == tier)
        .order_by(UsageEvent.created_at.desc())
        .limit(1)
    )
    return Decimal(snapshot["monthly_price"]) if snapshot else Decimal(0)


async def outlier_users(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID | _All,
    since: datetime,
    until: datetime,
    factor: float = 3.0,
    limit: int = 20,
) -> list[OutlierUser]:
    """Users who spent more than ``factor`` times the median user, biggest first."""
    spend = _total(UsageEvent.cost_micros) + _total(UsageEvent.retry_cost_micros)
    statement = _scoped(
        select(
            UsageEvent.workspace_id,
            UsageEvent.user_id,
            spend.label("spend"),
            func.count().label("requests"),
        ),
        workspace_id,
        since,
        until,
    ).group_by(UsageEvent.workspace_id, UsageEvent.user_id)
    users = (await session.execute(statement)).all()
    if not users:
        return []
    median = statistics.median(int(u.spend) for u in users)
    if median <= 0:
        median = 1  # most users spent nothing: anyone who spent is measured against 1 micro
    outliers = [
        OutlierUser(u.workspace_id, u.user_id, int(u.spend), int(u.requests), int(u.spend) / median)
        for u in users
        if int(u.spend) > factor * median
    ]
    return sorted(outliers, key=lambda o: o.spend_micros, reverse=True)[:limit]


def _text(value: object) -> str | None:
    return None if value is None else str(value)
