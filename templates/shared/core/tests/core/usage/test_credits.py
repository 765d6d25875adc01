"""Prepaid credits and hybrid billing: grants, expiry, holds, debits, the ledger."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.catalog_types import WorkflowInfo
from app.core.flavour import gather
from app.models import CallOutcome, CreditEntryKind, CreditLedgerEntry
from app.services.llm.errors import AllProvidersFailed
from app.services.usage import (
    CallContext,
    CapExceeded,
    CreditsExhausted,
    UsageService,
)
from app.services.usage.money import to_usd
from app.services.usage.pricing import worst_case_micros
from tests.core.usage.fakes import FakeGateway
from tests.core.usage.helpers import events, request, rows, with_key


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def prepaid(
    usage_engine: AsyncEngine, gateway: FakeGateway, clock: Clock
) -> AsyncIterator[UsageService]:
    service = UsageService(usage_engine, gateway, billing_mode="prepaid_credits", clock=clock)
    yield service
    await service.close()


async def ledger_entries(service: UsageService, ctx: CallContext) -> list[CreditLedgerEntry]:
    entries = await rows(service, ctx.workspace_id, CreditLedgerEntry)
    return sorted(entries, key=lambda e: (e.created_at, e.kind != CreditEntryKind.grant))


async def test_each_call_debits_its_settled_cost(
    prepaid: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    await prepaid.grant_credits(ctx.workspace_id, Decimal("1"), reason="purchase")

    outcome = await prepaid.run(ctx, request())

    balance = await prepaid.credit_balance(ctx.workspace_id)
    assert balance.balance_usd == Decimal("0.999") and balance.held_micros == 0
    (row,) = await events(prepaid, ctx.workspace_id)
    assert row.funding == "credits"
    entries = await ledger_entries(prepaid, ctx)
    assert [(e.kind, e.amount_micros, e.balance_after_micros) for e in entries] == [
        ("grant", 1_000_000, 1_000_000),
        ("debit", -1000, 999_000),
    ]
    assert entries[1].usage_event_id == outcome.event_id


async def test_without_credits_the_call_is_a_402_and_no_provider_is_called(
    prepaid: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    with pytest.raises(CreditsExhausted) as refused:
        await prepaid.run(ctx, request())

    assert refused.value.status == 402
    assert refused.value.to_dict()["available_usd"] == "0"
    assert gateway.calls == 0
    (row,) = await events(prepaid, ctx.workspace_id)
    assert (row.outcome, row.error_code) == (CallOutcome.capped, "credits_exhausted")


async def test_credits_run_out_exactly(
    prepaid: UsageService, gateway: FakeGateway, ctx: CallContext, workflow: WorkflowInfo
) -> None:
    worst = worst_case_micros(request(), workflow, ctx.entitlement)
    gateway.cost_usd = to_usd(worst)
    await prepaid.grant_credits(ctx.workspace_id, to_usd(worst * 3), reason="purchase")

    async def attempt() -> bool:
        try:
            await prepaid.run(ctx, request())
        except CreditsExhausted:
            return False
        return True

    admitted = await gather(*([attempt] * 10))

    assert sum(admitted) == 3
    balance = await prepaid.credit_balance(ctx.workspace_id)
    assert balance.balance_micros == 0 and balance.held_micros == 0


async def test_a_retried_key_is_never_charged_twice(
    prepaid: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    await prepaid.grant_credits(ctx.workspace_id, Decimal("1"), reason="purchase")
    keyed = with_key(ctx, "pay-once")

    await prepaid.run(keyed, request())
    await prepaid.run(keyed, request())

    assert gateway.calls == 1
    assert (await prepaid.credit_balance(ctx.workspace_id)).balance_usd == Decimal("0.999")


async def test_a_failed_call_releases_its_hold_and_costs_no_credits(
    prepaid: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    await prepaid.grant_credits(ctx.workspace_id, Decimal("1"), reason="purchase")
    gateway.fail_with = AllProvidersFailed("down")

    with pytest.raises(AllProvidersFailed):
        await prepaid.run(ctx, request())

    balance = await prepaid.credit_balance(ctx.workspace_id)
    assert (balance.balance_usd, balance.held_micros) == (Decimal("1"), 0)


async def test_grants_expire_and_are_used_soonest_expiring_first(
    prepaid: UsageService, gateway: FakeGateway, ctx: CallContext, clock: Clock
) -> None:
    soon = clock.now + timedelta(days=1)
    expiring = await prepaid.grant_credits(
        ctx.workspace_id, Decimal("0.01"), reason="trial", expires_at=soon
    )
    await prepaid.grant_credits(ctx.workspace_id, Decimal("1"), reason="purchase")

    await prepaid.run(ctx, request())  # drawn from the trial grant first
    clock.now = soon + timedelta(seconds=1)
    balance = await prepaid.credit_balance(ctx.workspace_id)
    assert balance.balance_usd == Decimal("1")  # the trial's 0.009 left is gone
    await prepaid.run(ctx, request())  # the hold applies the expiry on the account

    entries = await ledger_entries(prepaid, ctx)
    kinds = [(e.kind, e.amount_micros, e.grant_id == expiring) for e in entries]
    assert ("debit", -1000, True) in kinds
    assert ("expire", -9000, True) in kinds
    assert entries[-1].balance_after_micros == 999_000
    assert (await prepaid.credit_balance(ctx.workspace_id)).balance_usd == Decimal("0.999")


async def test_sweep_expires_due_grants(
    prepaid: UsageService, ctx: CallContext, clock: Clock
) -> None:
    await prepaid.grant_credits(
        ctx.workspace_id,
        Decimal("0.5"),
        reason="trial",
        expires_at=clock.now + timedelta(hours=1),
    )
    clock.now += timedelta(hours=2)

    report = await prepaid.sweep()

    assert report.credits_expired_micros >= 500_000
    entries = await ledger_entries(prepaid, ctx)
    assert [e.kind for e in entries] == ["grant", "expire"]
    assert entries[-1].balance_after_micros == 0


async def test_a_grant_with_the_same_reference_is_added_once(
    prepaid: UsageService, ctx: CallContext
) -> None:
    first = await prepaid.grant_credits(
        ctx.workspace_id, Decimal("5"), reason="purchase", reference="pi_123"
    )
    again = await prepaid.grant_credits(
        ctx.workspace_id, Decimal("5"), reason="purchase", reference="pi_123"
    )

    assert first == again
    assert (await prepaid.credit_balance(ctx.workspace_id)).balance_usd == Decimal("5")


async def test_hybrid_uses_the_plan_then_credits_past_the_cap(
    usage_engine: AsyncEngine, gateway: FakeGateway, ctx: CallContext, workflow: WorkflowInfo
) -> None:
    worst = worst_case_micros(request(), workflow, ctx.entitlement)
    gateway.cost_usd = to_usd(worst)
    ctx = replace(ctx, entitlement=replace(ctx.entitlement, monthly_cost_cap=to_usd(worst)))
    hybrid = UsageService(usage_engine, gateway, billing_mode="hybrid")

    await hybrid.run(ctx, request())  # within the plan's allowance
    with pytest.raises(CapExceeded) as refused:
        await hybrid.run(ctx, request())  # past the cap, no credits
    assert "Buy credits" in refused.value.upgrade_hint
    await hybrid.grant_credits(ctx.workspace_id, to_usd(worst), reason="top-up")
    await hybrid.run(ctx, request())  # past the cap, on credits

    fundings = [(r.outcome, r.funding) for r in await events(hybrid, ctx.workspace_id)]
    assert fundings == [("ok", "plan"), ("capped", None), ("ok", "overage")]
    assert (await hybrid.credit_balance(ctx.workspace_id)).balance_micros == 0
