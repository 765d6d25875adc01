"""``GET/POST /v1/credits``: the prepaid balance; operators grant credits."""

from __future__ import annotations

from fastapi import APIRouter

from app.deps import ApiDep, CallerDep, JsonCallerDep
from app.schemas.credits import CreditBalance, CreditGrantBody, CreditGrantResult
from app.schemas.errors import ErrorBody

router = APIRouter(prefix="/v1", tags=["credits"])


@router.get("/credits", response_model=CreditBalance, responses={"4XX": {"model": ErrorBody}})
async def get_credits(caller: CallerDep, api: ApiDep) -> CreditBalance:
    """The workspace's credit balance."""
    return await api.credits(caller)


@router.post(
    "/credits",
    response_model=CreditGrantResult,
    status_code=201,
    responses={"4XX": {"model": ErrorBody}},
)
async def grant_credits(
    caller: JsonCallerDep, body: CreditGrantBody, api: ApiDep
) -> CreditGrantResult:
    """Add credits to any workspace (operators only)."""
    return await api.grant_credits(caller, body)
