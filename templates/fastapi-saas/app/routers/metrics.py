"""``GET /metrics``: Prometheus metrics, for operator keys (Bearer) only."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from app.core.metrics import CONTENT_TYPE
from app.deps import ApiDep, CallerDep
from app.schemas.errors import ErrorBody

router = APIRouter(tags=["operations"])


@router.get("/metrics", response_class=Response, responses={"4XX": {"model": ErrorBody}})
async def metrics(api: ApiDep, caller: CallerDep) -> Response:
    """Prometheus text: requests, provider calls, breakers, cache, spend, backlogs."""
    return Response(await api.metrics(caller), media_type=CONTENT_TYPE)
