"""Housekeeping: free reservations a crashed process left, expire due credit grants.

A reservation lives for the length of one call; one older than the TTL belongs
to a process that died (or lost its database connection) mid-call. Its holds are
released; if that call still settles later, it settles without releasing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from app.models import CreditAccount, UsageBudget, UsageReservation
from app.services.usage import credits
from app.services.usage.tenancy import TenantDatabase

logger = logging.getLogger(__name__)

BATCH = 1000


@dataclass(frozen=True, slots=True)
class SweepReport:
    reservations_released: int
    credits_expired_micros: int


async def sweep(db: TenantDatabase, *, older_than: timedelta, now: datetime) -> SweepReport:
    """One sweep over every workspace (at most ``BATCH`` reservations; run it often)."""
    cutoff = now - older_than
    # System-wide on purpose: stale reservations and due grants can be anyone's.
    async with db.system() as session:
        stale = (
            await session.scalars(
                select(UsageReservation)
                .where(UsageReservation.created_at < cutoff)
                .order_by(UsageReservation.created_at)
                .limit(BATCH)
                # A call settling right now holds its row: leave that one to the call.
                .with_for_update(skip_locked=True)
            )
        ).all()
        for reservation in stale:
            logger.warning(
                "releasing abandoned reservation %s (workspace %s, %s + %s micro-USD held)",
                reservation.id,
                reservation.workspace_id,
                reservation.amount_micros,
                reservation.credit_hold_micros,
            )
            if reservation.amount_micros:
                await session.execute(
                    update(UsageBudget)
                    .where(
                        UsageBudget.workspace_id == reservation.workspace_id,
                        UsageBudget.period_start == reservation.period_start,
                    )
                    .values(
                        reserved_micros=UsageBudget.reserved_micros - reservation.amount_micros,
                        updated_at=now,
                    )
                    .execution_options(synchronize_session=False)
                )
            await credits.release(
                session,
                workspace_id=reservation.workspace_id,
                amount_micros=reservation.credit_hold_micros,
                now=now,
            )
        if stale:
            await session.execute(
                delete(UsageReservation)
                .where(UsageReservation.id.in_([r.id for r in stale]))
                .execution_options(synchronize_session=False)
            )
        due = (
            await session.scalars(
                select(CreditAccount.workspace_id).where(CreditAccount.next_expiry_at <= now)
            )
        ).all()
        expired = 0
        for workspace_id in due:
            expired += await credits.expire_due(session, workspace_id=workspace_id, now=now)
    return SweepReport(len(stale), expired)
