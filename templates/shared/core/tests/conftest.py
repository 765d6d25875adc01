"""Fixtures every test shares: a real database.

SQLite in a temporary file by default; PostgreSQL (or any URL) when
``TEST_DATABASE_URL`` is set. A separate variable from ``DATABASE_URL`` so a
test run can never touch the database the app is configured for.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.db import create_engine_for


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_for(database_url)
    yield engine
    await engine.dispose()
