"""``python -m app billing reconcile --period YYYY-MM``: the ledger against Stripe.

For each workspace with a Stripe customer: the meter value of its billable outbox
rows in the month (sent or not) against the sum of Stripe's meter event summaries
for the same month. A difference is usually rows not pushed yet (shown too).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

import stripe
from sqlalchemy import select

from app.core.catalog import TIER_LOOKUP_KEYS
from app.models import BillingCustomer, BillingOutbox, UsageEvent
from app.services.billing.meter import meter_value
from app.services.billing.setup import find_meter
from app.services.usage.tenancy import TenantDatabase


class ReconcileError(Exception):
    """Reconciliation cannot run (no meter at Stripe: run ``billing setup``)."""


@dataclass(frozen=True, slots=True)
class Difference:
    """One customer's month: what the ledger says, what Stripe counted."""

    workspace_id: uuid.UUID
    customer: str
    ledger: int
    stripe: int
    unsent: int


def month_bounds(period: str) -> tuple[datetime, datetime]:
    """The first instant of ``period`` (YYYY-MM) and of the month after, in UTC."""
    start = datetime.strptime(period, "%Y-%m").replace(tzinfo=UTC)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(
        month=start.month + 1
    )
    return start, end


async def reconcile(
    db: TenantDatabase, client: stripe.StripeClient, period: str
) -> list[Difference]:
    """Every customer whose ledger and Stripe totals differ in ``period``."""
    start, end = month_bounds(period)
    meter = await find_meter(client)
    if meter is None:
        raise ReconcileError("Stripe has no meter for this app; run: python -m app billing setup")
    ledger: dict[uuid.UUID, int] = defaultdict(int)
    unsent: dict[uuid.UUID, int] = defaultdict(int)
    # System-wide on purpose: reconciliation covers every customer.
    async with db.system() as session:
        customers = {
            row.workspace_id: row.stripe_customer_id
            for row in (await session.scalars(select(BillingCustomer))).all()
        }
        rows = await session.execute(
            select(
                BillingOutbox.workspace_id,
                BillingOutbox.payload,
                BillingOutbox.sent_at,
                UsageEvent.input_tokens,
                UsageEvent.output_tokens,
                UsageEvent.created_at,
            )
            .join(UsageEvent, UsageEvent.id == BillingOutbox.usage_event_id)
            .where(UsageEvent.created_at >= start, UsageEvent.created_at < end)
        )
        for workspace_id, payload, sent_at, tokens_in, tokens_out, _ in rows.all():
            if payload.get("tier") not in TIER_LOOKUP_KEYS:
                continue
            value = meter_value(payload, (tokens_in or 0) + (tokens_out or 0))
            ledger[workspace_id] += value
            if sent_at is None:
                unsent[workspace_id] += value
    out = []
    for workspace_id, customer in sorted(customers.items(), key=lambda c: c[1]):
        summaries = await client.v1.billing.meters.event_summaries.list_async(
            meter.id,
            {
                "customer": customer,
                "start_time": int(start.timestamp()),
                "end_time": int(end.timestamp()),
                "limit": 100,
            },
        )
        counted = round(sum(s.aggregated_value for s in summaries.data))
        if counted != ledger[workspace_id]:
            out.append(
                Difference(workspace_id, customer, ledger[workspace_id], counted, unsent[workspace_id])
            )
    return out
