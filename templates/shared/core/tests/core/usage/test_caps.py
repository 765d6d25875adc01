"""The monthly hard cap (exact under concurrency), soft warnings, context limits, sweeps."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete

from app.core.catalog_types import WorkflowInfo
from app.core.flavour import gather
from app.models import CallOutcome, UsageEvent
from app.services.usage import (
    CallContext,
    CapExceeded,
    ContextTooLarge,
    UsageService,
)
from app.services.usage.budget import period_resets_at, period_start
from app.services.usage.money import to_usd
from app.services.usage.pricing import worst_case_micros
from app.services.usage.settlement import Admission
from tests.core.usage.conftest import entitlement
from tests.core.usage.fakes import FakeGateway
from tests.core.usage.helpers import budget_row, events, outbox, pending, request, warnings


def worst_case(ctx: CallContext, workflow: WorkflowInfo) -> int:
    return worst_case_micros(request(), workflow, ctx.entitlement)


def costing_the_worst_case(
    gateway: FakeGateway, ctx: CallContext, workflow: WorkflowInfo, calls: int
) -> CallContext:
    """Calls that cost exactly their reservation, under a cap that fits ``calls`` of them."""
    worst = worst_case(ctx, workflow)
    gateway.cost_usd = to_usd(worst)
    cap = to_usd(worst * calls)
    return replace(ctx, entitlement=replace(ctx.entitlement, monthly_cost_cap=cap))


async def test_a_call_over_the_cap_gets_a_clear_402_and_no_provider_call(
    service: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    ctx = replace(ctx, entitlement=entitlement(cap="0.000001"))

    with pytest.raises(CapExceeded) as refused:
        await service.run(ctx, request())

    assert gateway.calls == 0
    error = refused.value
    assert error.status == 402
    body = error.to_dict()
    assert body["error"] == "cap_exceeded" and body["cap"] == "monthly_cost"
    assert body["used_usd"] == "0" and body["limit_usd"] == "0.000001"
    assert datetime.fromisoformat(body["resets_at"]) == period_resets_at(
        period_start(datetime.now(UTC))
    )
    assert body["upgrade"]["hint"]
    (row,) = await events(service, ctx.workspace_id)
    assert (row.outcome, row.error_code) == (CallOutcome.capped, "cap_exceeded")
    assert row.settled_micros == 0


async def test_the_cap_admits_exactly_what_fits(
    service: UsageService, gateway: FakeGateway, ctx: CallContext, workflow: WorkflowInfo
) -> None:
    ctx = costing_the_worst_case(gateway, ctx, workflow, calls=3)

    for _ in range(3):
        await service.run(ctx, request())
    with pytest.raises(CapExceeded) as refused:
        await service.run(ctx, request())

    assert gateway.calls == 3
    assert refused.value.used_usd == refused.value.limit_usd
    row = await budget_row(service, ctx.workspace_id)
    assert row.spent_micros == row.limit_micros and row.reserved_micros == 0


async def test_an_upgrade_raises_the_cap_on_the_next_call(
    service: UsageService, gateway: FakeGateway, ctx: CallContext, workflow: WorkflowInfo
) -> None:
    ctx = costing_the_worst_case(gateway, ctx, workflow, calls=1)
    await service.run(ctx, request())
    with pytest.raises(CapExceeded):
        await service.run(ctx, request())

    upgraded = replace(ctx, entitlement=replace(ctx.entitlement, monthly_cost_cap=Decimal(1)))
    outcome = await service.run(upgraded, request())

    assert outcome.outcome is CallOutcome.ok


async def test_soft_warnings_header_every_call_past_a_threshold_event_once(
    service: UsageService, gateway: FakeGateway, ctx: CallContext, workflow: WorkflowInfo
) -> None:
    ctx = costing_the_worst_case(gateway, ctx, workflow, calls=10)
    ctx = replace(ctx, entitlement=replace(ctx.entitlement, soft_warnings=(0.5, 0.8)))

    seen = []
    for _ in range(9):
        outcome = await service.run(ctx, request())
        seen.append([(w.threshold, w.new) for w in outcome.warnings])

    assert seen[:4] == [[]] * 4
    assert seen[4] == [("0.5", True)]
    assert seen[5] == seen[6] == [("0.5", False)]
    assert seen[7] == [("0.5", False), ("0.8", True)]
    assert seen[8] == [("0.5", False), ("0.8", False)]
    assert "threshold=0.8" in outcome.headers()["X-Usage-Warning"]
    recorded = await warnings(service, ctx.workspace_id)
    assert sorted((w.kind, w.threshold) for w in recorded) == [
        ("monthly_cost", "0.5"),
        ("monthly_cost", "0.8"),
    ]


async def test_soft_daily_cost_warns_per_user_and_workflow(
    service: UsageService, gateway: FakeGateway, ctx: CallContext, workflow: WorkflowInfo
) -> None:
    assert workflow.soft_daily_cost == Decimal("0.05")
    gateway.cost_usd = Decimal("0.02")

    kinds = []
    for _ in range(4):
        outcome = await service.run(ctx, request())
        kinds.append([(w.kind, w.new) for w in outcome.warnings if w.kind == "daily_cost"])
    other_user = await service.run(replace(ctx, user_id=None), request())

    assert kinds == [[], [], [("daily_cost", True)], [("daily_cost", False)]]
    assert not [w for w in other_user.warnings if w.kind == "daily_cost"]
    daily = [w for w in await warnings(service, ctx.workspace_id) if w.kind == "daily_cost"]
    assert len(daily) == 1 and daily[0].scope == f"user:{ctx.user_id}:{workflow.name}"


async def test_an_oversize_request_is_refused_before_any_provider_call(
    service: UsageService, gateway: FakeGateway, ctx: CallContext, workflow: WorkflowInfo
) -> None:
    too_long = "word " * (workflow.max_context_tokens * 2)

    with pytest.raises(ContextTooLarge) as refused:
        await service.run(ctx, request(too_long))

    assert gateway.calls == 0
    assert refused.value.status == 413
    assert refused.value.max_tokens == workflow.max_context_tokens
    (row,) = await events(service, ctx.workspace_id)
    assert (row.outcome, row.error_code) == (CallOutcome.rejected, "context_too_large")


async def test_sweep_closes_a_crashed_call_and_a_late_settle_does_not_double_release(
    service: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    # A process admits a call, then dies before settling it.
    admission = await service.admitter.admit(service.admitter.facts(ctx, request()))
    assert isinstance(admission, Admission)
    held = await budget_row(service, ctx.workspace_id)
    assert held.reserved_micros == admission.budget_micros > 0
    assert len(await pending(service, ctx.workspace_id)) == 1

    assert (await service.sweep(older_than=timedelta(hours=1))).calls_abandoned == 0
    report = await service.sweep(older_than=timedelta(0))

    assert report.calls_abandoned >= 1
    (row,) = await events(service, ctx.workspace_id)
    assert (row.outcome, row.error_code, row.cost_micros) == ("failed", "abandoned", None)
    assert (await budget_row(service, ctx.workspace_id)).reserved_micros == 0
    # The "dead" call answers after all: its cost lands, nothing is released twice.
    result = gateway.result(request(), ctx.entitlement.tier_info())
    await service.settlement.settle(admission, result, CallOutcome.ok)
    (row,) = await events(service, ctx.workspace_id)
    assert (row.outcome, row.cost_micros) == ("ok", 1000)
    spent = await budget_row(service, ctx.workspace_id)
    assert (spent.spent_micros, spent.reserved_micros) == (1000, 0)


async def test_settling_a_settled_call_again_changes_nothing(
    service: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    admission = await service.admitter.admit(service.admitter.facts(ctx, request()))
    assert isinstance(admission, Admission)
    result = gateway.result(request(), ctx.entitlement.tier_info())
    await service.settlement.settle(admission, result, CallOutcome.ok)

    # A second settlement of the same row (a retry, a cancel racing the end): a no-op.
    await service.settlement.settle(admission, result, CallOutcome.cancelled)
    await service.settlement.settle_failure(admission, None)

    (row,) = await events(service, ctx.workspace_id)
    assert (row.outcome, row.cost_micros) == ("ok", 1000)
    assert [o.usage_event_id for o in await outbox(service, ctx.workspace_id)] == [row.id]
    spent = await budget_row(service, ctx.workspace_id)
    assert (spent.spent_micros, spent.reserved_micros) == (1000, 0)


async def test_a_call_whose_row_went_missing_still_gets_one_and_releases_its_hold(
    service: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    admission = await service.admitter.admit(service.admitter.facts(ctx, request()))
    assert isinstance(admission, Admission)
    async with service.db.tenant(ctx.workspace_id) as session:
        await session.execute(delete(UsageEvent).where(UsageEvent.workspace_id == ctx.workspace_id))

    result = gateway.result(request(), ctx.entitlement.tier_info())
    await service.settlement.settle(admission, result, CallOutcome.ok)

    (row,) = await events(service, ctx.workspace_id)
    assert (row.outcome, row.cost_micros, row.workflow) == ("ok", 1000, ctx.workflow)
    spent = await budget_row(service, ctx.workspace_id)
    assert (spent.spent_micros, spent.reserved_micros) == (1000, 0)


async def test_concurrent_calls_never_exceed_the_cap(
    service: UsageService, gateway: FakeGateway, ctx: CallContext, workflow: WorkflowInfo
) -> None:
    # 100 concurrent requests against a cap that fits k: exactly k are admitted.
    k, n = 7, 100
    ctx = costing_the_worst_case(gateway, ctx, workflow, calls=k)

    async def attempt() -> bool:
        try:
            await service.run(ctx, request())
        except CapExceeded:
            return False
        return True

    admitted = await gather(*([attempt] * n))

    assert sum(admitted) == k
    assert gateway.calls == k
    row = await budget_row(service, ctx.workspace_id)
    assert row.spent_micros <= row.limit_micros and row.reserved_micros == 0
    outcomes = [r.outcome for r in await events(service, ctx.workspace_id)]
    assert outcomes.count(CallOutcome.ok) == k
    assert outcomes.count(CallOutcome.capped) == n - k
