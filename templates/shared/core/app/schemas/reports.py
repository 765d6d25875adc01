"""Bodies of ``GET /v1/reports/margins|outliers|retries`` (and ``report --json``).

Money is a decimal string in USD with six places (micro-USD), the same text the
``/admin`` pages show. ``scope`` is ``all`` for an operator's view of every
workspace, ``workspace`` for an owner's view of its own.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

ReportScope = Literal["all", "workspace"]


class ReportHead(BaseModel):
    period: str
    workflow: str | None
    scope: ReportScope


class WorkspaceMarginOut(BaseModel):
    workspace_id: str
    workspace: str
    tier: str | None
    requests: int
    revenue_usd: str
    spend_usd: str
    margin_usd: str


class WorkflowProfitOut(BaseModel):
    tier: str
    workflow: str
    workspaces: int
    requests: int
    usable: int
    spend_usd: str
    cost_per_request_usd: str
    cost_per_usable_usd: str | None
    tier_price_usd: str
    spend_per_workspace_usd: str
    margin_per_workspace_usd: str


class MarginsReportOut(ReportHead):
    revenue_usd: str
    spend_usd: str
    margin_usd: str
    workspaces: list[WorkspaceMarginOut]
    workflows: list[WorkflowProfitOut]


class OutlierOut(BaseModel):
    workspace_id: str
    workspace: str
    user_id: str | None
    user: str | None
    requests: int
    spend_usd: str
    times_median: float


class OutliersReportOut(ReportHead):
    factor: float
    median_spend_usd: str
    users: list[OutlierOut]


class RetryRowOut(BaseModel):
    workspace_id: str
    workspace: str
    workflow: str
    requests: int
    provider_calls: int
    failed: int
    failure_share: float
    retried_requests: int
    retries: int
    retry_spend_usd: str
    failed_spend_usd: str
    wasted_usd: str
    spend_usd: str


class RetriesReportOut(ReportHead):
    retry_spend_usd: str
    failed_spend_usd: str
    wasted_usd: str
    rows: list[RetryRowOut]
