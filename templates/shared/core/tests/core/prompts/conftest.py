"""A writable copy of the app's real prompt catalogue, for tests that change it, and a
migrated database (SQLite, or a PostgreSQL schema of its own) for the stored versions."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.catalog import DEFAULT_WORKFLOW, WORKFLOWS
from app.core.db import create_engine_for
from app.services.prompts import PROMPTS_DIR, PromptStore
from app.services.prompts.catalog import PromptCatalog
from app.services.usage.tenancy import TenantDatabase
from tests.contract.world import migrated_database


@pytest.fixture
def prompts_dir(tmp_path: Path) -> Path:
    target = tmp_path / "app" / "prompts"
    shutil.copytree(PROMPTS_DIR, target)
    return target


@pytest.fixture
def store(prompts_dir: Path) -> PromptStore:
    return PromptStore(prompts_dir)


@pytest.fixture
def prompt_name() -> str:
    """A prompt the spec's default workflow really uses."""
    return WORKFLOWS[DEFAULT_WORKFLOW].prompt


@pytest.fixture
def prompts_database_url(tmp_path: Path) -> Iterator[str]:
    """A freshly migrated database: stored versions are global, so one per test."""
    with migrated_database(tmp_path) as url:
        yield url


@pytest.fixture
async def prompts_engine(prompts_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_for(prompts_database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def catalog(prompts_engine: AsyncEngine, prompts_dir: Path) -> PromptCatalog:
    """The store every instance serves from, fed by the copy of the files."""
    return PromptCatalog(TenantDatabase(prompts_engine), PromptStore(prompts_dir))
