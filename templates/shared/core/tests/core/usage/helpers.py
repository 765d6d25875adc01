"""Reading back what the usage layer wrote (always scoped to the test's workspace)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy import select

from app.core.catalog import DEFAULT_WORKFLOW
from app.models import BillingOutbox, CallOutcome, UsageBudget, UsageEvent, UsageWarning
from app.services.llm.types import ChatRequest, Message
from app.services.usage import CallContext, UsageService


def request(text: str = "Summarize: the quick brown fox.", max_output: int = 200) -> ChatRequest:
    return ChatRequest(messages=(Message("user", text),), max_output_tokens=max_output)


async def events(service: UsageService, workspace_id: uuid.UUID) -> list[UsageEvent]:
    async with service.db.tenant(workspace_id) as session:
        rows = await session.scalars(
            select(UsageEvent)
            .where(UsageEvent.workspace_id == workspace_id)
            .order_by(UsageEvent.created_at)
        )
        return list(rows.all())


async def rows(service: UsageService, workspace_id: uuid.UUID, model: Any) -> list[Any]:
    async with service.db.tenant(workspace_id) as session:
        result = await session.scalars(select(model).where(model.workspace_id == workspace_id))
        return list(result.all())


async def outbox(service: UsageService, workspace_id: uuid.UUID) -> list[BillingOutbox]:
    return await rows(service, workspace_id, BillingOutbox)


async def warnings(service: UsageService, workspace_id: uuid.UUID) -> list[UsageWarning]:
    return await rows(service, workspace_id, UsageWarning)


async def pending(service: UsageService, workspace_id: uuid.UUID) -> list[UsageEvent]:
    """Calls admitted and not settled (holding their worst case on the budget)."""
    return [e for e in await events(service, workspace_id) if e.outcome == CallOutcome.pending]


async def budget_row(service: UsageService, workspace_id: uuid.UUID) -> UsageBudget:
    (row,) = await rows(service, workspace_id, UsageBudget)
    assert isinstance(row, UsageBudget)
    return row


def with_key(ctx: CallContext, key: str) -> CallContext:
    return replace(ctx, idempotency_key=key)


__all__ = ["DEFAULT_WORKFLOW"]
