"""The usage ledger and what keeps it exact: budgets, warnings, the billing outbox.

Every model call leaves one self-contained ``ai_usage_events`` row. The row is
written when the call is admitted (outcome ``pending``, holding its worst-case
cost on the budget) and completed when it settles, so a call whose process died
is still on the ledger, and the sweep can release what it held. Money is integer
micro-USD; an unknown cost is NULL, never 0.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Micros, new_id, utcnow


class CallOutcome(StrEnum):
    """How a call ended, from the product's point of view."""

    pending = "pending"  # admitted, in flight (its worst case is held on the budget)
    ok = "ok"
    failed = "failed"  # every provider failed, or the stream broke
    cancelled = "cancelled"  # the consumer stopped reading a stream
    capped = "capped"  # refused by the monthly cap or empty credits: no provider called
    rate_limited = "rate_limited"  # refused by the rate limit: no provider called
    cached = "cached"  # answered from the cache: no provider called
    rejected = "rejected"  # refused before any call (context too large, no route)


class UsageEvent(Base):
    """One model call (or refusal), with everything needed to re-derive its charge."""

    __tablename__ = "ai_usage_events"
    __table_args__ = (
        # A retried request (same key) returns the first result and is never charged twice.
        UniqueConstraint("workspace_id", "idempotency_key"),
        Index(None, "workspace_id", "created_at"),
        Index(None, "workspace_id", "user_id", "created_at"),
        Index(None, "workspace_id", "workflow", "created_at"),
        Index(None, "outcome", "created_at"),  # the sweep looks for old pending rows
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    environment: Mapped[str] = mapped_column(String(32))
    workflow: Mapped[str] = mapped_column(String(64))
    feature: Mapped[str | None] = mapped_column(String(64))
    provider: Mapped[str | None] = mapped_column(String(32))
    model: Mapped[str | None] = mapped_column(String(120))
    prompt_version: Mapped[str | None] = mapped_column(String(64))

    # Token counts are NULL when the usage is unknown.
    input_tokens: Mapped[int | None]
    output_tokens: Mapped[int | None]
    cached_input_tokens: Mapped[int | None]
    usage_source: Mapped[str] = mapped_column(String(16))
    latency_ms: Mapped[int | None]

    # What the provider charged for the answer (the last attempt), and for the failed
    # attempts before it; NULL when unknown.
    cost_micros: Mapped[Micros | None]
    retry_count: Mapped[int] = mapped_column(default=0)
    retry_cost_micros: Mapped[Micros | None]
    # What was settled against the cap and the credits: the known cost, or the
    # reserved worst case when the cost is unknown (never less than we may owe).
    settled_micros: Mapped[Micros] = mapped_column(default=0)
    # For cache hits: what the call would have cost at list price.
    saved_cost_micros: Mapped[Micros | None]
    # What was charged: "plan" (the tier's monthly allowance), "credits" (prepaid,
    # within the cap) or "overage" (hybrid billing past the cap: credits alone).
    funding: Mapped[str | None] = mapped_column(String(16))
    # The worst case held while the call was in flight, on the cap and on credits.
    held_micros: Mapped[Micros] = mapped_column(default=0)
    credit_held_micros: Mapped[Micros] = mapped_column(default=0)

    outcome: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(500))
    # Set later by product code: did the answer serve its purpose?
    usable: Mapped[bool | None]

    price_id: Mapped[str | None] = mapped_column(String(120))
    price_table_version: Mapped[str] = mapped_column(String(64))
    tier: Mapped[str] = mapped_column(String(64))
    entitlement: Mapped[dict[str, Any]]
    # Every provider attempt: provider, model, outcome, status, latency, cost.
    attempts: Mapped[list[dict[str, Any]] | None]

    # Bodies only when the spec's privacy.log_prompts is true.
    request_body: Mapped[list[dict[str, Any]] | None]
    response_body: Mapped[str | None] = mapped_column(Text)
    # The answer of a call made with an idempotency key, whatever log_prompts says: the
    # customer's own answer, kept for REPLAY_WINDOW so a retry gets it back, then cleared.
    replay_body: Mapped[str | None] = mapped_column(Text)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]


class BillingOutbox(Base):
    """Billable usage waiting to be reported (to Stripe), written with its ledger row."""

    __tablename__ = "billing_outbox"
    __table_args__ = (Index(None, "sent_at", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    usage_event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ai_usage_events.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # A push claims rows for a while (a lease), so concurrent pushes never send the
    # same row; a push that died leaves its claim to expire.
    claim_token: Mapped[str | None] = mapped_column(String(36))
    claimed_until: Mapped[datetime | None]


class UsageBudget(Base):
    """A workspace's spend in one cap period: the row the atomic reservation updates."""

    __tablename__ = "usage_budgets"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    period_start: Mapped[date] = mapped_column(primary_key=True)
    limit_micros: Mapped[Micros]
    spent_micros: Mapped[Micros] = mapped_column(default=0)
    reserved_micros: Mapped[Micros] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class UsageDaily(Base):
    """A user's spend on one workflow in one UTC day (for the soft daily cost)."""

    __tablename__ = "usage_daily"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    # The user's id as text ("" for workspace-level calls): part of the key.
    user_key: Mapped[str] = mapped_column(String(36), primary_key=True)
    workflow: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    spent_micros: Mapped[Micros] = mapped_column(default=0)


class UsageWarning(Base):
    """A soft threshold crossed: one row per threshold per scope per period."""

    __tablename__ = "usage_warnings"
    __table_args__ = (UniqueConstraint("workspace_id", "kind", "scope", "period", "threshold"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # "monthly_cost" or "daily_cost"
    scope: Mapped[str] = mapped_column(String(120))  # "workspace" or "user:<id>:<workflow>"
    period: Mapped[str] = mapped_column(String(10))  # "2026-11" or "2026-11-05"
    threshold: Mapped[str] = mapped_column(String(8))  # fraction of the limit, e.g. "0.75"
    used_micros: Mapped[Micros]
    limit_micros: Mapped[Micros]
    user_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
