"""Task cancellation (asyncio only): a web handler whose client went away is cancelled;
the gateway must close the upstream at once and still settle the partial usage."""

from __future__ import annotations

import asyncio

import pytest

from tests.core.llm.conftest import REQUEST, WORKFLOW, MakeGateway, all_models_tier
from tests.core.llm.test_streaming import CHUNKS, _disconnected
from tests.fakes.upstream import Answer, FakeUpstream

TIER = all_models_tier()


async def test_a_cancelled_task_closes_upstream_and_settles_usage(
    make_gateway: MakeGateway, anthropic_fake: FakeUpstream
) -> None:
    anthropic_fake.push(Answer(chunks=CHUNKS, hold_after=1))
    gateway = make_gateway({"anthropic": (anthropic_fake, ("k1",))})
    stream = gateway.stream(REQUEST, workflow=WORKFLOW, tier=TIER)
    first = asyncio.Event()

    async def consume() -> None:  # a web handler whose client went away
        async for _event in stream:
            first.set()

    task = asyncio.ensure_future(consume())
    await asyncio.wait_for(first.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2)

    assert await _disconnected(anthropic_fake)
    assert stream.result is not None
    assert stream.result.finish_reason == "cancelled"
    assert stream.result.usage.input_tokens == 12
