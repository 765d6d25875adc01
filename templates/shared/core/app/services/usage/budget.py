"""The monthly hard cap, exact under concurrency, and the soft warnings.

A call first reserves its worst-case cost on the workspace's budget row for the
period with one conditional upsert: the row only changes when
``spent + reserved + amount <= limit``, so concurrent calls can never all squeeze
in. After the call the reservation settles to the real cost (or is released on
failure); the sweep releases what a crashed process held. The hot statements are
built once and reused: only their parameters change per call.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_CEILING, Decimal
from functools import cache
from typing import cast

from sqlalchemy import (
    BigInteger,
    Date,
    Executable,
    String,
    Table,
    Uuid,
    bindparam,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import UsageBudget, UsageDaily, UsageWarning
from app.models.base import UTCDateTime
from app.services.usage.dialect import upsert
from app.services.usage.money import usd_text

MONTHLY_COST = "monthly_cost"
DAILY_COST = "daily_cost"


def period_start(now: datetime) -> date:
    """The first day of ``now``'s month (UTC): caps are per calendar month."""
    now = now.astimezone(UTC)
    return date(now.year, now.month, 1)


def period_resets_at(start: date) -> datetime:
    """When the period starting on ``start`` ends (00:00 UTC on the next month's 1st)."""
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def threshold_micros(fraction: float | Decimal, limit_micros: int) -> int:
    """``fraction`` of ``limit_micros``, exactly (floats go through their repr)."""
    exact = Decimal(str(fraction)) * limit_micros
    return int(exact.to_integral_value(rounding=ROUND_CEILING))


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """A workspace's position in one cap period, in micro-USD."""

    period_start: date
    spent_micros: int
    reserved_micros: int
    limit_micros: int

    @property
    def resets_at(self) -> datetime:
        return period_resets_at(self.period_start)

    @property
    def used_micros(self) -> int:
        """Spent plus what calls in flight may still spend."""
        return self.spent_micros + self.reserved_micros


@dataclass(frozen=True, slots=True)
class UsageWarningInfo:
    """A soft threshold this call's scope is past (for a response header)."""

    kind: str  # MONTHLY_COST or DAILY_COST
    threshold: str  # fraction of the limit, e.g. "0.75"
    used_micros: int
    limit_micros: int
    new: bool  # this call crossed it (a warning event was recorded)

    def header_value(self) -> str:
        """E.g. ``monthly_cost; threshold=0.75; used=6.8; limit=9``."""
        return (
            f"{self.kind}; threshold={self.threshold}; "
            f"used={usd_text(self.used_micros)}; limit={usd_text(self.limit_micros)}"
        )


@cache
def _reserve_statement(dialect: str) -> Executable:
    """Create the period's row holding ``amount``, or hold more on it only if it fits."""
    amount = bindparam("amount", type_=BigInteger())
    limit = bindparam("limit", type_=BigInteger())
    now = bindparam("now", type_=UTCDateTime())
    fits = UsageBudget.spent_micros + UsageBudget.reserved_micros + amount <= limit
    return (
        upsert(dialect, UsageBudget)
        .values(
            workspace_id=bindparam("b_workspace", type_=Uuid()),
            period_start=bindparam("period", type_=Date()),
            limit_micros=limit,
            spent_micros=0,
            reserved_micros=amount,
            updated_at=now,
        )
        .on_conflict_do_update(
            index_elements=[UsageBudget.workspace_id, UsageBudget.period_start],
            set_={
                "reserved_micros": UsageBudget.reserved_micros + amount,
                "limit_micros": limit,
                "updated_at": now,
            },
            where=fits,
        )
        .returning(UsageBudget.reserved_micros)
    )


async def reserve(
    session: AsyncSession,
    dialect: str,
    *,
    workspace_id: uuid.UUID,
    period: date,
    amount_micros: int,
    limit_micros: int,
    now: datetime,
) -> bool:
    """Hold ``amount_micros`` on the period's budget if it fits under ``limit_micros``.

    The limit comes from the caller's entitlement each time, so an upgrade takes
    effect on the next call. Returns False (and changes nothing) when it does not fit.
    """
    if amount_micros > limit_micros:
        return False
    params = {
        "b_workspace": workspace_id,
        "period": period,
        "amount": amount_micros,
        "limit": limit_micros,
        "now": now,
    }
    return (await session.execute(_reserve_statement(dialect), params)).first() is not None


