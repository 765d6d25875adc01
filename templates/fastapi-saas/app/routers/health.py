"""``GET /healthz``: is the app up and does the database answer?"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.deps import EngineDep
from app.services.health import check_database

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(engine: EngineDep) -> JSONResponse:
    """Whether the app is up and its database answers (503 when it does not)."""
    database = await check_database(engine)
    return JSONResponse(
        {"status": "ok" if database.ok else "unavailable", "database": asdict(database)},
        status_code=200 if database.ok else 503,
    )
