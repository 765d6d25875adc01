"""Reports from the ledger: by user, workspace, workflow, model, prompt version, period."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.catalog import TIERS
from app.services.accounts import Accounts
from app.services.llm.errors import AllProvidersFailed
from app.services.llm.types import AttemptOutcome
from app.services.usage import CallContext, UsageService
from app.services.usage.aggregates import (
    ALL_WORKSPACES,
    Dimension,
    outlier_users,
    usage_totals,
    workflow_margins,
)
from tests.core.usage.fakes import FakeGateway, failed_attempt
from tests.core.usage.helpers import request

DAY_ONE = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
WINDOW = (datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))


class Clock:
    def __init__(self) -> None:
        self.now = DAY_ONE

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def history(
    usage_engine: AsyncEngine, gateway: FakeGateway, ctx: CallContext, accounts: Accounts
) -> UsageService:
    """Two days of calls: prompt v1 then v2, a failed cascade, a heavy user."""
    clock = Clock()
    service = UsageService(usage_engine, gateway, billing_mode="stripe_metered", clock=clock)
    model = ctx.entitlement.allowed_models[0]
    v1, v2 = replace(ctx, prompt_version="p@v1"), replace(ctx, prompt_version="p@v2")

    first = await service.run(v1, request())
    await service.mark_usable(ctx.workspace_id, first.event_id, True)
    await service.run(v1, request())
    retried = failed_attempt(model, AttemptOutcome.server_error, cost=Decimal("0.0002"))
    gateway.fail_with = AllProvidersFailed("down", attempts=(retried, retried))
    with pytest.raises(AllProvidersFailed):
        await service.run(v1, request())
    gateway.fail_with = None

    clock.now = DAY_ONE + timedelta(days=1)
    heavy = (await accounts.add_user(ctx.workspace_id, email="heavy@example.com")).id
    for _ in range(3):
        await service.run(v2, request())
    gateway.cost_usd = Decimal("0.05")
    for _ in range(2):
        await service.run(replace(v2, user_id=heavy), request())
    return service


async def totals(service: UsageService, ctx: CallContext, *by: Dimension) -> list:  # type: ignore[type-arg]
    async with service.db.tenant(ctx.workspace_id) as session:
        return await usage_totals(
            session, workspace_id=ctx.workspace_id, since=WINDOW[0], until=WINDOW[1], by=by
        )


async def test_workspace_totals(history: UsageService, ctx: CallContext) -> None:
    (total,) = await totals(history, ctx)

    assert (total.requests, total.ok, total.failed) == (8, 7, 1)
    assert total.spend_micros == 5 * 1000 + 2 * 50_000 + 400  # answers + the failed cascade
    assert total.retried_requests == 1 and total.retry_spend_micros == 200
    assert total.failure_share == pytest.approx(1 / 8)
    assert total.retry_share == pytest.approx(1 / 8)
    assert total.input_tokens == 7 * 100 and total.output_tokens == 7 * 20
    assert total.usable == 1
    assert total.cost_per_usable_usd == Decimal("0.1054")


async def test_by_prompt_version_and_day(history: UsageService, ctx: CallContext) -> None:
    by_version = {
        t.group["prompt_version"]: t for t in await totals(history, ctx, Dimension.prompt_version)
    }
    by_day = {t.group["day"]: t.requests for t in await totals(history, ctx, Dimension.day)}
    by_month = {t.group["month"]: t.requests for t in await totals(history, ctx, Dimension.month)}

    assert by_version["p@v1"].requests == 3 and by_version["p@v1"].failed == 1
    assert by_version["p@v2"].requests == 5 and by_version["p@v2"].failure_share == 0
    assert by_day == {"2026-05-04": 3, "2026-05-05": 5}
    assert by_month == {"2026-05": 8}


async def test_by_user_workflow_and_model(history: UsageService, ctx: CallContext) -> None:
    by_user = await totals(history, ctx, Dimension.user, Dimension.workflow, Dimension.model)

    assert len(by_user) == 2
    assert {t.group["workflow"] for t in by_user} == {ctx.workflow}
    assert {t.group["model"] for t in by_user} == {ctx.entitlement.allowed_models[0]}
    assert sorted(t.spend_micros for t in by_user) == [5400, 100_000]


async def test_outlier_users(history: UsageService, ctx: CallContext) -> None:
    async with history.db.tenant(ctx.workspace_id) as session:
        outliers = await outlier_users(
            session, workspace_id=ctx.workspace_id, since=WINDOW[0], until=WINDOW[1], factor=1.5
        )

    assert len(outliers) == 1
    assert outliers[0].spend_micros == 100_000 and outliers[0].user_id != ctx.user_id


async def test_margin_per_workflow_against_the_tier_price(
    history: UsageService, ctx: CallContext
) -> None:
    async with history.db.tenant(ctx.workspace_id) as session:
        (margin,) = await workflow_margins(
            session, workspace_id=ctx.workspace_id, since=WINDOW[0], until=WINDOW[1]
        )

    assert (margin.tier, margin.workflow) == (ctx.entitlement.tier, ctx.workflow)
    assert margin.tier_price_usd == ctx.entitlement.monthly_price == Decimal("10")
    assert margin.spend_per_workspace_usd == Decimal("0.1054")
    assert margin.margin_per_workspace_usd == Decimal("9.8946")
    assert margin.cost_share_of_price == pytest.approx(0.01054)


async def test_reports_across_workspaces_run_system_wide(
    history: UsageService, ctx: CallContext, accounts: Accounts
) -> None:
    other = await accounts.create_workspace("Other", next(iter(TIERS)))
    await history.run(replace(ctx, workspace_id=other.id, user_id=None), request())

    async with history.db.system() as session:
        rows = await usage_totals(
            session,
            workspace_id=ALL_WORKSPACES,
            since=WINDOW[0],
            until=WINDOW[1],
            by=[Dimension.workspace],
        )
    mine = {r.group["workspace"]: r.requests for r in rows}

    assert mine[str(ctx.workspace_id)] == 8
    assert mine[str(other.id)] == 1
