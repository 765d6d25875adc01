"""``GET /v1/usage``: this period's usage in the product's units, cap state and warnings;
``POST /v1/usage/{event_id}/feedback``: whether a call's answer was usable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import ApiDep, CallerDep, JsonCallerDep
from app.schemas.errors import ErrorBody
from app.schemas.feedback import FeedbackBody, FeedbackResult
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


@router.post(
    "/usage/{event_id}/feedback",
    response_model=FeedbackResult,
    responses={"4XX": {"model": ErrorBody}},
)
async def give_feedback(
    event_id: str, caller: JsonCallerDep, body: FeedbackBody, api: ApiDep
) -> FeedbackResult:
    """Record whether a call's answer was usable (members: their own calls)."""
    return await api.feedback(caller, event_id, body)
