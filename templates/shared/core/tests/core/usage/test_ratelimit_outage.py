"""The Redis rate limiter fails open to its own in-process bucket when Redis cannot
be reached: the limit still holds in this process, nothing raises, it is counted."""

from __future__ import annotations

from time import perf_counter

from app.services.health import degraded_counts
from app.services.usage import RedisRateLimiter

UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1


async def test_an_unreachable_redis_falls_back_to_this_process() -> None:
    limiter = RedisRateLimiter.from_url(UNREACHABLE, prefix="unreachable:")
    before = degraded_counts().get("rate_limit", 0)
    started = perf_counter()
    try:
        first = await limiter.acquire("user", per_minute=60, burst=2)
        second = await limiter.acquire("user", per_minute=60, burst=2)
        third = await limiter.acquire("user", per_minute=60, burst=2)
        peeked = await limiter.peek("user", per_minute=60, burst=2)
    finally:
        await limiter.close()
    assert (first.allowed, second.allowed, third.allowed) == (True, True, False)
    assert third.retry_after > 0  # the fallback enforces the same rate
    assert not peeked.allowed
    assert limiter.fallback_checks == 4
    assert degraded_counts()["rate_limit"] == before + 4
    assert perf_counter() - started < 2  # fails fast, then rests: no retry backoff
