"""Writing and reading ``ai_usage_events`` rows and their billing-outbox rows.

A metered call opens its row when admitted (outcome ``pending``) and closes it
when it settles; a refusal or a cache hit writes its row in one go. The hot path
uses prebuilt Core statements on the tables (no ORM unit of work): one statement
per row, in the caller's transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
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
from app.services.llm.results import build_result
from app.services.usage.entitlements import Entitlement
from app.services.usage.money import to_micros, to_micros_or_none, to_usd

# Outcomes the customer is billed for: the billing outbox gets a row for each.
BILLABLE = frozenset({CallOutcome.ok, CallOutcome.cached, CallOutcome.cancelled})
# The error code the sweep closes a call's row with when its process died mid-call.
ABANDONED = "abandoned"
# Outcomes whose idempotency key is kept: a retry returns them instead of calling again.
# Refusals and failures release the key, so a retry after them is a new attempt.
KEEPS_KEY = BILLABLE
# How long the answer of a call made with an idempotency key is kept for a retry
# (``replay_body``; the sweep clears it afterwards, as Stripe keeps its replays 24 h).
REPLAY_WINDOW = timedelta(hours=24)

_EVENTS = cast(Table, UsageEvent.__table__)
_OUTBOX = cast(Table, BillingOutbox.__table__)

# What settling fills in on the row opened at admission.
_CLOSING = (
    "idempotency_key",
    "provider",
    "model",
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "usage_source",
    "latency_ms",
    "cost_micros",
    "retry_count",
    "retry_cost_micros",
    "settled_micros",
    "saved_cost_micros",
    "funding",
    "outcome",
    "error_code",
    "error",
    "price_id",
    "attempts",
    "response_body",
    "replay_body",
    "completed_at",
)
_THIS_ROW = (
    _EVENTS.c.id == bindparam("row_id"),
    _EVENTS.c.workspace_id == bindparam("row_workspace_id"),
)
_CLOSE = (
    update(_EVENTS)
    .where(*_THIS_ROW, _EVENTS.c.outcome == CallOutcome.pending.value)
    .values({name: bindparam(f"v_{name}") for name in _CLOSING})
)
# The same, for a row the sweep already closed as abandoned (the call was slow, not dead).
_CLOSE_SWEPT = (
    update(_EVENTS)
    .where(
        *_THIS_ROW,
        _EVENTS.c.outcome == CallOutcome.failed.value,
        _EVENTS.c.error_code == ABANDONED,
    )
    .values({name: bindparam(f"v_{name}") for name in _CLOSING})
)
_EXISTS = select(_EVENTS.c.id).where(*_THIS_ROW)


class Closing(Enum):
    """What closing a call's row found (and so what settling it still has to do)."""

    HELD = "held"  # the row was pending: release the call's holds, charge its cost
    SWEPT = "swept"  # the sweep had closed it and released the holds: charge the cost only
    SETTLED = "settled"  # already settled (a second settlement): nothing to do


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
        "skipped": attempt.skipped,
        "error": attempt.error,
    }


def opening_values(
    facts: CallFacts, *, log_prompts: bool, funding: str | None, held: int, credit_held: int
) -> dict[str, Any]:
    """The row of a call as it is admitted (outcome ``pending``)."""
    return {
        "id": facts.event_id,
        "workspace_id": facts.workspace_id,
        "user_id": facts.user_id,
        "idempotency_key": facts.idempotency_key,
        "environment": facts.environment,
        "workflow": facts.workflow.name,
        "feature": facts.feature,
        "provider": None,
        "model": None,
        "prompt_version": facts.prompt_version,
        "input_tokens": None,
        "output_tokens": None,
        "cached_input_tokens": None,
        "usage_source": UsageSource.unknown.value,
        "latency_ms": None,
        "cost_micros": None,
        "retry_count": 0,
        "retry_cost_micros": None,
        "settled_micros": 0,
        "saved_cost_micros": None,
        "funding": funding,
        "held_micros": held,
        "credit_held_micros": credit_held,
        "outcome": CallOutcome.pending.value,
        "error_code": None,
        "error": None,
        "usable": None,
        "price_id": None,
        "price_table_version": facts.entitlement.price_table_version,
        "tier": facts.entitlement.tier,
        "entitlement": facts.entitlement.to_json(),
        "attempts": None,
        "request_body": (
            [{"role": m.role, "content": m.content} for m in facts.request.messages]
            if log_prompts
            else None
        ),
        "response_body": None,
        "replay_body": None,
        "created_at": facts.started_at,
        "completed_at": None,
    }


def closing_values(
    facts: CallFacts, result: CallResult, *, log_prompts: bool, now: datetime
) -> dict[str, Any]:
    """What the call's outcome adds to its row."""
    known = result.usage.source is not UsageSource.unknown
    model = MODELS.get(result.model) if result.model else None
    keeps_key = result.outcome in KEEPS_KEY
    return {
        "idempotency_key": facts.idempotency_key if keeps_key else None,
        "provider": result.provider or None,
        "model": result.model or None,
        "input_tokens": result.usage.input_tokens if known else None,
        "output_tokens": result.usage.output_tokens if known else None,
        "cached_input_tokens": result.usage.cached_input_tokens if known else None,
        "usage_source": result.usage.source.value,
        "latency_ms": None if result.latency_ms is None else round(result.latency_ms),
        "cost_micros": to_micros_or_none(result.cost_usd),
        "retry_count": result.retry_count,
        "retry_cost_micros": to_micros_or_none(result.retry_cost_usd),
        "settled_micros": result.settled_micros,
        "saved_cost_micros": to_micros_or_none(result.saved_cost_usd),
        "funding": result.funding,
        "outcome": result.outcome.value,
        "error_code": result.error_code,
        "error": None if result.error is None else result.error[:500],
        "price_id": model.price.price_id if model else None,
        "attempts": [attempt_json(a) for a in result.attempts] or None,
        "response_body": result.text if log_prompts else None,
        # Kept for idempotent replays (see REPLAY_WINDOW), prompt logging or not.
        "replay_body": result.text if keeps_key and facts.idempotency_key else None,
        "completed_at": now,
    }


