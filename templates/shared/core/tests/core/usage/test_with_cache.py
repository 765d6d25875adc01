"""The usage layer with the real response cache: hits are metered as `cached`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.models import CallOutcome
from app.services.cache import CacheQuery, MemoryCacheBackend, ResponseCache
from app.services.llm.types import TextDelta
from app.services.usage import CallContext, UsageService
from tests.core.usage.conftest import TEST_WORKFLOW
from tests.core.usage.fakes import CHUNKS, FakeGateway
from tests.core.usage.helpers import events, request


@pytest.fixture
async def cached_service(
    usage_engine: AsyncEngine, gateway: FakeGateway
) -> AsyncIterator[UsageService]:
    cache = ResponseCache(MemoryCacheBackend(), exact_enabled=True, semantic_enabled=False)
    service = UsageService(usage_engine, gateway, cache=cache, billing_mode="stripe_metered")
    yield service
    await service.close()


def query_for(ctx: CallContext) -> CacheQuery:
    return CacheQuery.from_request(
        request(), workspace_id=ctx.workspace_id, workflow=TEST_WORKFLOW, prompt_version="p@v1"
    )


async def test_a_streamed_answer_is_cached_with_its_text(
    cached_service: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    stream = await cached_service.stream(ctx, request(), cache_query=query_for(ctx))
    streamed = "".join([e.text async for e in stream if isinstance(e, TextDelta)])

    again = await cached_service.run(ctx, request(), cache_query=query_for(ctx))

    assert gateway.calls == 1
    assert again.outcome is CallOutcome.cached
    assert again.text == streamed == "".join(CHUNKS)
    outcomes = sorted(row.outcome for row in await events(cached_service, ctx.workspace_id))
    assert outcomes == sorted([CallOutcome.ok, CallOutcome.cached])


async def test_a_cached_answer_replays_as_a_stream(
    cached_service: UsageService, gateway: FakeGateway, ctx: CallContext
) -> None:
    first = await cached_service.run(ctx, request(), cache_query=query_for(ctx))

    stream = await cached_service.stream(ctx, request(), cache_query=query_for(ctx))
    replayed = "".join([e.text async for e in stream if isinstance(e, TextDelta)])

    assert gateway.calls == 1
    assert replayed == first.text
    assert stream.outcome is not None and stream.outcome.outcome is CallOutcome.cached
