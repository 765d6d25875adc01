"""``GET /healthz`` end to end through the app."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.core import migrate
from app.core.config import Settings
from app.main import create_app


def test_healthz_reports_the_database(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True


def test_healthz_is_503_when_the_database_is_down(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'x.db'}"
    with TestClient(create_app(Settings(database_url=url))) as client:
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"]["error"] == "OperationalError"


def test_readyz_is_503_until_the_database_is_at_the_migration_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate.upgrade(url, "0001")
    with TestClient(create_app(Settings(database_url=url, redis_url=None))) as client:
        behind = client.get("/readyz")
        migrate.upgrade(url)
        current = client.get("/readyz")

    assert behind.status_code == 503
    assert behind.headers["Retry-After"] == "5"
    assert behind.json()["migrations"]["ok"] is False
    assert behind.json()["migrations"]["current"] == ["0001"]
    assert current.status_code == 200, current.text
    assert current.json()["migrations"]["ok"] is True
