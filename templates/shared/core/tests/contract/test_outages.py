"""Redis or PostgreSQL going away mid-run: never a 500.

Rate limits and the response cache fail open without Redis (each process limits on
its own, every call is a cache miss), counted in ``/readyz``; a database that goes
away is a 503 JSON with ``Retry-After``, and the app recovers by itself when it is
back. ``/healthz`` stays liveness; ``/readyz`` names the dependency that is down.
Both servers are real and private to the test (see ``tests/contract/outages.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from app.core import migrate
from app.core.config import Settings
from app.core.flavour import run
from app.services.api.runtime import RuntimeOptions
from tests.contract.helpers import assert_error, chat_body
from tests.contract.outages import postgres_cluster, redis_server
from tests.contract.world import Contract, body_cap, fake_providers, fund, gateway_settings, seed
from tests.web.server import SERVER, serve


@contextmanager
def app_on(database_url: str, redis_url: str | None) -> Iterator[Contract]:
    """This app's server over ``database_url`` (migrated, seeded) and ``redis_url``."""
    migrate.upgrade(database_url)
    keys = run(lambda: seed(database_url))
    settings = Settings(database_url=database_url, redis_url=redis_url, environment="test")
    with fake_providers() as upstreams:
        options = RuntimeOptions(
            gateway_settings=gateway_settings(upstreams), max_body_bytes=body_cap()
        )
        with serve(settings, options) as base_url:
            world = Contract(base_url, database_url, SERVER, keys, body_cap(), upstreams)
            fund(world)
            yield world


def chat(world: Contract, text: str) -> httpx.Response:
    return httpx.post(
        f"{world.base_url}/v1/chat",
        json=chat_body(text),
        headers=world.key("owner").headers(),
        timeout=20,
    )


def probe(world: Contract, path: str) -> httpx.Response:
    return httpx.get(f"{world.base_url}{path}", timeout=10)


def test_without_redis_calls_still_answer_and_readyz_says_so(tmp_path: Path) -> None:
    with redis_server() as redis, app_on(f"sqlite:///{tmp_path / 'app.db'}", redis.url) as world:
        assert chat(world, "Redis is up.").status_code == 200
        ready = probe(world, "/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["redis"]["ok"] is True

        redis.stop()
        for n in range(3):
            # Rate limited in this process's memory, a cache miss, answered.
            response = chat(world, f"Redis is down ({n}).")
            assert response.status_code == 200, response.text
            assert "RateLimit-Limit" in response.headers
        assert probe(world, "/healthz").status_code == 200  # liveness: the app is fine
        ready = probe(world, "/readyz")
        assert ready.status_code == 503, ready.text
        assert ready.headers["Retry-After"]
        assert ready.json()["redis"]["ok"] is False
        assert ready.json()["database"]["ok"] is True
        assert ready.json()["degraded"]["rate_limit"] >= 3

        redis.start()
        assert probe(world, "/readyz").status_code == 200
        assert chat(world, "Redis is back.").status_code == 200


def test_a_database_that_goes_away_is_a_503_and_comes_back_without_restart() -> None:
    with postgres_cluster() as postgres, app_on(postgres.url, None) as world:
        assert chat(world, "PostgreSQL is up.").status_code == 200

        postgres.stop()
        response = chat(world, "PostgreSQL is down.")
        error = assert_error(response, 503, "database_unavailable")
        assert "retry" in error["message"].lower()
        assert int(response.headers["Retry-After"]) > 0
        usage = httpx.get(
            f"{world.base_url}/v1/usage", headers=world.key("owner").headers(), timeout=20
        )
        assert_error(usage, 503, "database_unavailable")
        assert probe(world, "/healthz").status_code == 503
        ready = probe(world, "/readyz")
        assert ready.status_code == 503
        assert ready.json()["database"]["ok"] is False

        postgres.start()
        # The pool pre-pings: stale connections are replaced, no restart needed.
        assert chat(world, "PostgreSQL is back.").status_code == 200
        assert probe(world, "/readyz").status_code == 200
