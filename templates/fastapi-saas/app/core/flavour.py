"""Concurrency primitives of this app's flavour (asyncio).

The shared core is written once, async; the few primitives whose sync and async
forms differ by more than a keyword come from here, under the same names as in
the Flask flavour's ``app/core/flavour.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")

# Deferred work, as the shared core passes it around: a coroutine function here.
Call = Callable[[], Awaitable[T]]

IS_ASYNC = True

Lock = asyncio.Lock
sleep = asyncio.sleep


def sync_engine(engine: AsyncEngine) -> Engine:
    """The synchronous engine behind ``engine``, where SQLAlchemy's events are attached."""
    return engine.sync_engine


def run(main: Call[T]) -> T:
    """Run ``main`` to completion from synchronous code (a CLI command, a script)."""
    return asyncio.run(main())  # type: ignore[arg-type]


async def gather(*calls: Call[T]) -> list[T]:
    """Run ``calls`` concurrently (one task each); their results, in order."""
    return list(await asyncio.gather(*(call() for call in calls)))


# Shielded work in flight, kept referenced until done (the loop only keeps weak refs).
_shielded: set[asyncio.Task[Any]] = set()


async def shield(call: Call[T]) -> T:
    """Run ``call`` to completion even if the caller is cancelled meanwhile.

    For bookkeeping that must not be lost (settling a call whose client went away):
    the work finishes in the background; the caller still sees its cancellation.
    """
    task = asyncio.ensure_future(call())
    _shielded.add(task)
    task.add_done_callback(_shielded.discard)
    return await asyncio.shield(task)


async def settle_shielded(within: float) -> None:
    """Wait (up to ``within`` seconds) for shielded work still running: at shutdown,
    the settlements of streams the server cancelled finish before the database closes."""
    pending = [task for task in _shielded if not task.done()]
    if pending:
        await asyncio.wait(pending, timeout=within)


async def blocking(work: Callable[[], T]) -> T:
    """Run CPU-bound or blocking ``work`` (parsing a PDF) in a worker thread, so the
    event loop keeps serving other requests meanwhile."""
    return await asyncio.to_thread(work)
