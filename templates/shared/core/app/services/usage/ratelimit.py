"""Per-user rate limits: a leaky bucket, as GCRA (generic cell rate algorithm).

A bucket that drains at the tier's rate and holds ``burst`` requests: one state
value per key (the theoretical arrival time, TAT), so every check is a single
compare-and-set. A refused request does not touch the state, so hammering does
not push the next allowed moment further away.

Two backends: in-process memory (the default; one process) and Redis (one Lua
script per check, atomic on the server, using the server's clock) for several
workers or instances. When Redis cannot be reached, the Redis limiter fails open
to its own in-process bucket (logged once per outage, counted): each process then
enforces the limit alone until Redis answers again.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from app.core.catalog import PRODUCT_SLUG
from app.core.flavour import Lock
from app.services.health import note_degraded

logger = logging.getLogger(__name__)

# Redis keys of this product's buckets (several apps may share one Redis).
REDIS_PREFIX = f"{PRODUCT_SLUG}:ratelimit:"
# Every model call is checked: a dead Redis must cost milliseconds, not seconds of
# redis-py's default retries with backoff.
REDIS_TIMEOUT_SECONDS = 0.5
# After a failure, Redis is left alone this long (the fallback answers meanwhile), so
# an unreachable Redis costs a timeout now and then, not on every call.
REDIS_REST_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class RateDecision:
    """A check's answer, with what ``RateLimit-*`` response headers need."""

    allowed: bool
    retry_after: float = 0.0  # seconds until a request would be allowed (0 when allowed)
    remaining: int = 0  # requests a burst could still make right now
    reset_after: float = 0.0  # seconds until the bucket is full again


class RateLimiter(Protocol):
    """Admit or refuse one request for ``key`` at ``per_minute`` with room for ``burst``."""

    async def acquire(self, key: str, *, per_minute: int, burst: int) -> RateDecision: ...

    async def peek(self, key: str, *, per_minute: int, burst: int) -> RateDecision:
        """The bucket's state without counting a request (``allowed``: one would be)."""
        ...

    async def close(self) -> None: ...


def rate_key(workspace_id: uuid.UUID, user_id: uuid.UUID | None) -> str:
    """The bucket of one user (or of the workspace itself, for calls without a user)."""
    return f"{workspace_id}:{user_id or '-'}"


def _interval_and_tolerance(per_minute: int, burst: int) -> tuple[float, float]:
    if per_minute <= 0 or burst <= 0:
        raise ValueError("per_minute and burst must be positive")
    interval = 60.0 / per_minute
    # A full bucket admits `burst` requests at once: the TAT may run that far ahead.
    return interval, interval * (burst - 1)


def _decision(
    allowed: bool, ahead: float, interval: float, tolerance: float, burst: int
) -> RateDecision:
    """A decision from how far the TAT is ahead of now (after the request, if admitted)."""
    ahead = max(ahead, 0.0)
    remaining = min(max(math.floor((tolerance - ahead) / interval) + 1, 0), burst)
    retry_after = 0.0 if allowed else max(ahead - tolerance, 0.0)
    return RateDecision(allowed, retry_after, remaining, ahead)


class MemoryRateLimiter:
    """GCRA in this process's memory: exact for one process, shared by its threads/tasks."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000
    ) -> None:
        self._clock = clock
        self._max_keys = max_keys
        self._tat: dict[str, float] = {}
        self._lock = Lock()

    async def acquire(self, key: str, *, per_minute: int, burst: int) -> RateDecision:
        """Admit (and count) one request, or say how long to wait."""
        interval, tolerance = _interval_and_tolerance(per_minute, burst)
        async with self._lock:
            now = self._clock()
            tat = max(self._tat.get(key, now), now)
            if tat - tolerance > now:
                return _decision(False, tat - now, interval, tolerance, burst)
            self._tat[key] = tat + interval
            if len(self._tat) > self._max_keys:
                self._prune(now)
        return _decision(True, tat + interval - now, interval, tolerance, burst)

    async def peek(self, key: str, *, per_minute: int, burst: int) -> RateDecision:
        """The bucket's state without counting a request."""
        interval, tolerance = _interval_and_tolerance(per_minute, burst)
        async with self._lock:
            now = self._clock()
            tat = max(self._tat.get(key, now), now)
        return _decision(tat - tolerance <= now, tat - now, interval, tolerance, burst)

    def _prune(self, now: float) -> None:
        # A key whose TAT has passed is indistinguishable from a key never seen.
        self._tat = {key: tat for key, tat in self._tat.items() if tat > now}

    async def close(self) -> None:
        """Nothing to release; here for the common interface."""


