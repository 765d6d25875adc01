"""Writing and reading ``ai_usage_events`` rows and their billing-outbox rows.

Rows are written with Core inserts (no ORM unit of work) on the hot path: one
statement per row, in the caller's transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.catalog import MODELS
from app.core.catalog_types import WorkflowInfo
from app.models import BillingOutbox, CallOutcome, UsageEvent
from app.services.llm.types import (
    Attempt,
    ChatRequest,
    ChatResult,
    RoutingDecision,
    Usage,
    UsageSource,
)
from app.services.usage.entitlements import Entitlement
from app.services.usage.money import to_micros, to_micros_or_none, to_usd

# Outcomes the customer is billed for: the billing outbox gets a row for each.
BILLABLE = frozenset({CallOutcome.ok, CallOutcome.cached, CallOutcome.cancelled})
# Outcomes whose idempotency key is kept: a retry returns them instead of calling again.
# Refusals and failures release the key, so a retry after them is a new attempt.
KEEPS_KEY = BILLABLE


@dataclass(frozen=True, slots=True)
class CallFacts:
    """Who called, for what, under which terms (the part of a row known up front)."""

    event_id: uuid.UUID
    workspace_id: uuid.UUID
    user_id: uuid.UUID | None
    workflow: WorkflowInfo
    feature: str | None
    prompt_version: str | None
    idempotency_key: str | None
    entitlement: Entitlement
    environment: str
    request: ChatRequest
    started_at: datetime


@dataclass(frozen=True, slots=True)
class CallResult:
    """How the call went (the part of a row known at the end)."""

    outcome: CallOutcome
    settled_micros: int = 0
    funding: str | None = None
    provider: str | None = None
    model: str | None = None
    usage: Usage = field(default_factory=Usage)
    cost_usd: Decimal | None = None
    retry_count: int = 0
    retry_cost_usd: Decimal | None = Decimal(0)
    saved_cost_usd: Decimal | None = None
    latency_ms: float | None = None
    attempts: tuple[Attempt, ...] = ()
    error_code: str | None = None
    error: str | None = None
    text: str | None = None


def attempt_json(attempt: Attempt) -> dict[str, Any]:
    """One provider attempt as stored on the row (no keys, no payloads)."""
    return {
        "provider": attempt.provider,
        "model": attempt.model,
        "key_index": attempt.key_index,
        "outcome": str(attempt.outcome),
        "status": attempt.status,
        "latency_ms": round(attempt.latency_ms, 1),
        "cost_micros": to_micros_or_none(attempt.cost_usd),
        "error": attempt.error,
    }


def event_values(
    facts: CallFacts, result: CallResult, *, log_prompts: bool, completed_at: datetime
) -> dict[str, Any]:
    """The complete ``ai_usage_events`` row for one call."""
    known = result.usage.source is not UsageSource.unknown
    model = MODELS.get(result.model) if result.model else None
    return {
        "id": facts.event_id,
        "workspace_id": facts.workspace_id,
        "user_id": facts.user_id,
        "idempotency_key": facts.idempotency_key if result.outcome in KEEPS_KEY else None,
        "environment": facts.environment,
        "workflow": facts.workflow.name,
        "feature": facts.feature,
        "provider": result.provider,
        "model": result.model,
        "prompt_version": facts.prompt_version,
        "input_tokens": result.usage.input_tokens if known else None,
        "output_tokens": result.usage.output_tokens if known else None,
        "cached_input_tokens": result.usage.cached_input_tokens if known else None,
        "usage_source": str(result.usage.source),
        "latency_ms": None if result.latency_ms is None else round(result.latency_ms),
        "cost_micros": to_micros_or_none(result.cost_usd),
        "retry_count": result.retry_count,
        "retry_cost_micros": to_micros_or_none(result.retry_cost_usd),
        "settled_micros": result.settled_micros,
        "saved_cost_micros": to_micros_or_none(result.saved_cost_usd),
        "funding": result.funding,
        "outcome": str(result.outcome),
        "error_code": result.error_code,
        "error": None if result.error is None else result.error[:500],
        "usable": None,
        "price_id": model.price.price_id if model else None,
        "price_table_version": facts.entitlement.price_table_version,
        "tier": facts.entitlement.tier,
        "entitlement": facts.entitlement.to_json(),
        "attempts": [attempt_json(a) for a in result.attempts] or None,
        "request_body": (
            [{"role": m.role, "content": m.content} for m in facts.request.messages]
            if log_prompts
            else None
        ),
        "response_body": result.text if log_prompts else None,
        "created_at": facts.started_at,
        "completed_at": completed_at,
    }


def outbox_values(facts: CallFacts, row: dict[str, Any]) -> dict[str, Any]:
    """The billing-outbox row for a billable call (the Stripe drain reads ``payload``)."""
    billable_unit = row["outcome"] in (CallOutcome.ok, CallOutcome.cached)
    return {
        "id": uuid.uuid4(),
        "workspace_id": facts.workspace_id,
        "usage_event_id": facts.event_id,
        "kind": "usage",
        "payload": {
            "event_id": str(facts.event_id),
            "workspace_id": str(facts.workspace_id),
            "user_id": None if facts.user_id is None else str(facts.user_id),
            "workflow": facts.workflow.name,
            "unit": facts.workflow.unit,
            "units": 1 if billable_unit else 0,
            "outcome": row["outcome"],
            "tier": facts.entitlement.tier,
            "stripe_price_id": facts.entitlement.stripe_price_id,
            "cost_micros": row["cost_micros"],
            "settled_micros": row["settled_micros"],
            "funding": row["funding"],
            "occurred_at": facts.started_at.isoformat(),
        },
        "created_at": row["completed_at"],
        "attempts": 0,
    }


async def write(
    session: AsyncSession, facts: CallFacts, result: CallResult, *, log_prompts: bool, now: datetime
) -> dict[str, Any]:
    """Insert the call's ledger row, and its outbox row when billable (same transaction)."""
    row = event_values(facts, result, log_prompts=log_prompts, completed_at=now)
    await session.execute(insert(UsageEvent), [row])
    if result.outcome in BILLABLE:
        await session.execute(insert(BillingOutbox), [outbox_values(facts, row)])
    return row