def outbox_values(facts: CallFacts, row: dict[str, Any]) -> dict[str, Any]:
    """The billing-outbox row for a billable call (the Stripe drain reads ``payload``)."""
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
            # A unit is an answer delivered; a cancelled stream bills its cost only.
            "units": 1 if row["outcome"] in (CallOutcome.ok, CallOutcome.cached) else 0,
            "outcome": row["outcome"],
            "tier": facts.entitlement.tier,
            "stripe_price_id": facts.entitlement.stripe_price_id,
            "cost_micros": row["cost_micros"],
            "settled_micros": row["settled_micros"],
            "funding": row["funding"],
            "occurred_at": facts.started_at.isoformat(),
        },
        "created_at": row["completed_at"],
        "sent_at": None,
        "attempts": 0,
        "last_error": None,
    }


async def open_call(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert an admitted call's row (``opening_values``)."""
    await session.execute(insert(_EVENTS), values)


async def close_call(
    session: AsyncSession, facts: CallFacts, result: CallResult, *, log_prompts: bool, now: datetime
) -> Closing:
    """Complete an admitted call's row, and add its outbox row when billable.

    Idempotent per row: a row already settled is left alone (``Closing.SETTLED``).
    A row the sweep closed as abandoned gets the real outcome all the same
    (``Closing.SWEPT``: its holds are already released). A row that went missing
    (a restored backup, a manual cleanup) is written whole.
    """
    values = closing_values(facts, result, log_prompts=log_prompts, now=now)
    params = {f"v_{name}": value for name, value in values.items()}
    ids = {"row_id": facts.event_id, "row_workspace_id": facts.workspace_id}
    closing = Closing.HELD
    if not (await session.execute(_CLOSE, params | ids)).rowcount:  # type: ignore[attr-defined]
        if (await session.execute(_CLOSE_SWEPT, params | ids)).rowcount:  # type: ignore[attr-defined]
            closing = Closing.SWEPT
        elif (await session.execute(_EXISTS, ids)).first() is not None:
            return Closing.SETTLED
        else:
            opening = opening_values(
                facts, log_prompts=log_prompts, funding=None, held=0, credit_held=0
            )
            await session.execute(insert(_EVENTS), {**opening, **values})
    if result.outcome in BILLABLE:
        await session.execute(insert(_OUTBOX), outbox_values(facts, values))
    return closing


async def write(
    session: AsyncSession, facts: CallFacts, result: CallResult, *, log_prompts: bool, now: datetime
) -> None:
    """Write a call's complete row in one go (refusals, cache hits), with its outbox row."""
    values = {
        **opening_values(facts, log_prompts=log_prompts, funding=None, held=0, credit_held=0),
        **closing_values(facts, result, log_prompts=log_prompts, now=now),
    }
    await session.execute(insert(_EVENTS), values)
    if result.outcome in BILLABLE:
        await session.execute(insert(_OUTBOX), outbox_values(facts, values))


async def find_by_key(
    session: AsyncSession, workspace_id: uuid.UUID, idempotency_key: str
) -> UsageEvent | None:
    """The call that holds ``idempotency_key`` in this workspace, if any."""
    return await session.scalar(
        select(UsageEvent).where(
            UsageEvent.workspace_id == workspace_id,
            UsageEvent.idempotency_key == idempotency_key,
        )
    )


async def mark_usable(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    event_id: uuid.UUID,
    usable: bool,
    *,
    user_id: uuid.UUID | None = None,
) -> bool:
    """Record whether a call's answer served its purpose; False when no such call
    (of ``user_id``, when given)."""
    query = update(UsageEvent).where(
        UsageEvent.workspace_id == workspace_id, UsageEvent.id == event_id
    )
    if user_id is not None:
        query = query.where(UsageEvent.user_id == user_id)
    result = await session.execute(
        query.values(usable=usable).execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def replay_text(event: UsageEvent) -> str | None:
    """A past call's answer, while it is kept (None once ``REPLAY_WINDOW`` has passed)."""
    return event.replay_body if event.replay_body is not None else event.response_body


def result_from_event(event: UsageEvent, text: str) -> ChatResult:
    """A past call as a gateway result, for idempotent replays."""
    usage = Usage(
        input_tokens=event.input_tokens or 0,
        output_tokens=event.output_tokens or 0,
        cached_input_tokens=event.cached_input_tokens or 0,
        source=UsageSource(event.usage_source),
    )
    return build_result(
        text,
        routing=RoutingDecision(strategy="replay", candidates=()),
        finish_reason=None,
        model=event.model or "",
        provider=event.provider or "",
        recorded=(usage, None if event.cost_micros is None else to_usd(event.cost_micros)),
    )


def micros_of(value: Decimal | None) -> int:
    """Known cost in micro-USD, unknown as 0 (for sums where unknown cannot block)."""
    return 0 if value is None else to_micros(value)