# KEYS[1]: the bucket; ARGV: emission interval and burst tolerance, in microseconds.
# Returns {admitted (1/0), how far the TAT is ahead of now afterwards, in microseconds}.
GCRA_SCRIPT = """
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now then tat = now end
if tat - tolerance > now then return {0, tat - now} end
local new_tat = tat + interval
local ttl_ms = math.ceil((new_tat - now) / 1000) + 1
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', ttl_ms)
return {1, new_tat - now}
"""

# KEYS[1]: the bucket. Returns how far its TAT is ahead of now, in microseconds.
PEEK_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now then return 0 end
return tat - now
"""


class RedisRateLimiter:
    """GCRA in Redis: one atomic script per check, so any number of processes agree.

    While Redis cannot be reached, checks go to ``fallback`` (this process's memory
    by default): the API keeps answering, each process limiting on its own.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = REDIS_PREFIX,
        fallback: RateLimiter | None = None,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._acquire = redis.register_script(GCRA_SCRIPT)
        self._peek = redis.register_script(PEEK_SCRIPT)
        self._fallback = fallback or MemoryRateLimiter()
        self._failing = False
        self._rest_until = 0.0
        self.fallback_checks = 0  # checks the fallback answered since start

    @classmethod
    def from_url(cls, url: str, *, prefix: str = REDIS_PREFIX) -> RedisRateLimiter:
        """A limiter with its own connection pool to ``url``, failing fast when it is down."""
        client = Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 1),
        )
        return cls(client, prefix=prefix)

    async def acquire(self, key: str, *, per_minute: int, burst: int) -> RateDecision:
        """Admit (and count) one request, or say how long to wait."""
        interval, tolerance = _interval_and_tolerance(per_minute, burst)
        if self._resting():
            return await self._fallback.acquire(key, per_minute=per_minute, burst=burst)
        try:
            allowed, ahead_us = await self._acquire(
                keys=[self._prefix + key],
                args=[round(interval * 1_000_000), round(tolerance * 1_000_000)],
            )
        except (RedisError, OSError) as exc:
            self._note_failure(exc)
            return await self._fallback.acquire(key, per_minute=per_minute, burst=burst)
        self._note_success()
        return _decision(bool(allowed), int(ahead_us) / 1_000_000, interval, tolerance, burst)

    async def peek(self, key: str, *, per_minute: int, burst: int) -> RateDecision:
        """The bucket's state without counting a request."""
        interval, tolerance = _interval_and_tolerance(per_minute, burst)
        if self._resting():
            return await self._fallback.peek(key, per_minute=per_minute, burst=burst)
        try:
            ahead = int(await self._peek(keys=[self._prefix + key])) / 1_000_000
        except (RedisError, OSError) as exc:
            self._note_failure(exc)
            return await self._fallback.peek(key, per_minute=per_minute, burst=burst)
        self._note_success()
        return _decision(ahead <= tolerance, ahead, interval, tolerance, burst)

    def _resting(self) -> bool:
        if self._rest_until <= time.monotonic():
            return False
        self.fallback_checks += 1
        note_degraded("rate_limit")
        return True

    def _note_failure(self, exc: BaseException) -> None:
        self.fallback_checks += 1
        note_degraded("rate_limit")
        self._rest_until = time.monotonic() + REDIS_REST_SECONDS
        if not self._failing:
            # Once per outage, not once per request.
            self._failing = True
            logger.warning(
                "Redis is unreachable (%s): rate limits fall back to this process's memory",
                type(exc).__name__,
            )

    def _note_success(self) -> None:
        if self._failing:
            self._failing = False
            logger.warning("Redis answers again: rate limits are shared again")

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()
        await self._fallback.close()


def rate_limiter_for(redis_url: str | None, *, prefix: str = REDIS_PREFIX) -> RateLimiter:
    """Redis when ``redis_url`` is set (several workers), else this process's memory."""
    if redis_url:
        return RedisRateLimiter.from_url(redis_url, prefix=prefix)
    return MemoryRateLimiter()
