"""Per-user leaky buckets (GCRA): memory by default, Redis for several processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.flavour import gather
from app.models import CallOutcome
from app.services.usage import (
    CallContext,
    MemoryRateLimiter,
    RateLimited,
    RedisRateLimiter,
    UsageService,
)
from tests.core.usage.fakes import FakeGateway
from tests.core.usage.helpers import events, request

REDIS_URL = os.environ.get("TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="set TEST_REDIS_URL to test against Redis")
PROJECT_ROOT = Path(__file__).absolute().parents[3]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def redis_limiter() -> AsyncIterator[RedisRateLimiter]:
    assert REDIS_URL is not None
    prefix = f"test:usage:{uuid.uuid4().hex}:"
    limiter = RedisRateLimiter.from_url(REDIS_URL, prefix=prefix)
    yield limiter
    await limiter.close()
    await _delete_keys(prefix)


async def _delete_keys(prefix: str) -> None:
    assert REDIS_URL is not None
    client = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def test_memory_bucket_admits_a_burst_then_drips_at_the_rate() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock=clock)

    admitted = [(await limiter.acquire("u", per_minute=60, burst=3)).allowed for _ in range(4)]
    refused = await limiter.acquire("u", per_minute=60, burst=3)
    clock.now += 1.0
    after_a_second = await limiter.acquire("u", per_minute=60, burst=3)

    assert admitted == [True, True, True, False]
    assert refused.retry_after == pytest.approx(1.0)
    assert after_a_second.allowed


async def test_decisions_say_what_is_left_and_when_the_bucket_is_full() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock=clock)

    fresh = await limiter.peek("u", per_minute=60, burst=3)
    first = await limiter.acquire("u", per_minute=60, burst=3)
    second = await limiter.acquire("u", per_minute=60, burst=3)
    peeked = await limiter.peek("u", per_minute=60, burst=3)

    assert (fresh.allowed, fresh.remaining, fresh.reset_after) == (True, 3, 0.0)
    assert first.remaining == 2 and first.reset_after == pytest.approx(1.0)
    assert second.remaining == 1 and second.reset_after == pytest.approx(2.0)
    assert (peeked.allowed, peeked.remaining) == (True, 1)  # peeking counts nothing


async def test_memory_refusals_do_not_consume_the_bucket() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock=clock)
    await limiter.acquire("u", per_minute=60, burst=1)

    for _ in range(50):  # hammering while empty...
        assert not (await limiter.acquire("u", per_minute=60, burst=1)).allowed
    clock.now += 1.0

    assert (await limiter.acquire("u", per_minute=60, burst=1)).allowed  # ...costs nothing


async def test_memory_buckets_are_per_key_and_forget_idle_keys() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock=clock, max_keys=10)
    for user in range(20):
        assert (await limiter.acquire(f"user-{user}", per_minute=60, burst=1)).allowed
    clock.now += 5

    await limiter.acquire("one-more", per_minute=60, burst=1)

    assert len(limiter._tat) <= 10


async def test_a_rate_limited_call_is_a_429_row_without_a_provider_call(
    usage_engine: AsyncEngine, gateway: FakeGateway, ctx: CallContext
) -> None:
    ctx = replace(ctx, entitlement=replace(ctx.entitlement, requests_per_minute=2))
    service = UsageService(
        usage_engine, gateway, billing_mode="stripe_metered", burst=lambda entitlement: 2
    )

    await service.run(ctx, request())
    await service.run(ctx, request())
    with pytest.raises(RateLimited) as refused:
        await service.run(ctx, request())

    assert gateway.calls == 2
    assert refused.value.status == 429
    assert refused.value.headers() == {"Retry-After": "30"}
    assert refused.value.to_dict()["limit_per_minute"] == 2
    assert refused.value.reset_after == pytest.approx(60.0, abs=1)
    outcomes = [row.outcome for row in await events(service, ctx.workspace_id)]
    assert outcomes == [CallOutcome.ok, CallOutcome.ok, CallOutcome.rate_limited]


@needs_redis
async def test_redis_bucket_admits_the_burst_and_says_when_to_retry(
    redis_limiter: RedisRateLimiter,
) -> None:
    decisions = [await redis_limiter.acquire("u", per_minute=60, burst=3) for _ in range(5)]

    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0, 0]
    assert 0.9 < decisions[3].retry_after <= 1.0
    assert 2.9 < decisions[3].reset_after <= 3.0
    peeked = await redis_limiter.peek("u", per_minute=60, burst=3)
    assert not peeked.allowed and peeked.remaining == 0
    # The refusal did not move the bucket: the next one waits no longer.
    assert decisions[4].retry_after <= decisions[3].retry_after


@needs_redis
async def test_redis_bucket_under_concurrency_in_one_process(
    redis_limiter: RedisRateLimiter,
) -> None:
    async def attempt() -> bool:
        return (await redis_limiter.acquire("u", per_minute=1, burst=20)).allowed

    admitted = await gather(*([attempt] * 60))

    assert sum(admitted) == 20


@needs_redis
async def test_redis_limits_the_service(
    usage_engine: AsyncEngine, gateway: FakeGateway, ctx: CallContext
) -> None:
    assert REDIS_URL is not None
    # One request a minute: nothing drips back in between the two calls, however slow.
    ctx = replace(ctx, entitlement=replace(ctx.entitlement, requests_per_minute=1))
    prefix = f"test:usage:{uuid.uuid4().hex}:"
    limiter = RedisRateLimiter.from_url(REDIS_URL, prefix=prefix)
    service = UsageService(
        usage_engine, gateway, billing_mode="stripe_metered", limiter=limiter, burst=lambda e: 1
    )
    try:
        await service.run(ctx, request())
        with pytest.raises(RateLimited):
            await service.run(ctx, request())
    finally:
        await service.close()
        await _delete_keys(prefix)

    assert gateway.calls == 1


@needs_redis
def test_several_processes_hammering_one_user_get_exactly_the_bucket() -> None:
    # A rate of 1 per minute: nothing drips in during the test, so exactly the
    # burst is admitted across every process, however their requests interleave.
    assert REDIS_URL is not None
    key = f"test:usage:{uuid.uuid4().hex}:user"
    burst, processes, attempts = 25, 4, 40
    start_at = f"{time.time() + 2.0:.3f}"
    command = [sys.executable, "-m", "tests.core.usage.hammer", REDIS_URL, key]
    command += [str(attempts), "1", str(burst), start_at]
    workers = [
        subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    counts = []
    for worker in workers:
        out, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0
        counts.append(int(out.strip()))

    assert sum(counts) == burst
    client = redis.Redis.from_url(REDIS_URL)  # this test runs outside any event loop
    client.delete(key, f"{key}:warm-up")
    client.close()