async def find_by_key(
    session: AsyncSession, workspace_id: uuid.UUID, idempotency_key: str
) -> UsageEvent | None:
    """The call that already used ``idempotency_key`` in this workspace, if any."""
    return await session.scalar(
        select(UsageEvent).where(
            UsageEvent.workspace_id == workspace_id,
            UsageEvent.idempotency_key == idempotency_key,
        )
    )


async def mark_usable(
    session: AsyncSession, workspace_id: uuid.UUID, event_id: uuid.UUID, usable: bool
) -> bool:
    """Record whether a call's answer served its purpose; False when no such call."""
    result = await session.execute(
        update(UsageEvent)
        .where(UsageEvent.workspace_id == workspace_id, UsageEvent.id == event_id)
        .values(usable=usable)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def result_from_event(event: UsageEvent) -> ChatResult:
    """A past call as a gateway result, for idempotent replays.

    The text is there only when bodies are stored (``privacy.log_prompts``);
    otherwise it is empty and the caller gets the recorded facts alone.
    """
    known = event.usage_source != UsageSource.unknown
    return ChatResult(
        text=event.response_body or "",
        model=event.model or "",
        provider=event.provider or "",
        usage=Usage(
            input_tokens=event.input_tokens or 0,
            output_tokens=event.output_tokens or 0,
            cached_input_tokens=event.cached_input_tokens or 0,
            source=UsageSource(event.usage_source) if known else UsageSource.unknown,
        ),
        cost_usd=None if event.cost_micros is None else to_usd(event.cost_micros),
        attempts=(),
        routing=RoutingDecision(strategy="replay", candidates=()),
    )


def micros_of(value: Decimal | None) -> int:
    """Known cost in micro-USD, unknown as 0 (for sums where unknown cannot block)."""
    return 0 if value is None else to_micros(value)
