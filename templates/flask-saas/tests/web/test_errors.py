"""Flask only: failures outside the services still answer with the one error shape."""

from __future__ import annotations

from typing import NoReturn

from flask import Flask
from flask.testing import FlaskClient


def test_an_unexpected_error_is_a_bare_json_500(app: Flask) -> None:
    @app.get("/boom")
    def boom() -> NoReturn:
        raise RuntimeError("secret detail /srv/app.py")

    response = app.test_client().get("/boom")

    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert b"secret" not in response.data


def test_method_not_allowed_lists_the_allowed_method(client: FlaskClient) -> None:
    response = client.get("/v1/chat")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert response.headers["Allow"] == "POST"
