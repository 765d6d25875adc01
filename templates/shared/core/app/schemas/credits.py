"""``GET/POST /v1/credits``: the workspace's prepaid balance; operators grant credits."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator


class CreditBalance(BaseModel):
    """A workspace's prepaid credits, in USD (decimal strings)."""

    workspace_id: str
    balance_usd: str = Field(description="Unexpired credits, in USD.")
    held_usd: str = Field(description="Held by calls in flight.")
    available_usd: str = Field(description="What new calls may spend: balance minus held.")
    next_expiry_at: datetime | None = None


class CreditGrantBody(BaseModel):
    """Add credits to a workspace (operators only; customers pay through Checkout)."""

    model_config = ConfigDict(extra="ignore")

    amount_usd: Decimal = Field(gt=0, le=1_000_000, decimal_places=6)
    reason: str = Field(default="grant", min_length=1, max_length=200)
    reference: str | None = Field(
        default=None,
        max_length=200,
        description="E.g. a payment id: granting twice with the same reference is a no-op.",
    )
    # With its zone (a naive time is ambiguous), and in the future (422 otherwise).
    expires_at: AwareDatetime | None = None

    @field_validator("expires_at")
    @classmethod
    def _in_the_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value <= datetime.now(UTC):
            raise ValueError("must be in the future")
        return value
    workspace: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The workspace's id or name (default: the operator's own).",
    )


class CreditGrantResult(BaseModel):
    """The grant made (or found, for a repeated reference) and the new balance."""

    grant_id: str
    amount_usd: str
    balance: CreditBalance
