"""Cache backends under test: memory always, Redis when ``TEST_REDIS_URL`` is set.

Each Redis test gets its own key prefix and deletes its keys afterwards, so a
shared Redis (and parallel runs) are safe.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from app.services.cache import MemoryCacheBackend, RedisCacheBackend
from tests.core.cache.helpers import CacheEnv, FakeClock


@pytest.fixture(params=["memory", "redis"])
async def env(request: pytest.FixtureRequest) -> AsyncIterator[CacheEnv]:
    if request.param == "memory":
        clock = FakeClock()
        yield CacheEnv("memory", MemoryCacheBackend(clock=clock), clock)
    else:
        url = os.environ.get("TEST_REDIS_URL")
        if not url:
            pytest.skip("TEST_REDIS_URL is not set: the Redis cache backend is not tested")
        client = Redis.from_url(url)
        prefix = f"test-cache-{uuid.uuid4().hex}:"
        try:
            yield CacheEnv("redis", RedisCacheBackend(client, prefix=prefix), None, client, prefix)
        finally:
            async for key in client.scan_iter(match=f"{prefix}*"):
                await client.delete(key)
            await client.aclose()
