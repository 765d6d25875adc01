"""Per-call overhead of the usage layer against the bare gateway call, in the same run.

The gateway is the real one with its offline ``local`` provider (no network), so
what is measured is ours: rate limit + idempotency + context check + reservation
+ gateway + ledger row + outbox row + settlement, minus the bare gateway call.
SQLite always (a temporary file); PostgreSQL too when ``BENCH_DATABASE_URL`` (or
``TEST_DATABASE_URL``) points at one, in a schema of its own, dropped afterwards.
Target: under 2 ms median on SQLite.

    python -m benchmarks.usage_overhead [--calls 300] [--seconds 10]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from app.core import migrate
from app.core.catalog import DEFAULT_WORKFLOW, TIERS, WORKFLOWS
from app.core.db import create_engine_for
from app.core.flavour import IS_ASYNC, Call, run
from app.services.llm.settings import GatewaySettings
from app.services.llm.types import ChatRequest, Message
from app.services.llm_gateway import create_gateway
from app.services.accounts import Accounts
from app.services.usage import (
    CallContext,
    Entitlement,
    MemoryRateLimiter,
    TenantDatabase,
    UsageService,
)

TARGET_MS = 2.0


@dataclass(frozen=True, slots=True)
class Timing:
    median_ms: float
    p95_ms: float
    calls: int


@dataclass(frozen=True, slots=True)
class Report:
    backend: str
    bare: Timing
    metered: Timing
    settings: str = ""  # what shapes the figures (SQLite's journal and sync modes)

    @property
    def overhead_ms(self) -> float:
        return self.metered.median_ms - self.bare.median_ms


async def _time(call: Call[object], calls: int, seconds: float) -> Timing:
    """Median and p95 of ``call`` over at most ``calls`` calls or ``seconds`` seconds."""
    samples: list[float] = []
    deadline = time.perf_counter() + seconds
    while len(samples) < calls and time.perf_counter() < deadline:
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return Timing(statistics.median(samples), p95, len(samples))


async def measure(url: str, backend: str, calls: int, seconds: float) -> Report:
    """Bare gateway calls and metered calls, interleaved in blocks, on ``url``."""
    engine = create_engine_for(url)
    gateway = create_gateway(GatewaySettings())  # no keys: the offline local provider
    service = UsageService(engine, gateway, limiter=MemoryRateLimiter())
    try:
        workspace = await Accounts(TenantDatabase(engine)).create_workspace(
            "bench", next(iter(TIERS))
        )
        # Funded, so products that sell prepaid credits measure their debit path too.
        await service.grant_credits(workspace.id, Decimal(10**6), reason="benchmark")
        entitlement = Entitlement.from_tier(next(iter(TIERS.values())))
        # Limits that never refuse, so every metered call does the full work.
        entitlement = replace(
            entitlement, monthly_cost_cap=Decimal(10**9), requests_per_minute=10**9
        )
        ctx = CallContext(workspace.id, entitlement, DEFAULT_WORKFLOW, feature="bench")
        workflow = WORKFLOWS[DEFAULT_WORKFLOW]
        request = ChatRequest(
            messages=(Message("user", "Summarize: the usage layer meters every call."),),
            max_output_tokens=min(200, workflow.max_output_tokens),
        )
        tier = entitlement.tier_info()

        async def bare() -> object:
            return await gateway.chat(request, workflow=workflow, tier=tier)

        async def metered() -> object:
            return await service.run(ctx, request)

        for _ in range(min(50, calls)):  # warm up: connections, statement caches
            await bare()
            await metered()
        bare_timing = await _time(bare, calls, seconds / 2)
        metered_timing = await _time(metered, calls, seconds / 2)
        return Report(backend, bare_timing, metered_timing, await _settings(engine))
    finally:
        await service.close()
        await gateway.aclose()
        await engine.dispose()


async def _settings(engine: AsyncEngine) -> str:
    if engine.dialect.name != "sqlite":
        return ""
    async with engine.connect() as connection:
        journal = await connection.scalar(text("PRAGMA journal_mode"))
        synchronous = await connection.scalar(text("PRAGMA synchronous"))
    names = {0: "off", 1: "normal", 2: "full", 3: "extra"}
    return f"journal_mode={journal} synchronous={names.get(synchronous, synchronous)}"


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="usage-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrate.upgrade(url)
        yield url


@contextmanager
def postgres_database(base: str) -> Iterator[str]:
    """A schema of its own in ``base``'s database, migrated, dropped afterwards."""
    schema = f"bench_usage_{uuid.uuid4().hex[:12]}"
    admin = create_engine(migrate.sync_url(base), poolclass=NullPool)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        parsed = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        url = parsed.render_as_string(hide_password=False)
        migrate.upgrade(url)
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _postgres_url() -> str | None:
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if url and make_url(url).get_backend_name() in ("postgresql", "postgres"):
        return url
    return None


def _print(report: Report) -> None:
    flavour = "async" if IS_ASYNC else "sync"
    print(
        f"{report.backend:<10} {flavour:<5} calls={report.metered.calls:<5} "
        f"bare median={report.bare.median_ms:.3f} ms p95={report.bare.p95_ms:.3f} ms | "
        f"metered median={report.metered.median_ms:.3f} ms p95={report.metered.p95_ms:.3f} ms | "
        f"overhead median={report.overhead_ms:.3f} ms"
        + (f" ({report.settings})" if report.settings else "")
    )


def main(argv: list[str] | None = None) -> list[Report]:
    """Run the benchmark; returns the reports (also printed, one line per backend)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="calls per side (default 300)")
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="time budget per backend (default 10)"
    )
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)  # the local provider logs every answer at INFO
    reports = []
    try:
        with sqlite_database() as url:
            reports.append(run(lambda: measure(url, "sqlite", args.calls, args.seconds)))
        postgres = _postgres_url()
        if postgres is not None:
            with postgres_database(postgres) as url:
                reports.append(run(lambda: measure(url, "postgresql", args.calls, args.seconds)))
    finally:
        logging.disable(logging.NOTSET)
    for report in reports:
        _print(report)
    sqlite = reports[0]
    verdict = "meets" if sqlite.overhead_ms < TARGET_MS else "MISSES"
    print(f"sqlite overhead {sqlite.overhead_ms:.3f} ms {verdict} the {TARGET_MS} ms target")
    return reports


if __name__ == "__main__":
    main(sys.argv[1:])
