"""The outbox push: one meter event per billable row, exactly once, whatever happens.

Against a fake Stripe speaking Stripe's wire format (``tests/fakes/stripe.py``).
Only products billed through the meter (``stripe_metered``) push usage; the
others have their own test at the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import stripe
from sqlalchemy import func, select

from app.core.catalog import BILLING_MODE, METER
from app.core.db import create_engine_for
from app.core.flavour import gather, sleep
from app.models import BillingOutbox
from app.services.accounts import Accounts
from app.services.billing.customers import ensure_customer
from app.services.billing.meter import identifier
from app.services.billing.push import METERED_MODES, PushOptions, push
from app.services.usage import CallContext, TenantDatabase, UsageService
from tests.core.billing.conftest import Paying, new_workspace
from tests.core.usage.helpers import outbox, request
from tests.fakes.stripe import FakeStripe

metered = pytest.mark.skipif(
    BILLING_MODE not in METERED_MODES,
    reason=f"billing mode {BILLING_MODE} does not meter usage through Stripe",
)
FAST = PushOptions(backoff_seconds=0.01)
ROOT = Path(__file__).resolve().parents[3]


async def calls(service: UsageService, ctx: CallContext, n: int) -> None:
    for _ in range(n):
        await service.run(ctx, request())


async def unsent(db: TenantDatabase) -> int:
    async with db.system() as session:
        count = await session.scalar(
            select(func.count()).select_from(BillingOutbox).where(BillingOutbox.sent_at.is_(None))
        )
    return int(count or 0)


def expected_value() -> str:
    """The meter value of one FakeGateway call (100 + 20 tokens, $0.001)."""
    return {"workflow_unit": "1", "kilo_tokens": "1"}.get(METER.unit, "1000")


@metered
async def test_each_row_becomes_one_meter_event_then_is_marked_sent(
    service: UsageService, db: TenantDatabase, client: stripe.StripeClient,
    fake_stripe: FakeStripe, paying: Paying,
) -> None:
    await calls(service, paying.ctx, 3)
    rows = sorted(await outbox(service, paying.ctx.workspace_id), key=lambda r: r.created_at)

    report = await push(db, client, FAST)

    assert (report.sent, report.remaining) == (3, 0)
    events = fake_stripe.meter_events
    assert [e["identifier"] for e in events] == [identifier(r.id) for r in rows]  # in order
    for event, row in zip(events, rows, strict=True):
        assert event["event_name"] == METER.event_name
        assert event["payload"] == {"stripe_customer_id": paying.customer, "value": expected_value()}
        assert abs(event["timestamp"] - row.created_at.timestamp()) < 60  # the call's time
    assert all(r.sent_at is not None for r in await outbox(service, paying.ctx.workspace_id))
    # Nothing left: a second push sends nothing.
    again = await push(db, client, FAST)
    assert (again.sent, again.remaining) == (0, 0)
    assert len(fake_stripe.meter_events) == 3


@metered
async def test_rows_without_a_customer_are_kept_and_reported(
    service: UsageService, db: TenantDatabase, client: stripe.StripeClient,
    fake_stripe: FakeStripe, accounts: Accounts,
) -> None:
    ctx = await new_workspace(accounts)
    await calls(service, ctx, 2)

    report = await push(db, client, FAST)

    assert (report.no_customer, report.sent, report.remaining) == (2, 0, 2)
    assert fake_stripe.meter_events == []
    kept = await outbox(service, ctx.workspace_id)
    assert all(r.sent_at is None and r.last_error for r in kept)
    # Once the workspace is a Stripe customer, the same rows go out.
    await ensure_customer(db, client, ctx.workspace_id)
    assert (await push(db, client, FAST)).sent == 2


@metered
async def test_an_outage_then_rate_limits_lose_nothing(
    service: UsageService, db: TenantDatabase, client: stripe.StripeClient,
    fake_stripe: FakeStripe, paying: Paying,
) -> None:
    await calls(service, paying.ctx, 4)
    fake_stripe.fail_next(500, 503, 502, 500, 429, 429, 429)

    first = await push(db, client, PushOptions(backoff_seconds=0.01, retries=3))

    assert first.failed == 1 and first.remaining == 4  # gave up on the first row, kept all
    second = await push(db, client, FAST)  # 3 more 429s, then Stripe is back
    assert (second.sent, second.remaining) == (4, 0)
    rows = await outbox(service, paying.ctx.workspace_id)
    assert sorted(e["identifier"] for e in fake_stripe.meter_events) == sorted(
        identifier(r.id) for r in rows
    )


@metered
async def test_concurrent_pushes_never_send_a_row_twice(
    service: UsageService, usage_database_url: str, client: stripe.StripeClient,
    fake_stripe: FakeStripe, paying: Paying,
) -> None:
    await calls(service, paying.ctx, 12)
    engines = [create_engine_for(usage_database_url) for _ in range(2)]
    options = PushOptions(batch=3, backoff_seconds=0.01)
    try:
        reports = await gather(
            *(lambda e=e: push(TenantDatabase(e), client, options) for e in engines)
        )
    finally:
        for engine in engines:
            await engine.dispose()

    assert sum(r.sent for r in reports) == 12
    assert set(fake_stripe.identifier_posts.values()) == {1}  # no identifier posted twice
    assert len(fake_stripe.meter_events) == 12


def kill_after(command: list[str], env: dict[str, str], fake: FakeStripe, *, events: int) -> None:
    """Start ``command`` and SIGKILL it once Stripe has accepted ``events`` meter events."""
    with subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL) as process:
        deadline = time.monotonic() + 30
        while len(fake.meter_events) < events and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()


@metered
async def test_a_push_killed_midway_resumes_with_every_row_sent_exactly_once(
    service: UsageService, db: TenantDatabase, usage_database_url: str,
    client: stripe.StripeClient, fake_stripe: FakeStripe, paying: Paying,
) -> None:
    await calls(service, paying.ctx, 8)
    expected = sorted(identifier(r.id) for r in await outbox(service, paying.ctx.workspace_id))
    command = [sys.executable, "-m", "app", "billing", "push", "--lease", "1"]
    env = {**os.environ, **fake_stripe.env(), "DATABASE_URL": usage_database_url}
    fake_stripe.slow_meter_events(0.3)
    kill_after(command, env, fake_stripe, events=3)
    assert 3 <= len(fake_stripe.meter_events) < 8, "the push was not killed midway"
    fake_stripe.slow_meter_events(0)
    await sleep(1.1)  # the dead push's claims expire

    report = await push(db, client, FAST)  # a new push (in this process)

    assert report.remaining == 0
    accepted = sorted(e["identifier"] for e in fake_stripe.meter_events)
    assert accepted == expected  # every row reached Stripe once
    assert await unsent(db) == 0


@pytest.mark.skipif(BILLING_MODE in METERED_MODES, reason="this product meters usage")
async def test_products_not_metered_push_nothing(
    service: UsageService, db: TenantDatabase, client: stripe.StripeClient,
    fake_stripe: FakeStripe, accounts: Accounts,
) -> None:
    ctx = await new_workspace(accounts)
    await calls(service, ctx, 1)

    report = await push(db, client, FAST)

    assert report.sent == 0 and fake_stripe.meter_events == []
    assert report.remaining >= 1  # kept, never dropped
