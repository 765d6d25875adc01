"""A client for the real app, wired to the test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.core.config import Settings


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    app = create_app(Settings(database_url=database_url, redis_url=None))
    app.config["TESTING"] = True
    yield app
    app.extensions["runtime"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
