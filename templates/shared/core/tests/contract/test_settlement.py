"""A client that leaves while its finished stream is being settled.

Settling (the ledger row, the billing-outbox row, the budget and credits) must run
to completion whatever the client does, exactly once per call, and must never
leave a connection holding a lock: a later request still writes.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app.core import migrate
from app.core.db import create_engine_for
from app.core.flavour import run
from app.models import BillingOutbox, UsageBudget, UsageEvent
from app.services.accounts import Accounts
from app.services.usage import TenantDatabase
from tests.contract.helpers import chat_body
from tests.contract.world import ROOMY, Contract, Key, pinned_model
from tests.fakes.upstream import Answer

WORDS = ("one ", "two ", "three")


async def _create_owner(database_url: str) -> Key:
    engine = create_engine_for(database_url)
    try:
        accounts = Accounts(TenantDatabase(engine))
        workspace = await accounts.create_workspace(f"settle-{uuid.uuid4().hex[:8]}", ROOMY)
        user = await accounts.add_user(workspace.id, email="owner@settle.test")
        issued = await accounts.issue_api_key(
            workspace.id, name="settlement", user_id=user.id, role="owner"
        )
        return Key(issued.plaintext, str(workspace.id), str(user.id), "owner", ROOMY.name)
    finally:
        await engine.dispose()


@pytest.fixture
def owner(contract: Contract, client: httpx.Client) -> Key:
    """A fresh funded workspace: its ledger holds only this test's calls."""
    key = run(lambda: _create_owner(contract.database_url))
    funded = client.post(
        "/v1/credits",
        json={"amount_usd": "100", "reason": "settlement", "workspace": key.workspace_id},
        headers=contract.key("operator").headers(),
    )
    assert funded.status_code == 201, funded.text
    return key


@contextmanager
def writes_blocked(database_url: str, workspace_id: str) -> Iterator[None]:
    """Hold what settling a call waits for: SQLite's write lock, or on PostgreSQL the
    workspace's budget row (settling updates it after the ledger row)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database
        lock = sqlite3.connect(url.database, timeout=10, isolation_level=None)
        try:
            lock.execute("BEGIN IMMEDIATE")
            yield
            lock.execute("ROLLBACK")
        finally:
            lock.close()
        return
    engine = create_engine(migrate.sync_url(database_url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(
                text("SELECT 1 FROM usage_budgets WHERE workspace_id = :w FOR UPDATE"),
                {"w": uuid.UUID(workspace_id)},
            )
            yield
            connection.rollback()
    finally:
        engine.dispose()


@contextmanager
def settling_seen() -> Iterator[threading.Event]:
    """Set when this process's app starts settling a call (closing its pending ledger row).

    The server runs in this process: a listener on every SQLAlchemy engine sees its
    statements, so the test knows the settlement has begun without guessing a delay.
    """
    seen = threading.Event()
    # On SQLite a transaction takes the write lock as it begins (BEGIN IMMEDIATE), so
    # there the settlement waits at its BEGIN: the first one after the call was admitted.
    starts = ("UPDATE AI_USAGE_EVENTS", "BEGIN IMMEDIATE")

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(starts):
            seen.set()

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", before)


def ledger(contract: Contract, workspace_id: str) -> tuple[list[UsageEvent], list[BillingOutbox]]:
    engine = create_engine(migrate.sync_url(contract.database_url), poolclass=NullPool)
    workspace = uuid.UUID(workspace_id)
    try:
        with Session(engine) as session:
            events = session.scalars(
                select(UsageEvent).where(UsageEvent.workspace_id == workspace)
            ).all()
            outbox = session.scalars(
                select(BillingOutbox).where(BillingOutbox.workspace_id == workspace)
            ).all()
            return list(events), list(outbox)
    finally:
        engine.dispose()


def budget(contract: Contract, workspace_id: str) -> UsageBudget:
    engine = create_engine(migrate.sync_url(contract.database_url), poolclass=NullPool)
    try:
        with Session(engine) as session:
            return session.scalars(
                select(UsageBudget).where(UsageBudget.workspace_id == uuid.UUID(workspace_id))
            ).one()
    finally:
        engine.dispose()


def settled_ledger(
    contract: Contract, workspace_id: str, calls: int
) -> tuple[list[UsageEvent], list[BillingOutbox]]:
    """The workspace's rows once all ``calls`` have settled (none left pending)."""
    deadline = time.monotonic() + 20
    while True:
        events, outbox = ledger(contract, workspace_id)
        done = len(events) == calls and all(e.outcome != "pending" for e in events)
        if done or time.monotonic() > deadline:
            return events, outbox
        time.sleep(0.05)


