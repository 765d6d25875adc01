"""The database health check against a real database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.db import create_engine_for
from app.services.health import check_database


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
