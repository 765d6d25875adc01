"""``GET /v1/usage``: this period's usage in the product's units, cap state, warnings.

Provider cost (USD) appears only for workspace owners; everyone else sees units,
request counts and how far along the cap they are.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


class WorkflowUsage(BaseModel):
    """One workflow's calls this period."""

    workflow: str
    unit: str = Field(description="What the product sells for this workflow, e.g. report.")
    units: int = Field(description="Successful answers this period (what the user bought).")
    requests: int = Field(description="Every call, including failed and refused ones.")
    cached: int = Field(default=0, description="Answers served from the cache.")
    failed: int = Field(default=0)
    cost_usd: str | None = Field(default=None, description="Owners only.")


class CapState(BaseModel):
    """The workspace against its monthly allowance."""

    state: Literal["ok", "warning", "reached"]
    used_fraction: float = Field(description="Share of the monthly allowance used, 0 to 1.")
    warnings_at: list[float] = Field(description="The tier's soft-warning thresholds.")
    crossed: list[float] = Field(description="Thresholds crossed this period.")
    resets_at: datetime
    used_usd: str | None = Field(default=None, description="Owners only.")
    limit_usd: str | None = Field(default=None, description="Owners only.")


class UsageReport(BaseModel):
    """This period's usage of a user, or of the whole workspace."""

    workspace_id: str
    user_id: str | None = Field(description="Whose usage; null for the whole workspace.")
    tier: str
    period_start: date
    period_end: date
    workflows: list[WorkflowUsage]
    cap: CapState
    warnings: list[str] = Field(default_factory=list)
