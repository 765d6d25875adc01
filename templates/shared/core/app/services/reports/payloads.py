"""Reports as response bodies (``app.schemas.reports``), and the money text they share
with the ``/admin`` pages and the ``report`` command."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from app.schemas.reports import (
    MarginsReportOut,
    OutlierOut,
    OutliersReportOut,
    ReportScope,
    RetriesReportOut,
    RetryRowOut,
    WorkflowProfitOut,
    WorkspaceMarginOut,
)
from app.services.reports.queries import (
    MarginsReport,
    OutliersReport,
    ReportFilter,
    RetriesReport,
)

_SIX_PLACES = Decimal("0.000001")


def money(micros: int | Decimal) -> str:
    """Micro-USD as USD text with six places: ``1054`` -> ``"0.001054"``."""
    usd = (Decimal(micros) * _SIX_PLACES).quantize(_SIX_PLACES, rounding=ROUND_HALF_EVEN)
    return f"{usd:f}"


def share(value: float | None) -> str:
    """A fraction as a percentage with one decimal (``"12.5%"``), ``-`` when undefined."""
    return "-" if value is None else f"{value * 100:.1f}%"


def _scope(flt: ReportFilter) -> ReportScope:
    return "all" if flt.all_workspaces else "workspace"


def margins_body(report: MarginsReport) -> MarginsReportOut:
    """``GET /v1/reports/margins``."""
    flt = report.filter
    return MarginsReportOut(
        period=flt.period.label,
        workflow=flt.workflow,
        scope=_scope(flt),
        revenue_usd=money(report.revenue_micros),
        spend_usd=money(report.spend_micros),
        margin_usd=money(report.margin_micros),
        workspaces=[
            WorkspaceMarginOut(
                workspace_id=str(w.workspace_id),
                workspace=w.name,
                tier=w.tier,
                requests=w.requests,
                revenue_usd=money(w.revenue_micros),
                spend_usd=money(w.spend_micros),
                margin_usd=money(w.margin_micros),
            )
            for w in report.workspaces
        ],
        workflows=[
            WorkflowProfitOut(
                tier=w.tier,
                workflow=w.workflow,
                workspaces=w.workspaces,
                requests=w.requests,
                usable=w.usable,
                spend_usd=money(w.spend_micros),
                cost_per_request_usd=money(w.cost_per_request_micros),
                cost_per_usable_usd=None
                if w.cost_per_usable_micros is None
                else money(w.cost_per_usable_micros),
                tier_price_usd=money(w.tier_price_micros),
                spend_per_workspace_usd=money(w.spend_per_workspace_micros),
                margin_per_workspace_usd=money(w.margin_per_workspace_micros),
            )
            for w in report.workflows
        ],
    )


def outliers_body(report: OutliersReport) -> OutliersReportOut:
    """``GET /v1/reports/outliers``."""
    flt = report.filter
    return OutliersReportOut(
        period=flt.period.label,
        workflow=flt.workflow,
        scope=_scope(flt),
        factor=report.factor,
        median_spend_usd=money(report.median_micros),
        users=[
            OutlierOut(
                workspace_id=str(o.workspace_id),
                workspace=o.workspace,
                user_id=None if o.user_id is None else str(o.user_id),
                user=o.user,
                requests=o.requests,
                spend_usd=money(o.spend_micros),
                times_median=round(o.times_median, 2),
            )
            for o in report.users
        ],
    )


def retries_body(report: RetriesReport) -> RetriesReportOut:
    """``GET /v1/reports/retries``."""
    flt = report.filter
    return RetriesReportOut(
        period=flt.period.label,
        workflow=flt.workflow,
        scope=_scope(flt),
        retry_spend_usd=money(report.retry_spend_micros),
        failed_spend_usd=money(report.failed_spend_micros),
        wasted_usd=money(report.wasted_micros),
        rows=[
            RetryRowOut(
                workspace_id=str(r.workspace_id),
                workspace=r.workspace,
                workflow=r.workflow,
                requests=r.requests,
                provider_calls=r.provider_calls,
                failed=r.failed,
                failure_share=round(r.failure_share, 4),
                retried_requests=r.retried_requests,
                retries=r.retries,
                retry_spend_usd=money(r.retry_spend_micros),
                failed_spend_usd=money(r.failed_spend_micros),
                wasted_usd=money(r.wasted_micros),
                spend_usd=money(r.spend_micros),
            )
            for r in report.rows
        ],
    )
