"""Drain the billing outbox into Stripe Billing Meters, exactly once per row.

A push claims a batch of unsent rows for a while (a lease written to the rows, so
concurrent pushes on any database never take the same row; PostgreSQL also skips
rows another transaction is claiming), sends one meter event per row, in order,
and marks each row sent only after Stripe accepted it. The event ``identifier`` is
derived from the row id: a row re-sent after a crash (its lease expired) gets
Stripe's duplicate-identifier 400, which counts as accepted.

Rows that cannot be sent yet (the workspace has no Stripe customer, the call is
older than Stripe's 35-day window) are reported and kept. Rows of tiers not sold
through Stripe are settled without a request (nothing to charge) and counted.
Rate limits, Stripe's 5xx and timeouts back off and retry; when they persist the
push stops, leaving the rest for the next run.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import stripe
from stripe.params.billing import MeterEventCreateParams
from sqlalchemy import and_, func, or_, select, update

from app.core.catalog import BILLING_MODE, METER, TIER_LOOKUP_KEYS
from app.core.flavour import sleep
from app.models import BillingCustomer, BillingOutbox, UsageEvent, utcnow
from app.services.billing.meter import WINDOW_DAYS, identifier, meter_value
from app.services.billing.stripe_api import is_duplicate_identifier, is_transient
from app.services.usage.tenancy import TenantDatabase

logger = logging.getLogger(__name__)

# Modes whose usage is charged through the meter (hybrid: the subscription includes
# the allowance and overage runs on credits, so nothing is metered).
METERED_MODES = ("stripe_metered",)
BATCH = 100


@dataclass(frozen=True, slots=True)
class PushOptions:
    """How a push runs; the defaults suit production."""

    limit: int | None = None  # most rows this run (None: until the backlog is empty)
    batch: int = BATCH
    lease: timedelta = timedelta(minutes=2)  # how long a claim keeps other pushes away
    retries: int = 5  # per row, on rate limits, 5xx and timeouts
    backoff_seconds: float = 0.5  # doubled after each retry, at most 30 s
    # Asked between rows: True stops the push (its claims are released).
    stopping: Callable[[], bool] = field(default=lambda: False)


@dataclass(slots=True)
class PushReport:
    """What a push did; ``remaining`` is the unsent backlog left afterwards."""

    sent: int = 0
    duplicates: int = 0  # already at Stripe (a previous push died before marking them)
    not_billed: int = 0  # tiers not sold through Stripe, or nothing to charge
    no_customer: int = 0  # kept: the workspace has no Stripe customer yet
    too_old: int = 0  # kept: older than Stripe's window (bill by hand; see docs)
    failed: int = 0  # kept: Stripe kept refusing (see last_error)
    remaining: int = 0

    def summary(self) -> str:
        """One line for operators."""
        return (
            f"sent {self.sent}, already at Stripe {self.duplicates}, not billed "
            f"{self.not_billed}, kept: no customer {self.no_customer}, too old "
            f"{self.too_old}, failed {self.failed}; unsent rows left {self.remaining}"
        )


@dataclass(frozen=True, slots=True)
class _Row:
    id: uuid.UUID
    workspace_id: uuid.UUID
    payload: dict[str, Any]
    created_at: datetime
    tokens: int | None
    customer: str | None


class _StripeDown(Exception):
    """Stripe kept failing transiently: stop this push."""


async def push(
    db: TenantDatabase,
    client: stripe.StripeClient,
    options: PushOptions | None = None,
) -> PushReport:
    """Send unsent outbox rows to the meter until the backlog (or ``limit``) is done."""
    options = options or PushOptions()
    report = PushReport()
    if BILLING_MODE not in METERED_MODES:
        report.remaining = await backlog(db)
        return report
    done = 0
    # A run moves forward through the outbox: rows it kept are not claimed again
    # until the next run (nor are rows released behind it by a push that stopped).
    after: tuple[datetime, uuid.UUID] | None = None
    while options.limit is None or done < options.limit:
        if options.stopping():
            break
        size = options.batch if options.limit is None else min(options.batch, options.limit - done)
        token = str(uuid.uuid4())
        rows = await _claim(db, token, size, options.lease, after)
        if not rows:
            break
        done += len(rows)
        after = (rows[-1].created_at, rows[-1].id)
        try:
            for row in rows:
                if options.stopping():
                    break
                await _push_row(db, client, token, row, options, report)
        except _StripeDown:
            break
        finally:
            await _release(db, token)
    report.remaining = await backlog(db)
    return report


async def backlog(db: TenantDatabase) -> int:
    """How many outbox rows are not sent yet."""
    async with db.system() as session:
        count = await session.scalar(
            select(func.count()).select_from(BillingOutbox).where(BillingOutbox.sent_at.is_(None))
        )
    return int(count or 0)


async def _claim(
    db: TenantDatabase,
    token: str,
    size: int,
    lease: timedelta,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[_Row]:
    """Claim up to ``size`` unsent, unclaimed rows (oldest first, past ``after``)."""
    now = utcnow()
    free = and_(
        BillingOutbox.sent_at.is_(None),
        or_(BillingOutbox.claimed_until.is_(None), BillingOutbox.claimed_until < now),
    )
    if after is not None:
        free = and_(
            free,
            or_(
                BillingOutbox.created_at > after[0],
                and_(BillingOutbox.created_at == after[0], BillingOutbox.id > after[1]),
            ),
        )
    # System-wide on purpose: the drain serves every workspace.
    async with db.system() as session:
        ids = (
            select(BillingOutbox.id)
            .where(free)
            .order_by(BillingOutbox.created_at, BillingOutbox.id)
            .limit(size)
        )
        if db.is_postgres:
            ids = ids.with_for_update(skip_locked=True)
        await session.execute(
            update(BillingOutbox)
            .where(BillingOutbox.id.in_(ids.scalar_subquery()), free)
            .values(claim_token=token, claimed_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        found = await session.execute(
            select(
                BillingOutbox.id,
                BillingOutbox.workspace_id,
                BillingOutbox.payload,
                BillingOutbox.created_at,
                UsageEvent.input_tokens,
                UsageEvent.output_tokens,
                BillingCustomer.stripe_customer_id,
            )
            .join(UsageEvent, UsageEvent.id == BillingOutbox.usage_event_id)
            .outerjoin(BillingCustomer, BillingCustomer.workspace_id == BillingOutbox.workspace_id)
            .where(BillingOutbox.claim_token == token)
            .order_by(BillingOutbox.created_at, BillingOutbox.id)
        )
        return [
            _Row(r.id, r.workspace_id, r.payload, r.created_at, (r[4] or 0) + (r[5] or 0), r[6])
            for r in found.all()
        ]


async def _release(db: TenantDatabase, token: str) -> None:
    """Give back what this push claimed and did not send (another push may take it)."""
    async with db.system() as session:
        await session.execute(
            update(BillingOutbox)
            .where(BillingOutbox.claim_token == token, BillingOutbox.sent_at.is_(None))
            .values(claim_token=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )


async def _mark(
    db: TenantDatabase, token: str, row: _Row, *, sent: bool, error: str | None
) -> None:
    """Record the outcome of one row (sent, or why not), if this push still holds it."""
    values: dict[str, Any] = {"attempts": BillingOutbox.attempts + 1, "last_error": error}
    if sent:
        values["sent_at"] = utcnow()
    async with db.system() as session:
        await session.execute(
            update(BillingOutbox)
            .where(BillingOutbox.id == row.id, BillingOutbox.claim_token == token)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


async def _push_row(
    db: TenantDatabase,
    client: stripe.StripeClient,
    token: str,
    row: _Row,
    options: PushOptions,
    report: PushReport,
) -> None:
    value = meter_value(row.payload, row.tokens)
    tier = str(row.payload.get("tier"))
    if tier not in TIER_LOOKUP_KEYS or value <= 0:
        report.not_billed += 1
        reason = "nothing to charge" if value <= 0 else f"tier {tier} is not sold through Stripe"
        await _mark(db, token, row, sent=True, error=f"not billed: {reason}")
        return
    if row.customer is None:
        report.no_customer += 1
        await _mark(db, token, row, sent=False, error="the workspace has no Stripe customer")
        return
    occurred = datetime.fromisoformat(str(row.payload["occurred_at"]))
    if occurred < utcnow() - timedelta(days=WINDOW_DAYS) + timedelta(hours=1):
        report.too_old += 1
        await _mark(db, token, row, sent=False, error="older than Stripe's 35-day meter window")
        return
    params: MeterEventCreateParams = {
        "event_name": METER.event_name,
        "identifier": identifier(row.id),
        "timestamp": int(occurred.timestamp()),
        "payload": {"stripe_customer_id": row.customer, "value": str(value)},
    }
    delay = options.backoff_seconds
    for attempt in range(options.retries + 1):
        try:
            await client.v1.billing.meter_events.create_async(params)
        except stripe.StripeError as exc:
            if is_duplicate_identifier(exc):
                report.duplicates += 1
                await _mark(db, token, row, sent=True, error=None)
                return
            error = f"{type(exc).__name__} ({exc.http_status}): {exc.user_message or exc}"[:500]
            if not is_transient(exc):
                report.failed += 1
                await _mark(db, token, row, sent=False, error=error)
                logger.error("Stripe refused meter event for outbox row %s: %s", row.id, error)
                return
            if attempt == options.retries or options.stopping():
                report.failed += 1
                await _mark(db, token, row, sent=False, error=error)
                logger.warning("Stripe unavailable, push stops: %s", error)
                raise _StripeDown from exc
            logger.info("Stripe answered %s; retrying in %.1f s", error, delay)
            await sleep(delay)
            delay = min(delay * 2, 30.0)
        else:
            report.sent += 1
            await _mark(db, token, row, sent=True, error=None)
            return
