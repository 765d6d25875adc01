"""``GET /healthz`` (liveness) and ``GET /readyz`` (readiness: every dependency, and
the database at this code's migration head)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.deps import EngineDep
from app.services.health import (
    check_database,
    check_migrations,
    check_redis,
    degraded_counts,
)

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(engine: EngineDep) -> JSONResponse:
    """Whether the app is up and its database answers (503 when it does not)."""
    database = await check_database(engine)
    return JSONResponse(
        {"status": "ok" if database.ok else "unavailable", "database": asdict(database)},
        status_code=200 if database.ok else 503,
    )


@router.get("/readyz")
async def readyz(request: Request, engine: EngineDep) -> JSONResponse:
    """Whether every dependency answers: the database, and Redis when configured,
    and the database is migrated to this code's head (``migrations``).

    503 (with ``Retry-After``) when one does not; ``degraded`` counts the rate-limit
    checks and cache operations this process served without Redis.
    """
    checks: dict[str, Any] = {"database": asdict(await check_database(engine))}
    redis_url = request.app.state.settings.redis_url
    if redis_url:
        checks["redis"] = asdict(await check_redis(redis_url))
    if checks["database"]["ok"]:
        checks["migrations"] = asdict(await check_migrations(engine))
    ready = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if ready else "unavailable", **checks, "degraded": degraded_counts()}
    headers = {} if ready else {"Retry-After": "5"}
    return JSONResponse(body, status_code=200 if ready else 503, headers=headers)
