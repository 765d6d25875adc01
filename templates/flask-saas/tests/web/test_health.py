"""``GET /healthz`` end to end through the app."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from app import create_app
from app.core import migrate
from app.core.config import Settings


def test_healthz_reports_the_database(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True


def test_healthz_is_503_when_the_database_is_down(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'missing' / 'x.db'}"))
    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json()["database"]["error"] == "OperationalError"


def test_readyz_is_503_until_the_database_is_at_the_migration_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate.upgrade(url, "0001")
    client = create_app(Settings(database_url=url, redis_url=None)).test_client()
    behind = client.get("/readyz")
    migrate.upgrade(url)
    current = client.get("/readyz")

    assert behind.status_code == 503
    assert behind.headers["Retry-After"] == "5"
    assert behind.get_json()["migrations"]["ok"] is False
    assert behind.get_json()["migrations"]["current"] == ["0001"]
    assert current.status_code == 200, current.get_data(as_text=True)
    assert current.get_json()["migrations"]["ok"] is True
