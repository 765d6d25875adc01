"""Where cache entries and semantic vectors live: process memory or Redis.

Both backends store opaque entries under string keys with a TTL, and per-index
"recent vectors" (the newest ``max_entries`` of an index, each with its own
expiry). Keys arrive already namespaced per workspace by the cache service.
A Redis that cannot be reached raises ``CacheBackendError`` (counted as degraded):
the cache service answers a miss and stores nothing, so the call still runs.
"""

from __future__ import annotations

import base64
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.services.health import note_degraded

Vector = tuple[float, ...]


class CacheBackendError(Exception):
    """The backend could not be reached or answered wrongly; the cache treats it as a miss."""


# After a failure, Redis is left alone this long (every operation a miss meanwhile),
# so an unreachable Redis costs a timeout now and then, not on every call.
REDIS_REST_SECONDS = 1.0


class CacheBackend(Protocol):
    """Storage for the response cache."""

    async def get(self, key: str) -> bytes | None:
        """The entry under ``key``, or None if absent or expired."""
        ...

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        """Store ``value`` under ``key`` for ``ttl_seconds``."""
        ...

    async def add_vector(
        self, index: str, member: str, vector: Vector, ttl_seconds: float, max_entries: int
    ) -> None:
        """Add ``member`` to ``index``, keeping only its newest ``max_entries`` members."""
        ...

    async def vectors(self, index: str) -> list[tuple[str, Vector]]:
        """The unexpired members of ``index`` and their vectors."""
        ...

    async def close(self) -> None:
        """Release connections (a no-op for memory)."""
        ...


class MemoryCacheBackend:
    """In-process storage: one process's cache, bounded, with lazy expiry.

    A plain ``threading.Lock`` guards the maps: no critical section awaits, so
    it is correct for threads (Flask) and never blocks an event loop (FastAPI).
    """

    def __init__(
        self,
        *,
        max_entries: int = 10_000,
        max_indexes: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_entries = max_entries
        self._max_indexes = max_indexes
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._indexes: OrderedDict[str, OrderedDict[str, tuple[float, Vector]]] = OrderedDict()
        self._guard = threading.Lock()

    async def get(self, key: str) -> bytes | None:
        """The entry under ``key``, or None if absent or expired."""
        with self._guard:
            item = self._entries.get(key)
            if item is None:
                return None
            if item[0] <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)  # least recently used goes first
            return item[1]

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        """Store ``value`` under ``key`` for ``ttl_seconds``, evicting the least recent."""
        with self._guard:
            self._entries[key] = (self._clock() + ttl_seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    async def add_vector(
        self, index: str, member: str, vector: Vector, ttl_seconds: float, max_entries: int
    ) -> None:
        """Add ``member`` to ``index``, keeping only its newest ``max_entries`` members."""
        with self._guard:
            members = self._indexes.setdefault(index, OrderedDict())
            members[member] = (self._clock() + ttl_seconds, vector)
            members.move_to_end(member)
            while len(members) > max_entries:
                members.popitem(last=False)
            self._indexes.move_to_end(index)
            while len(self._indexes) > self._max_indexes:
                self._indexes.popitem(last=False)

    async def vectors(self, index: str) -> list[tuple[str, Vector]]:
        """The unexpired members of ``index`` and their vectors."""
        with self._guard:
            members = self._indexes.get(index)
            if members is None:
                return []
            now = self._clock()
            for member in [m for m, (expires, _) in members.items() if expires <= now]:
                del members[member]
            return [(member, vector) for member, (_, vector) in members.items()]

    async def close(self) -> None:
        """Nothing to release."""


def _pack(vector: Vector) -> str:
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def _unpack(data: str) -> Vector:
    raw = base64.b64decode(data)
    return struct.unpack(f"<{len(raw) // 4}f", raw)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisCacheBackend:
    """Redis storage shared by every process; entries expire server-side.

    An index is one sorted set: members are ``<entry digest>:<packed vector>``,
    scored by expiry time (µs), so pruning expired and oldest members is one
    atomic MULTI with the insert. Works with plain Redis (no modules). Every key
    starts with ``prefix``; the cache service adds the workspace namespace.
    """

    def __init__(self, client: Redis, *, prefix: str, owns_client: bool = False) -> None:
        self._client = client
        self._prefix = prefix
        self._owns_client = owns_client
        self._rest_until = 0.0

    def _check_available(self) -> None:
        if self._rest_until > time.monotonic():
            note_degraded("cache")
            raise CacheBackendError("redis failed a moment ago; not retried yet")

    def _unavailable(self, message: str) -> CacheBackendError:
        # Counted for the health probes: the cache fails open (a miss, nothing stored).
        self._rest_until = time.monotonic() + REDIS_REST_SECONDS
        note_degraded("cache")
        return CacheBackendError(message)

    async def get(self, key: str) -> bytes | None:
        """The entry under ``key``, or None if absent or expired."""
        self._check_available()
        try:
            value = await self._client.get(self._prefix + key)
        except (RedisError, OSError) as exc:
            raise self._unavailable(f"redis get failed: {exc}") from exc
        if value is None:
            return None
        return value.encode() if isinstance(value, str) else bytes(value)

    async def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        """Store ``value`` under ``key`` for ``ttl_seconds`` (millisecond precision)."""
        self._check_available()
        try:
            await self._client.set(self._prefix + key, value, px=max(1, round(ttl_seconds * 1000)))
        except (RedisError, OSError) as exc:
            raise self._unavailable(f"redis set failed: {exc}") from exc

    async def add_vector(
        self, index: str, member: str, vector: Vector, ttl_seconds: float, max_entries: int
    ) -> None:
        """Add ``member`` to ``index``, keeping only its newest ``max_entries`` members."""
        key = self._prefix + index
        # Scores are expiry times in microseconds (exact in a double until year 2255):
        # fine enough that entries added one after another never tie, so trimming by
        # rank always drops the oldest.
        self._check_available()
        now_us = time.time_ns() // 1000
        ttl_us = max(1000, round(ttl_seconds * 1_000_000))
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(key, "-inf", now_us)
                pipe.zadd(key, {f"{member}:{_pack(vector)}": now_us + ttl_us})
                pipe.zremrangebyrank(key, 0, -(max_entries + 1))
                pipe.pexpire(key, ttl_us // 1000)  # the index lives as long as its newest member
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise self._unavailable(f"redis vector add failed: {exc}") from exc

    async def vectors(self, index: str) -> list[tuple[str, Vector]]:
        """The unexpired members of ``index`` and their vectors."""
        self._check_available()
        now_us = time.time_ns() // 1000
        try:
            raw = await self._client.zrangebyscore(self._prefix + index, f"({now_us}", "+inf")
        except (RedisError, OSError) as exc:
            raise self._unavailable(f"redis vector read failed: {exc}") from exc
        result: list[tuple[str, Vector]] = []
        for item in raw:
            # Plain members (no WITHSCORES): each is bytes, or str with decode_responses.
            member, _, packed = _text(cast(bytes | str, item)).partition(":")
            try:
                result.append((member, _unpack(packed)))
            except (ValueError, struct.error):
                continue  # a foreign or truncated member: skip it, never fail the request
        return result

    async def close(self) -> None:
        """Close the client if this backend created it."""
        if self._owns_client:
            await self._client.aclose()
