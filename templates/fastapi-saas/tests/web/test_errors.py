"""FastAPI only: failures outside the services still answer with the one error shape."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app


def test_an_unexpected_error_is_a_bare_json_500(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, redis_url=None))

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret detail /srv/app.py")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "secret" not in response.text


def test_method_not_allowed_lists_the_allowed_method(client: TestClient) -> None:
    response = client.get("/v1/chat")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response.headers["allow"] == "POST"
