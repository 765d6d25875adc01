"""Fixtures for the usage layer: one migrated database per test session.

SQLite in a temporary file by default. With ``TEST_DATABASE_URL`` pointing at
PostgreSQL, a schema of its own (dropped at the end), so several suites can share
the database at once; tests stay independent by using fresh workspaces.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

from app.core import migrate
from app.core.catalog import TIERS, WORKFLOWS
from app.core.catalog_types import WorkflowInfo
from app.core.db import create_engine_for
from app.services.accounts import Accounts
from app.services.usage import CallContext, Entitlement, TenantDatabase, UsageService
from tests.core.usage.fakes import FakeGateway


def postgres_url() -> str | None:
    """TEST_DATABASE_URL when it points at PostgreSQL."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url and make_url(url).get_backend_name() in ("postgresql", "postgres"):
        return url
    return None


def in_schema(url: str, schema: str) -> str:
    """``url`` with ``schema`` as the connection's search path."""
    parsed = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def usage_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = postgres_url()
    if base is None:
        url = f"sqlite:///{tmp_path_factory.mktemp('usage') / 'usage.db'}"
        migrate.upgrade(url)
        yield url
        return
    schema = f"test_usage_{uuid.uuid4().hex[:12]}"
    admin = create_engine(migrate.sync_url(base), poolclass=NullPool)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = in_schema(base, schema)
        migrate.upgrade(url)
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_path(usage_database_url: str) -> Path | None:
    parsed = make_url(usage_database_url)
    if parsed.get_backend_name() != "sqlite" or parsed.database is None:
        return None
    return Path(parsed.database)


@pytest.fixture
async def usage_engine(usage_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_for(usage_database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
async def service(usage_engine: AsyncEngine, gateway: FakeGateway) -> AsyncIterator[UsageService]:
    # Metered billing unless a test says otherwise: these tests are about the ledger, caps and
    # limits; the credit paths (prepaid and hybrid) have their own tests in test_credits.
    service = UsageService(usage_engine, gateway, billing_mode="stripe_metered", log_prompts=False)
    yield service
    await service.close()


@pytest.fixture
def accounts(usage_engine: AsyncEngine) -> Accounts:
    return Accounts(TenantDatabase(usage_engine))


def entitlement(
    cap: str = "1", *, per_minute: int = 1000, warnings: tuple[float, ...] = (0.75, 0.9)
) -> Entitlement:
    """The first catalog tier with test-sized terms (names differ between blueprints)."""
    return replace(
        Entitlement.from_tier(next(iter(TIERS.values()))),
        monthly_price=Decimal("10"),
        monthly_cost_cap=Decimal(cap),
        soft_warnings=warnings,
        requests_per_minute=per_minute,
    )


@pytest.fixture
async def workspace_id(accounts: Accounts) -> uuid.UUID:
    workspace = await accounts.create_workspace("Test", next(iter(TIERS)))
    return workspace.id


@pytest.fixture
async def user_id(accounts: Accounts, workspace_id: uuid.UUID) -> uuid.UUID:
    return (await accounts.add_user(workspace_id, email="ada@example.com")).id


TEST_WORKFLOW = WorkflowInfo(
    name="usage_test",
    unit="answer",
    min_quality=0.0,
    max_context_tokens=2000,
    max_output_tokens=500,
    max_latency_ms=None,
    soft_daily_cost=Decimal("0.05"),
    prompt="usage_test",
    cache=True,
)


@pytest.fixture(autouse=True)
def workflow(monkeypatch: pytest.MonkeyPatch) -> WorkflowInfo:
    """A workflow with test-sized limits, whatever the blueprint's workflows are."""
    monkeypatch.setitem(WORKFLOWS, TEST_WORKFLOW.name, TEST_WORKFLOW)
    return TEST_WORKFLOW


@pytest.fixture
def ctx(workspace_id: uuid.UUID, user_id: uuid.UUID, workflow: WorkflowInfo) -> CallContext:
    return CallContext(
        workspace_id=workspace_id,
        user_id=user_id,
        workflow=workflow.name,
        entitlement=entitlement(),
        feature="tests",
    )