_SETTLE = (
    update(cast(Table, UsageBudget.__table__))
    .where(
        UsageBudget.workspace_id == bindparam("b_workspace", type_=Uuid()),
        UsageBudget.period_start == bindparam("period", type_=Date()),
    )
    .values(
        spent_micros=UsageBudget.spent_micros + bindparam("spent", type_=BigInteger()),
        reserved_micros=UsageBudget.reserved_micros - bindparam("released", type_=BigInteger()),
        updated_at=bindparam("now", type_=UTCDateTime()),
    )
    .returning(UsageBudget.spent_micros, UsageBudget.reserved_micros, UsageBudget.limit_micros)
)


async def settle(
    session: AsyncSession,
    *,
    workspace_id: uuid.UUID,
    period: date,
    released_micros: int,
    spent_micros: int,
    now: datetime,
) -> BudgetStatus:
    """Release a call's hold and add its real cost; returns the budget after."""
    params = {
        "b_workspace": workspace_id,
        "period": period,
        "spent": spent_micros,
        "released": released_micros,
        "now": now,
    }
    row = (await session.execute(_SETTLE, params)).one()
    return BudgetStatus(
        period, int(row.spent_micros), int(row.reserved_micros), int(row.limit_micros)
    )


async def status(
    session: AsyncSession, *, workspace_id: uuid.UUID, period: date, limit_micros: int
) -> BudgetStatus:
    """The budget for ``period`` (zeroes when nothing was reserved yet)."""
    row = (
        await session.execute(
            select(UsageBudget.spent_micros, UsageBudget.reserved_micros).where(
                UsageBudget.workspace_id == workspace_id, UsageBudget.period_start == period
            )
        )
    ).first()
    spent, reserved = (int(row.spent_micros), int(row.reserved_micros)) if row else (0, 0)
    return BudgetStatus(period, spent, reserved, limit_micros)


@cache
def _daily_statement(dialect: str) -> Executable:
    """Add to a (workspace, user, workflow, day) total, creating it on first use."""
    added = bindparam("spent", type_=BigInteger())
    return (
        upsert(dialect, UsageDaily)
        .values(
            workspace_id=bindparam("b_workspace", type_=Uuid()),
            user_key=bindparam("b_user", type_=String()),
            workflow=bindparam("b_workflow", type_=String()),
            day=bindparam("b_day", type_=Date()),
            spent_micros=added,
        )
        .on_conflict_do_update(
            index_elements=[
                UsageDaily.workspace_id,
                UsageDaily.user_key,
                UsageDaily.workflow,
                UsageDaily.day,
            ],
            set_={"spent_micros": UsageDaily.spent_micros + added},
        )
        .returning(UsageDaily.spent_micros)
    )


async def add_daily_spend(
    session: AsyncSession,
    dialect: str,
    *,
    workspace_id: uuid.UUID,
    user_key: str,
    workflow: str,
    day: date,
    spent_micros: int,
) -> int:
    """Add to a user's spend on a workflow today; returns the day's total."""
    params = {
        "b_workspace": workspace_id,
        "b_user": user_key,
        "b_workflow": workflow,
        "b_day": day,
        "spent": spent_micros,
    }
    return int((await session.execute(_daily_statement(dialect), params)).scalar_one())


def crossed(
    thresholds: tuple[float, ...] | tuple[Decimal, ...],
    *,
    before_micros: int,
    after_micros: int,
    limit_micros: int,
) -> list[tuple[str, bool]]:
    """The thresholds ``after_micros`` is at or past, each with "crossed by this call"."""
    past = []
    for fraction in thresholds:
        level = threshold_micros(fraction, limit_micros)
        if after_micros >= level:
            past.append((str(fraction), before_micros < level))
    return past


async def record_warning(
    session: AsyncSession,
    dialect: str,
    *,
    workspace_id: uuid.UUID,
    user_id: uuid.UUID | None,
    warning: UsageWarningInfo,
    scope: str,
    period: str,
    now: datetime,
) -> None:
    """One warning event per threshold, scope and period (a repeat is a no-op)."""
    statement = (
        upsert(dialect, UsageWarning)
        .values(
            id=uuid.uuid4(),
            workspace_id=workspace_id,
            user_id=user_id,
            kind=warning.kind,
            scope=scope,
            period=period,
            threshold=warning.threshold,
            used_micros=warning.used_micros,
            limit_micros=warning.limit_micros,
            created_at=now,
        )
        .on_conflict_do_nothing()
    )
    await session.execute(statement)
