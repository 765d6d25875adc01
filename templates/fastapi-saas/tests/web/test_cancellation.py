"""FastAPI only: a client that leaves stops the upstream call at once, even while the
model is silent (the disconnect is noticed without waiting for the next token)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app.core import migrate
from app.core.config import Settings
from app.core.flavour import run
from app.models import UsageEvent
from app.services.api.runtime import RuntimeOptions
from tests.contract.world import (
    Contract,
    body_cap,
    fake_providers,
    fund,
    gateway_settings,
    migrated_database,
    pinned_model,
    seed,
)
from tests.fakes.upstream import Answer
from tests.web.server import SERVER, serve


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Contract]:
    tmp = tmp_path_factory.mktemp("cancel")
    with migrated_database(tmp) as url, fake_providers() as upstreams:
        keys = run(lambda: seed(url))
        settings = Settings(database_url=url, redis_url=None, environment="test")
        options = RuntimeOptions(gateway_settings=gateway_settings(upstreams))
        with serve(settings, options) as base_url:
            world = Contract(base_url, url, SERVER, keys, body_cap(), upstreams)
            fund(world)
            yield world


def ledger(database_url: str, workspace_id: str) -> list[UsageEvent]:
    engine = create_engine(migrate.sync_url(database_url), poolclass=NullPool)
    try:
        with Session(engine) as session:
            return list(
                session.scalars(
                    select(UsageEvent)
                    .where(UsageEvent.workspace_id == uuid.UUID(workspace_id))
                    .order_by(UsageEvent.created_at)
                )
            )
    finally:
        engine.dispose()


def test_leaving_while_the_model_is_silent_closes_the_upstream(
    world: Contract, tmp_path: Path
) -> None:
    model = pinned_model()
    fake = world.upstream_calls(model)[0]
    # Two words, then the upstream holds the stream open without a token.
    fake.push(Answer("one two three four", hold_after=2))
    key = world.key("stream")
    body = {"messages": [{"role": "user", "content": "hold"}], "model": model, "stream": True}
    with (
        httpx.Client(base_url=world.base_url, timeout=10) as client,
        client.stream("POST", "/v1/chat", json=body, headers=key.headers()) as response,
    ):
        # Both words first: from then on the upstream only holds (and notices a close).
        deltas = (line for line in response.iter_lines() if line.startswith("event: delta"))
        assert next(deltas) and next(deltas)

    assert fake.disconnected.wait(5), "the upstream request was not closed"
    deadline = time.monotonic() + 5
    rows: list[UsageEvent] = []
    while time.monotonic() < deadline and not (rows and rows[-1].outcome == "cancelled"):
        rows = ledger(world.database_url, key.workspace_id)
        time.sleep(0.05)
    assert rows and rows[-1].outcome == "cancelled"
    assert (rows[-1].output_tokens or 0) > 0
