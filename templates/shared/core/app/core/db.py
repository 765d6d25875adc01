"""Database engine and sessions (SQLAlchemy 2).

Any plain ``sqlite://`` or ``postgresql://`` URL works: the driver this app uses
is pinned here, so operators never have to know it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_DRIVER = "aiosqlite"
POSTGRES_DRIVER = "psycopg"
# Seconds to wait for a new PostgreSQL connection, and for a free one from the pool.
CONNECT_TIMEOUT_SECONDS = 5
POOL_TIMEOUT_SECONDS = 10


def driver_url(url: str) -> str:
    """Return ``url`` with this app's driver for its database."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername=f"sqlite+{SQLITE_DRIVER}").render_as_string(
            hide_password=False
        )
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername=f"postgresql+{POSTGRES_DRIVER}").render_as_string(
            hide_password=False
        )
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    # Per connection: enforce foreign keys, wait for a writer instead of failing at once,
    # and in WAL mode (set by the migrations) skip the fsync on every commit: the file stays
    # consistent, and only a power loss (not a crash) can lose the very last commits.
    cursor = dbapi_connection.cursor()
    for pragma in ("foreign_keys=ON", "busy_timeout=5000", "synchronous=NORMAL"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def create_engine_for(url: str) -> AsyncEngine:
    """Create the engine for ``url``; callers own it and dispose of it."""
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_async_engine(driver_url(url))
        event.listen(engine.pool, "connect", _sqlite_pragmas)
        return engine
    # Server databases drop idle connections, and restart: check each connection before
    # use (a dead one is replaced, so the app recovers without a restart), and give up
    # connecting after a few seconds so an unreachable server is a quick 503.
    return create_async_engine(
        driver_url(url),
        pool_pre_ping=True,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit on success, roll back on any error."""
    async with sessions() as session, session.begin():
        yield session
