"""``GET /healthz`` (liveness) and ``GET /readyz`` (readiness: every dependency, and
the database at this code's migration head)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from app.services.health import (
    check_database,
    check_migrations,
    check_redis,
    degraded_counts,
)

health_bp = Blueprint("health", __name__)


@health_bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Whether the app is up and its database answers (503 when it does not)."""
    database = check_database(current_app.extensions["engine"])
    body = {"status": "ok" if database.ok else "unavailable", "database": asdict(database)}
    return jsonify(body), 200 if database.ok else 503


@health_bp.get("/readyz")
def readyz() -> tuple[Response, int, dict[str, str]]:
    """Whether every dependency answers: the database, and Redis when configured,
    and the database is migrated to this code's head (``migrations``).

    503 (with ``Retry-After``) when one does not; ``degraded`` counts the rate-limit
    checks and cache operations this process served without Redis.
    """
    engine = current_app.extensions["engine"]
    checks: dict[str, Any] = {"database": asdict(check_database(engine))}
    redis_url = current_app.extensions["settings"].redis_url
    if redis_url:
        checks["redis"] = asdict(check_redis(redis_url))
    if checks["database"]["ok"]:
        checks["migrations"] = asdict(check_migrations(engine))
    ready = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if ready else "unavailable", **checks, "degraded": degraded_counts()}
    headers = {} if ready else {"Retry-After": "5"}
    return jsonify(body), 200 if ready else 503, headers
