"""Concurrency primitives of this app's flavour (threads).

The shared core is written once, async; the few primitives whose sync and async
forms differ by more than a keyword come from here, under the same names as in
the FastAPI flavour's ``app/core/flavour.py``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Engine

T = TypeVar("T")

# Deferred work, as the shared core passes it around: a plain function here.
Call = Callable[[], T]

IS_ASYNC = False

Lock = threading.Lock
sleep = time.sleep


def sync_engine(engine: Engine) -> Engine:
    """The engine SQLAlchemy's events are attached to: ``engine`` itself here."""
    return engine


def run(main: Call[T]) -> T:
    """Run ``main`` to completion (a CLI command, a script)."""
    return main()


def gather(*calls: Call[T]) -> list[T]:
    """Run ``calls`` concurrently (one thread each); their results, in order."""
    with ThreadPoolExecutor(max_workers=max(len(calls), 1)) as pool:
        return list(pool.map(lambda call: call(), calls))


def shield(call: Call[T]) -> T:
    """Run ``call`` (threads are not cancelled midway: nothing to shield from)."""
    return call()


def blocking(work: Callable[[], T]) -> T:
    """Run CPU-bound or blocking ``work`` (parsing a PDF): each request has its own
    thread here, so it simply runs."""
    return work()
