"""Server CPU per whole metered request, the app served in this process.

The app runs exactly as the contract suite serves it (``tests/web/server.py``: uvicorn
for FastAPI, werkzeug for Flask) over a freshly migrated database: SQLite, or
PostgreSQL (and Redis) when ``TEST_DATABASE_URL`` (and ``TEST_REDIS_URL``) say so,
as for the tests. The OpenAI-compatible providers point at the fake upstream from
``tests/fakes``, run in a child process so that its CPU is not counted. Requests go
one after another through ``POST /v1/chat/completions``, each with its own prompt so
the response cache never answers: every one is authenticated, rate limited, reserved,
routed, called, written to the ledger and settled.

CPU per request is this process's CPU time (every thread: server, database driver)
minus the client's (the main thread), divided by the requests. The ledger must hold
one row per request. Usage::

    python benchmarks/request_overhead.py [--requests 500] [--stream]

To see where the time goes, profile the server threads while it runs, e.g.
``py-spy record --idle -o profile.svg -- python benchmarks/request_overhead.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from multiprocessing.queues import Queue
from pathlib import Path
from socket import IPPROTO_TCP, TCP_NODELAY

sys.path.insert(0, str(Path(__file__).absolute().parents[1]))  # the project root

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from app.core import migrate
from app.core.catalog import PROVIDERS
from app.core.config import Settings
from app.core.db import create_engine_for
from app.core.flavour import IS_ASYNC, run
from app.services.accounts import Accounts
from app.services.api.runtime import RuntimeOptions
from app.services.llm.settings import GatewaySettings, ProviderSettings
from app.services.usage.tenancy import TenantDatabase
from tests.contract.world import MAIN_TIER, migrated_database, wire_of
from tests.fakes.upstream import FakeUpstream
from tests.fakes.wire import OPENAI
from tests.web.server import SERVER, serve

# The catalog's largest tier with a rate limit and a cap the benchmark never reaches:
# the limiter and the cap check still run on every request.
BENCH_TIER = dataclasses.replace(MAIN_TIER, requests_per_minute=10**9)
CPU_TARGET_MS = 1.5


def _upstream(ready: Queue[str]) -> None:
    """The child process: one fake OpenAI-compatible upstream until terminated."""
    with FakeUpstream(OPENAI) as fake:
        ready.put(fake.base_url)
        threading.Event().wait()


def _gateway(base_url: str) -> GatewaySettings:
    """The OpenAI-compatible providers on the fake; the others have no key, so unused."""
    return GatewaySettings(
        providers={
            provider: ProviderSettings(
                name=provider, keys=(f"sk-bench-{provider}",), base_url=base_url
            )
            for provider in PROVIDERS
            if wire_of(provider) == OPENAI
        }
    )


async def _bench_key(database_url: str) -> str:
    # An operator's key: it calls models in its own workspace and may grant it credits.
    engine = create_engine_for(database_url)
    try:
        accounts = Accounts(TenantDatabase(engine))
        workspace = await accounts.create_workspace("bench", BENCH_TIER)
        user = await accounts.add_user(workspace.id, email="bench@example.test")
        issued = await accounts.issue_api_key(
            workspace.id, name="bench", user_id=user.id, role="operator"
        )
        return issued.plaintext
    finally:
        await engine.dispose()


def _ledger_rows(database_url: str) -> int:
    engine = create_engine(migrate.sync_url(database_url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(text("SELECT count(*) FROM ai_usage_events")) or 0)
    finally:
        engine.dispose()


def _body(index: int, stream: bool) -> dict[str, object]:
    return {
        "model": "auto",
        "messages": [{"role": "user", "content": f"Summarise note {index}: revenue up 12%."}],
        "max_tokens": 64,
        "stream": stream,
    }


@dataclasses.dataclass(frozen=True, slots=True)
class Result:
    """What one run measured."""

    requests: int
    cpu_ms: float  # server CPU per request
    p50_ms: float  # median latency, client side
    failures: int  # non-2xx answers
    ledger_rows: int  # rows the requests added to the ledger (one each)


def measure(
    base_url: str,
    key: str,
    requests: int,
    stream: bool,
    ledger: Callable[[], int],
    warmup: int = 50,
) -> Result:
    """Send ``warmup`` requests, then time ``requests`` more."""
    headers = {"Authorization": f"Bearer {key}"}
    failures = 0
    latencies: list[float] = []
    # TCP_NODELAY: httpx writes headers and body apart, and without it the body waits
    # for the server's delayed ACK (40 ms), which would be all the latency measured.
    transport = httpx.HTTPTransport(socket_options=[(IPPROTO_TCP, TCP_NODELAY, 1)])
    with httpx.Client(
        base_url=base_url, headers=headers, timeout=30, transport=transport
    ) as client:
        # Credits, for products that sell them (every billing mode accepts a grant).
        granted = client.post("/v1/credits", json={"amount_usd": "1000000", "reason": "benchmark"})
        if not granted.is_success:
            raise SystemExit(f"granting credits failed: {granted.status_code} {granted.text}")
        for index in range(warmup):  # pools, caches, the first statements
            response = client.post("/v1/chat/completions", json=_body(-index, stream))
            if not response.is_success:
                raise SystemExit(f"warm-up request failed: {response.status_code} {response.text}")
        rows = ledger()
        cpu, client_cpu = time.process_time(), time.thread_time()
        for index in range(requests):
            started = time.perf_counter()
            response = client.post("/v1/chat/completions", json=_body(index, stream))
            latencies.append((time.perf_counter() - started) * 1000)
            failures += not response.is_success
        server_cpu = (time.process_time() - cpu) - (time.thread_time() - client_cpu)
    return Result(
        requests,
        cpu_ms=1000 * server_cpu / requests,
        p50_ms=statistics.median(latencies),
        failures=failures,
        ledger_rows=ledger() - rows,
    )


def main(argv: list[str] | None = None) -> Result:
    """Run the benchmark; returns what it measured (also printed, on one line)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="measured (default 500)")
    parser.add_argument("--stream", action="store_true", help="streamed answers (SSE)")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured requests first")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    spawn = multiprocessing.get_context("spawn")
    ready: Queue[str] = spawn.Queue()
    upstream = spawn.Process(target=_upstream, args=(ready,), daemon=True)
    upstream.start()
    try:
        base = ready.get(timeout=30)
        with (
            tempfile.TemporaryDirectory(prefix="request-bench-") as tmp,
            migrated_database(Path(tmp)) as database_url,
        ):
            key = run(lambda: _bench_key(database_url))
            settings = Settings(
                database_url=database_url,
                redis_url=os.environ.get("TEST_REDIS_URL") or None,
                environment="bench",
            )
            options = RuntimeOptions(gateway_settings=_gateway(base))
            with serve(settings, options) as base_url:
                result = measure(
                    base_url,
                    key,
                    args.requests,
                    args.stream,
                    lambda: _ledger_rows(database_url),
                    args.warmup,
                )
    finally:
        upstream.terminate()
        upstream.join()
    backend = "postgresql" if database_url.startswith("postgres") else "sqlite"
    flavour = "async" if IS_ASYNC else "sync"
    verdict = "meets" if result.cpu_ms <= CPU_TARGET_MS else "misses"
    print(
        f"{SERVER} ({flavour}) on {backend}{' + redis' if settings.redis_url else ''}, "
        f"{'streamed' if args.stream else 'plain'}: {args.requests} requests, "
        f"server CPU {result.cpu_ms:.2f} ms/request ({verdict} the {CPU_TARGET_MS} ms target), "
        f"p50 {result.p50_ms:.2f} ms, non-2xx {result.failures}, "
        f"ledger rows {result.ledger_rows}"
    )
    return result


if __name__ == "__main__":
    main()
