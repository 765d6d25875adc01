"""Housekeeping: settle calls a crashed process left pending, expire due credit grants,
and forget answers kept for idempotent replays once their window has passed.

A call's row stays ``pending`` for the length of one call; one older than the
TTL belongs to a process that died (or lost its database) mid-call. The sweep
closes it as failed (``abandoned``, cost unknown: NULL) and releases what it held
on the cap and on credits. If the call was merely slow and settles later after
all, it completes the same row without releasing anything twice.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import CallOutcome, CreditAccount, UsageBudget, UsageEvent
from app.services.usage import credits
from app.services.usage.budget import period_start
from app.services.usage.ledger import ABANDONED, REPLAY_WINDOW
from app.services.usage.tenancy import TenantDatabase

logger = logging.getLogger(__name__)

BATCH = 1000


@dataclass(frozen=True, slots=True)
class SweepReport:
    calls_abandoned: int
    credits_expired_micros: int


async def sweep(db: TenantDatabase, *, older_than: timedelta, now: datetime) -> SweepReport:
    """One sweep over every workspace (at most ``BATCH`` calls; run it often)."""
    cutoff = now - older_than
    # System-wide on purpose: abandoned calls and due grants can be anyone's.
    async with db.system() as session:
        stale = (
            await session.execute(
                select(
                    UsageEvent.id,
                    UsageEvent.workspace_id,
                    UsageEvent.created_at,
                    UsageEvent.held_micros,
                    UsageEvent.credit_held_micros,
                )
                .where(UsageEvent.outcome == CallOutcome.pending, UsageEvent.created_at < cutoff)
                .order_by(UsageEvent.created_at)
                .limit(BATCH)
                # A call settling right now holds its row: leave that one to the call.
                .with_for_update(skip_locked=True)
            )
        ).all()
        for call in stale:
            await _close_abandoned(session, call, now)
        await _forget_replays(session, now)
        due = (
            await session.scalars(
                select(CreditAccount.workspace_id).where(CreditAccount.next_expiry_at <= now)
            )
        ).all()
        expired = 0
        for workspace_id in due:
            expired += await credits.expire_due(session, workspace_id=workspace_id, now=now)
    return SweepReport(len(stale), expired)


# A pending call's id, workspace, start and holds (budget, credits), as the sweep selects it.
StaleCall = Row[uuid.UUID, uuid.UUID, datetime, int, int]


async def _close_abandoned(session: AsyncSession, call: StaleCall, now: datetime) -> None:
    """Close one abandoned call as failed and release what it held."""
    logger.warning(
        "closing abandoned call %s (workspace %s, %s + %s micro-USD held)",
        call.id,
        call.workspace_id,
        call.held_micros,
        call.credit_held_micros,
    )
    await session.execute(
        update(UsageEvent)
        .where(UsageEvent.id == call.id, UsageEvent.outcome == CallOutcome.pending)
        .values(
            outcome=CallOutcome.failed,
            error_code=ABANDONED,
            error="the process handling the call stopped before settling it",
            idempotency_key=None,  # a retry of the request is a new attempt
            completed_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if call.held_micros:
        await session.execute(
            update(UsageBudget)
            .where(
                UsageBudget.workspace_id == call.workspace_id,
                UsageBudget.period_start == period_start(call.created_at),
            )
            .values(
                reserved_micros=UsageBudget.reserved_micros - call.held_micros,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    await credits.release(
        session,
        workspace_id=call.workspace_id,
        amount_micros=call.credit_held_micros,
        now=now,
    )


async def _forget_replays(session: AsyncSession, now: datetime) -> None:
    """Clear answers kept for idempotent replays past their window (``REPLAY_WINDOW``)."""
    await session.execute(
        update(UsageEvent)
        .where(
            UsageEvent.replay_body.is_not(None),
            UsageEvent.completed_at < now - REPLAY_WINDOW,
        )
        .values(replay_body=None)
        .execution_options(synchronize_session=False)
    )
