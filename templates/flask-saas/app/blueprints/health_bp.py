"""``GET /healthz``: is the app up and does the database answer?"""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response, current_app, jsonify

from app.services.health import check_database

health_bp = Blueprint("health", __name__)


@health_bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Whether the app is up and its database answers (503 when it does not)."""
    database = check_database(current_app.extensions["engine"])
    body = {"status": "ok" if database.ok else "unavailable", "database": asdict(database)}
    return jsonify(body), 200 if database.ok else 503
