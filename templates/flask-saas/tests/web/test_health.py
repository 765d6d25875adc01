"""``GET /healthz`` end to end through the app."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from app import create_app
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
