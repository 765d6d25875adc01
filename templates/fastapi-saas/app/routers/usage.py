"""``GET /v1/usage``: this period's usage in the product's units, cap state and warnings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import ApiDep, CallerDep
from app.schemas.errors import ErrorBody
from app.schemas.usage import UsageReport

router = APIRouter(prefix="/v1", tags=["usage"])


@router.get("/usage", response_model=UsageReport, responses={"4XX": {"model": ErrorBody}})
async def get_usage(
    caller: CallerDep,
    api: ApiDep,
    user: Annotated[
        str | None,
        Query(description="Owners: a user id or email, or `all`."),
    ] = None,
) -> UsageReport:
    """The caller's usage; owners may ask for any user of their workspace."""
    return await api.usage(caller, user)
