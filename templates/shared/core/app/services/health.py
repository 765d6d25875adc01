"""Health checks: what ``GET /healthz`` and ``GET /readyz`` report.

``/healthz`` is liveness (the process answers, and whether its database does);
``/readyz`` is readiness: every dependency this process is configured with
(the database, Redis when ``REDIS_URL`` is set) and the database migrated to the
revision this code expects, 503 otherwise. Uses that
keep working in a degraded way (rate limits and the cache without Redis) count
each degraded operation here, so the probes can show it.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.migrate import heads

# A readiness probe must answer within a probe's own timeout, even with Redis gone.
REDIS_PROBE_TIMEOUT_SECONDS = 1.0

_degraded: Counter[str] = Counter()
_degraded_guard = threading.Lock()


@dataclass(frozen=True, slots=True)
class DatabaseHealth:
    """The database's answer to a trivial query."""

    ok: bool
    backend: str
    latency_ms: float
    error: str | None = None


@dataclass(frozen=True, slots=True)
class RedisHealth:
    """Redis's answer to PING."""

    ok: bool
    latency_ms: float
    error: str | None = None


@dataclass(frozen=True, slots=True)
class MigrationsHealth:
    """Whether the database is at the migration head(s) this code was written for."""

    ok: bool
    current: list[str]
    expected: list[str]
    error: str | None = None


def note_degraded(use: str) -> None:
    """Count one operation of ``use`` (``rate_limit``, ``cache``) served without Redis."""
    with _degraded_guard:
        _degraded[use] += 1


def degraded_counts() -> dict[str, int]:
    """Operations served in a degraded way since this process started, per use."""
    with _degraded_guard:
        return dict(sorted(_degraded.items()))


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


async def check_database(engine: AsyncEngine) -> DatabaseHealth:
    """Run a trivial query; report the backend, latency and any error class."""
    started = time.perf_counter()
    error: str | None = None
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as exc:
        # The class name only: driver messages can include hosts and user names.
        error = type(exc).__name__
    return DatabaseHealth(
        ok=error is None,
        backend=engine.dialect.name,
        latency_ms=_elapsed_ms(started),
        error=error,
    )


async def check_redis(url: str) -> RedisHealth:
    """PING the Redis at ``url`` on a connection of its own (closed afterwards)."""
    started = time.perf_counter()
    error: str | None = None
    client = Redis.from_url(
        url,
        socket_timeout=REDIS_PROBE_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_PROBE_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
    )
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        error = type(exc).__name__
    finally:
        await client.aclose()
    return RedisHealth(ok=error is None, latency_ms=_elapsed_ms(started), error=error)


async def check_migrations(engine: AsyncEngine) -> MigrationsHealth:
    """Compare the database's Alembic revision(s) with this code's head(s).

    Not ready when they differ: an older database (``python -m app db upgrade`` has
    not run yet) or a newer one (this instance runs older code than the schema).
    """
    expected = sorted(heads())
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
            current = sorted(str(row[0]) for row in rows)
    except (SQLAlchemyError, OSError) as exc:
        # No alembic_version table: never migrated (or the database is down).
        return MigrationsHealth(False, [], expected, type(exc).__name__)
    return MigrationsHealth(current == expected, current, expected)
