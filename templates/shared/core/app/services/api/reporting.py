"""``GET /v1/reports/margins|outliers|retries``: the owners' reports as JSON.

Operators see every workspace, named; owners their own workspace only; members
are refused (403), as the permission table's ``view_reports`` row says;
``report_scope`` applies it.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from app.core.catalog import WORKFLOWS
from app.services.accounts.permissions import permission
from app.services.accounts.roles import as_role
from app.schemas.reports import MarginsReportOut, OutliersReportOut, RetriesReportOut
from app.services.api.auth import Caller
from app.services.api.errors import ApiError, forbidden
from app.services.api.runtime import Runtime
from app.services.reports import ALL_WORKSPACES, Period, PeriodError, ReportFilter, Reports, Scope
from app.services.reports.payloads import margins_body, outliers_body, retries_body


class Viewer(Protocol):
    """Anyone a report is for: an API caller, or a dashboard session."""

    @property
    def role(self) -> str: ...

    @property
    def workspace_id(self) -> uuid.UUID: ...


def report_scope(caller: Viewer) -> Scope:
    """Whose ledger ``caller`` may report on: every workspace (operator), its own
    (owner); 403 for anyone else."""
    rule = permission("view_reports")
    reach = rule.scope(as_role(caller.role))
    if reach == "any":
        return ALL_WORKSPACES
    if reach is not None:
        return caller.workspace_id
    raise forbidden(rule.refusal_code, "Reports are for workspace owners and operators.")


def report_filter(caller: Viewer, period: str | None, workflow: str | None) -> ReportFilter:
    """The caller's scope with a checked period (``YYYY-MM``) and workflow; 403/422."""
    scope = report_scope(caller)
    try:
        month = Period.parse(period)
    except PeriodError as exc:
        raise ApiError(422, "invalid_period", str(exc), param="period") from None
    if workflow and workflow not in WORKFLOWS:
        raise ApiError(
            422,
            "unknown_workflow",
            f"Unknown workflow; one of: {', '.join(sorted(WORKFLOWS))}.",
            param="workflow",
        )
    return ReportFilter(scope, month, workflow or None)


class ReportsApi:
    """The report endpoints (mixed into ``ApiService``)."""

    runtime: Runtime

    @property
    def reports(self) -> Reports:
        """The report queries over this app's database."""
        return Reports(self.runtime.db)

    async def margins_report(
        self, caller: Caller, period: str | None, workflow: str | None = None
    ) -> MarginsReportOut:
        """Revenue, spend and margin per workspace; profitability per workflow."""
        return margins_body(await self.reports.margins(report_filter(caller, period, workflow)))

    async def outliers_report(
        self, caller: Caller, period: str | None, workflow: str | None = None
    ) -> OutliersReportOut:
        """Users spending more than three times the median user."""
        return outliers_body(await self.reports.outliers(report_filter(caller, period, workflow)))

    async def retries_report(
        self, caller: Caller, period: str | None, workflow: str | None = None
    ) -> RetriesReportOut:
        """Retry and failure spend per workspace and workflow."""
        return retries_body(await self.reports.retries(report_filter(caller, period, workflow)))
