"""The database health check against a real database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from app.core import migrate
from app.core.db import create_engine_for
from app.services.health import check_database, check_migrations


async def test_reports_a_reachable_database(engine: AsyncEngine) -> None:
    health = await check_database(engine)

    assert health.ok, health.error
    assert health.backend == engine.dialect.name
    assert health.latency_ms >= 0


async def test_reports_an_unreachable_database_without_details(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'x.db'}")
    try:
        health = await check_database(engine)
    finally:
        await engine.dispose()

    assert not health.ok
    assert health.error == "OperationalError"
    assert str(tmp_path) not in (health.error or "")


async def test_migrations_are_current_only_at_the_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = create_engine_for(url)
    try:
        never = await check_migrations(engine)
        assert not never.ok
        assert never.current == []
        assert never.expected == sorted(migrate.heads())

        migrate.upgrade(url, "0001")
        behind = await check_migrations(engine)
        assert not behind.ok
        assert behind.current == ["0001"]

        migrate.upgrade(url)
        current = await check_migrations(engine)
        assert current.ok, current
        assert current.current == current.expected
    finally:
        await engine.dispose()
