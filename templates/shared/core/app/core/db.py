"""Database engine and sessions (SQLAlchemy 2).

Any plain ``sqlite://`` or ``postgresql://`` URL works: the driver this app uses
is pinned here, so operators never have to know it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.core.flavour import sync_engine

SQLITE_DRIVER = "aiosqlite"
POSTGRES_DRIVER = "psycopg"
# Seconds to wait for a new PostgreSQL connection, and for a free one from the pool.
CONNECT_TIMEOUT_SECONDS = 5
POOL_TIMEOUT_SECONDS = 10
# How long an SQLite transaction waits for the write lock before failing (a 503). Writers
# queue for the one lock; under a burst on a busy CPU that queue can take seconds.
SQLITE_BUSY_TIMEOUT_MS = 15_000
# SQLite has one writer: every transaction here takes the write lock (BEGIN IMMEDIATE),
# so connections beyond one only queue on that lock in SQLite's busy handler, which
# sleeps up to 100 ms a try. One pooled connection queues them in the pool instead,
# woken the moment it is free (and its driver thread is the only one).
SQLITE_POOL_SIZE = 1
# PostgreSQL: enough pooled connections for a worker's concurrent transactions, so a
# burst does not open and close connections beyond the pool (each costs the server a
# new backend process); a few more may open for peaks.
POSTGRES_POOL_SIZE = 20
POSTGRES_MAX_OVERFLOW = 10


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
    busy = f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"
    for pragma in ("foreign_keys=ON", busy, "synchronous=NORMAL"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()
    # The driver's own implicit BEGIN is turned off: _begin_immediate says BEGIN instead.
    dbapi_connection.isolation_level = None


def _sqlite_reset(dbapi_connection: Any, record: Any, _state: object) -> None:
    # A connection back in the pool is rolled back only if a transaction is still open
    # (an error path): after a commit there is nothing to undo, and each rollback is one
    # more trip to the driver's thread. in_transaction is SQLite's own autocommit flag.
    if getattr(record.driver_connection, "in_transaction", True):
        dbapi_connection.rollback()


def _begin_immediate(connection: Connection) -> None:
    # Take the write lock when a transaction starts, waiting (busy_timeout) for it.
    # A deferred transaction that reads and then writes cannot wait: when another
    # writer got in between, SQLite fails it at once with "database is locked".
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine_for(url: str) -> AsyncEngine:
    """Create the engine for ``url``; callers own it and dispose of it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")  # one static connection anyway
        pooling: dict[str, Any] = (
            {}
            if in_memory
            else {
                "pool_size": SQLITE_POOL_SIZE,
                "max_overflow": 0,
                "pool_timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
            }
        )
        engine = create_async_engine(driver_url(url), pool_reset_on_return=None, **pooling)
        event.listen(engine.pool, "connect", _sqlite_pragmas)
        event.listen(engine.pool, "reset", _sqlite_reset)
        event.listen(sync_engine(engine), "begin", _begin_immediate)
        return engine
    # Server databases drop idle connections, and restart: check each connection before
    # use (a dead one is replaced, so the app recovers without a restart), and give up
    # connecting after a few seconds so an unreachable server is a quick 503.
    return create_async_engine(
        driver_url(url),
        pool_pre_ping=True,
        pool_size=POSTGRES_POOL_SIZE,
        max_overflow=POSTGRES_MAX_OVERFLOW,
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
