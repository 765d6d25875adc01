"""What a metrics scrape reads at that moment: backlogs from the database (two
indexed aggregate queries over every workspace) and this process's circuit breakers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import func, select

from app.core.metrics import Snapshot
from app.models import BillingOutbox, CallOutcome, UsageEvent
from app.services.usage.tenancy import TenantDatabase


def _age_seconds(oldest: datetime | None, now: datetime) -> float:
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:  # SQLite returns naive UTC
        oldest = oldest.replace(tzinfo=UTC)
    return max((now - oldest).total_seconds(), 0.0)


async def snapshot(
    db: TenantDatabase, breakers: Mapping[str, str], *, now: datetime | None = None
) -> Snapshot:
    """Pending reservations and unsent outbox rows (count and oldest age), and ``breakers``."""
    now = now or datetime.now(UTC)
    # Every workspace's rows: a count for the operator, no tenant data leaves.
    async with db.system() as session:
        pending, oldest_pending = (
            await session.execute(
                select(func.count(), func.min(UsageEvent.created_at)).where(
                    UsageEvent.outcome == CallOutcome.pending.value
                )
            )
        ).one()
        unsent, oldest_unsent = (
            await session.execute(
                select(func.count(), func.min(BillingOutbox.created_at)).where(
                    BillingOutbox.sent_at.is_(None)
                )
            )
        ).one()
    return Snapshot(
        pending_reservations=int(pending),
        oldest_reservation_seconds=_age_seconds(oldest_pending, now),
        outbox_unsent=int(unsent),
        oldest_outbox_seconds=_age_seconds(oldest_unsent, now),
        breakers=dict(breakers),
    )
