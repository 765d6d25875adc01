"""Idempotent replays: a key that already produced an answer gets that answer back."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from app.models import CallOutcome
from app.services.llm.types import StreamEnd, StreamEvent, TextDelta
from app.services.usage import ledger
from app.services.usage.errors import ReplayExpired, RequestInProgress
from app.services.usage.ledger import CallFacts
from app.services.usage.money import to_usd
from app.services.usage.outcome import UsageOutcome
from app.services.usage.tenancy import TenantDatabase


async def find_replay(db: TenantDatabase, facts: CallFacts) -> UsageOutcome | None:
    """The first call's outcome when the key was used; refused while it is in flight,
    and once its answer is no longer kept (never an empty success)."""
    if facts.idempotency_key is None:
        return None
    async with db.tenant(facts.workspace_id) as session:
        event = await ledger.find_by_key(session, facts.workspace_id, facts.idempotency_key)
    if event is None:
        return None
    if event.outcome == CallOutcome.pending:
        raise RequestInProgress(facts.idempotency_key)
    text = ledger.replay_text(event)
    if text is None:  # the client retries with a new key
        raise ReplayExpired(facts.idempotency_key)
    return UsageOutcome(
        event_id=event.id,
        outcome=CallOutcome(event.outcome),
        result=ledger.result_from_event(event, text),
        settled_usd=to_usd(event.settled_micros),
        replayed=True,
    )


async def replayed_events(outcome: UsageOutcome) -> AsyncGenerator[StreamEvent, None]:
    """An earlier call's answer as a stream."""
    if outcome.result.text:
        yield TextDelta(outcome.result.text)
    yield StreamEnd(outcome.result)
