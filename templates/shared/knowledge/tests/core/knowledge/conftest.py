"""Fixtures for the knowledge store: the usage suite's migrated database (SQLite, or
a PostgreSQL schema of its own with TEST_DATABASE_URL) and fresh workspaces."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.catalog import TIERS
from app.core.db import create_engine_for
from app.services.accounts import Accounts
from app.services.knowledge.catalog import Limits
from app.services.knowledge.store import KnowledgeStore
from app.services.usage.tenancy import TenantDatabase
from tests.core.usage.conftest import usage_database_url

__all__ = ["usage_database_url"]

# Small limits, so the tests reach them with small files.
SMALL = Limits(documents=3, total_bytes=20_000, pages_per_file=4)


@pytest.fixture
async def knowledge_engine(usage_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_for(usage_database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def db(knowledge_engine: AsyncEngine) -> TenantDatabase:
    return TenantDatabase(knowledge_engine)


@pytest.fixture
def store(db: TenantDatabase) -> KnowledgeStore:
    return KnowledgeStore(db, limits=lambda _tier: SMALL)


async def new_workspace(db: TenantDatabase, name: str = "Knowledge") -> uuid.UUID:
    """A fresh workspace on the first catalog tier."""
    return (await Accounts(db).create_workspace(name, next(iter(TIERS)))).id


@pytest.fixture
async def workspace(db: TenantDatabase) -> uuid.UUID:
    return await new_workspace(db)
