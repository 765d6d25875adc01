"""Soft warnings a settled call passes: the tier's monthly thresholds, the workflow's
soft daily cost per user. One event per threshold, scope and period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.services.usage import budget
from app.services.usage.budget import DAILY_COST, MONTHLY_COST, BudgetStatus, UsageWarningInfo
from app.services.usage.ledger import CallFacts
from app.services.usage.money import to_micros


async def cap_warnings(
    session: AsyncSession,
    dialect: str,
    facts: CallFacts,
    state: BudgetStatus,
    settled: int,
    now: datetime,
) -> list[UsageWarningInfo]:
    """The tier's soft warnings this period's spend is past (events for new ones)."""
    warnings = []
    after, limit = state.spent_micros, state.limit_micros
    for threshold, new in budget.crossed(
        facts.entitlement.soft_warnings,
        before_micros=after - settled,
        after_micros=after,
        limit_micros=limit,
    ):
        warning = UsageWarningInfo(MONTHLY_COST, threshold, after, limit, new)
        if new:
            period = state.period_start.strftime("%Y-%m")
            await _record(session, dialect, facts, warning, "workspace", period, now)
        warnings.append(warning)
    return warnings


async def daily_warnings(
    session: AsyncSession, dialect: str, facts: CallFacts, settled: int, now: datetime
) -> list[UsageWarningInfo]:
    """The workflow's soft daily cost per user (one event per user, workflow and day)."""
    soft = facts.workflow.soft_daily_cost
    if soft is None or settled <= 0:
        return []
    user_key = "" if facts.user_id is None else str(facts.user_id)
    after = await budget.add_daily_spend(
        session,
        dialect,
        workspace_id=facts.workspace_id,
        user_key=user_key,
        workflow=facts.workflow.name,
        day=now.date(),
        spent_micros=settled,
    )
    limit = to_micros(soft)
    if after < limit:
        return []
    warning = UsageWarningInfo(DAILY_COST, "1", after, limit, after - settled < limit)
    if warning.new:
        scope = f"user:{user_key or '-'}:{facts.workflow.name}"
        await _record(session, dialect, facts, warning, scope, now.strftime("%Y-%m-%d"), now)
    return [warning]


async def _record(
    session: AsyncSession,
    dialect: str,
    facts: CallFacts,
    warning: UsageWarningInfo,
    scope: str,
    period: str,
    now: datetime,
) -> None:
    """The warning's event, once per threshold, scope and period."""
    await budget.record_warning(
        session,
        dialect,
        workspace_id=facts.workspace_id,
        user_id=facts.user_id,
        warning=warning,
        scope=scope,
        period=period,
        now=now,
    )
