"""Through the real gateway, offline: with no provider key its ``local`` provider answers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.models import CallOutcome
from app.services.llm.settings import GatewaySettings
from app.services.llm.types import StreamEnd, TextDelta, UsageSource
from app.services.llm_gateway import LLMGateway, create_gateway
from app.services.usage import CallContext, UsageService
from tests.core.usage.helpers import events, outbox, request


@pytest.fixture
async def real_gateway() -> AsyncIterator[LLMGateway]:
    gateway = create_gateway(GatewaySettings())  # no keys: the local provider
    yield gateway
    await gateway.aclose()


@pytest.fixture
async def metered(
    usage_engine: AsyncEngine, real_gateway: LLMGateway
) -> AsyncIterator[UsageService]:
    service = UsageService(usage_engine, real_gateway, billing_mode="stripe_metered")
    yield service
    await service.close()


async def test_a_call_through_the_gateway_is_metered(
    metered: UsageService, ctx: CallContext
) -> None:
    outcome = await metered.run(ctx, request("Summarize the history of the bicycle."))

    assert outcome.outcome is CallOutcome.ok and outcome.result.local
    assert "bicycle" in outcome.text
    (row,) = await events(metered, ctx.workspace_id)
    assert (row.provider, row.outcome) == ("local", CallOutcome.ok)
    assert row.model in ctx.entitlement.allowed_models
    assert row.usage_source == UsageSource.estimated and row.output_tokens
    assert row.cost_micros == 0 and row.settled_micros == 0
    assert len(await outbox(metered, ctx.workspace_id)) == 1


async def test_a_gateway_stream_closed_early_is_settled_as_cancelled(
    metered: UsageService, ctx: CallContext
) -> None:
    stream = await metered.stream(ctx, request("Tell me a long story about lighthouses."))
    first = await stream.__anext__()
    await stream.aclose()

    assert isinstance(first, TextDelta)
    (row,) = await events(metered, ctx.workspace_id)
    assert row.outcome == CallOutcome.cancelled
    assert row.provider == "local" and row.output_tokens is not None
    assert row.attempts is not None and row.attempts[-1]["outcome"] == "cancelled"


async def test_a_full_gateway_stream_is_settled_ok(metered: UsageService, ctx: CallContext) -> None:
    stream = await metered.stream(ctx, request("Explain tides."))
    received = [event async for event in stream]

    assert isinstance(received[-1], StreamEnd)
    text = "".join(e.text for e in received if isinstance(e, TextDelta))
    assert text == received[-1].result.text
    (row,) = await events(metered, ctx.workspace_id)
    assert row.outcome == CallOutcome.ok