def assert_settled_once(contract: Contract, key: Key, calls: int) -> list[UsageEvent]:
    """Every call has one settled row, one outbox row when billable, and no hold left."""
    events, outbox = settled_ledger(contract, key.workspace_id, calls)
    assert len(events) == calls, [(e.outcome, e.error_code) for e in events]
    assert all(e.outcome != "pending" for e in events), [e.outcome for e in events]
    billable = {e.id for e in events if e.outcome in ("ok", "cancelled")}
    assert sorted(row.usage_event_id for row in outbox) == sorted(billable)
    state = budget(contract, key.workspace_id)
    assert state.reserved_micros == 0
    assert state.spent_micros == sum(e.settled_micros for e in events)
    return events


def test_a_client_leaving_while_its_stream_settles_is_settled_once(
    contract: Contract, client: httpx.Client, owner: Key, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    model = pinned_model()
    # Pauses between the words: time to take the lock before the answer completes.
    contract.upstream_calls(model)[0].push(Answer("".join(WORDS), chunks=WORDS, gap=0.5))
    body = chat_body("settle me", stream=True, model=model)
    with client.stream("POST", "/v1/chat", json=body, headers=owner.headers()) as response:
        assert response.status_code == 200
        # Admitted (the headers are sent): from now on the settlement has to wait.
        with writes_blocked(contract.database_url, owner.workspace_id), settling_seen() as seen:
            assert seen.wait(15), "the call never started settling"
            time.sleep(0.2)  # the settlement is waiting for the lock
            response.close()  # the client leaves
            time.sleep(0.5)  # the server notices, mid-settlement

    (event,) = assert_settled_once(contract, owner, 1)
    assert event.outcome == "ok", (event.outcome, event.error_code, event.error)
    # Nothing holds a lock: the next call writes its row.
    after = client.post("/v1/chat", json=chat_body("after"), headers=owner.headers())
    assert after.status_code == 200, after.text
    assert_settled_once(contract, owner, 2)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors  # e.g. a second settlement's IntegrityError


def _busy(stop: threading.Event) -> None:
    while not stop.is_set():
        sum(range(10_000))


def _cut_at_the_end(contract: Contract, key: Key, model: str) -> None:
    body = chat_body(f"cut at the end {uuid.uuid4()}", stream=True, model=model)
    with (
        httpx.Client(base_url=contract.base_url, timeout=20) as client,
        client.stream("POST", "/v1/chat", json=body, headers=key.headers()) as response,
    ):
        assert response.status_code == 200
        deltas = 0
        for line in response.iter_lines():
            deltas += line.startswith("event: delta")
            if deltas == len(WORDS):
                break  # leave the moment the answer is complete, as it settles


def test_many_streams_cut_at_the_end_under_load_settle_once(
    contract: Contract, client: httpx.Client, owner: Key, caplog: pytest.LogCaptureFixture
) -> None:
    calls = 24
    model = pinned_model()
    fake = contract.upstream_calls(model)[0]
    fake.push(*(Answer("".join(WORDS), chunks=WORDS) for _ in range(calls)))
    stop = threading.Event()
    hog = threading.Thread(target=_busy, args=(stop,), daemon=True)  # CPU contention
    caplog.set_level(logging.ERROR)
    hog.start()
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            for done in [
                pool.submit(_cut_at_the_end, contract, owner, model) for _ in range(calls)
            ]:
                done.result()
    finally:
        stop.set()
        hog.join()

    assert_settled_once(contract, owner, calls)
    after = client.post("/v1/chat", json=chat_body("after the cuts"), headers=owner.headers())
    assert after.status_code == 200, after.text
    assert_settled_once(contract, owner, calls + 1)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors
