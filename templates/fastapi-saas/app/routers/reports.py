"""``GET /v1/reports/margins|outliers|retries``: the owners' reports as JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import ApiDep, CallerDep
from app.schemas.errors import ErrorBody
from app.schemas.reports import MarginsReportOut, OutliersReportOut, RetriesReportOut

router = APIRouter(prefix="/v1/reports", tags=["reports"])

PeriodParam = Annotated[
    str | None, Query(description="The month, `YYYY-MM` (default: this month, UTC).")
]
WorkflowParam = Annotated[str | None, Query(description="Only this workflow.")]
ERRORS: dict[int | str, dict[str, object]] = {"4XX": {"model": ErrorBody}}


@router.get("/margins", response_model=MarginsReportOut, responses=ERRORS)
async def get_margins(
    caller: CallerDep, api: ApiDep, period: PeriodParam = None, workflow: WorkflowParam = None
) -> MarginsReportOut:
    """Revenue, spend and margin per workspace; cost per request and per usable answer."""
    return await api.margins_report(caller, period, workflow)


@router.get("/outliers", response_model=OutliersReportOut, responses=ERRORS)
async def get_outliers(
    caller: CallerDep, api: ApiDep, period: PeriodParam = None, workflow: WorkflowParam = None
) -> OutliersReportOut:
    """Users spending more than three times the median user."""
    return await api.outliers_report(caller, period, workflow)


@router.get("/retries", response_model=RetriesReportOut, responses=ERRORS)
async def get_retries(
    caller: CallerDep, api: ApiDep, period: PeriodParam = None, workflow: WorkflowParam = None
) -> RetriesReportOut:
    """Retry and failure spend per workspace and workflow."""
    return await api.retries_report(caller, period, workflow)
