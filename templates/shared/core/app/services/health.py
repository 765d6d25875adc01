"""Health checks: what ``GET /healthz`` reports."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass(frozen=True, slots=True)
class DatabaseHealth:
    ok: bool
    backend: str
    latency_ms: float
    error: str | None = None


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
    latency_ms = round((time.perf_counter() - started) * 1000, 3)
    return DatabaseHealth(
        ok=error is None, backend=engine.dialect.name, latency_ms=latency_ms, error=error
    )
