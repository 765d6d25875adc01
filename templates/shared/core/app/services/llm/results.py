"""``ChatResult`` is built here and only here: provider answers, the local provider,
cache hits, replays and streams closed before any call all describe themselves the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal

from app.services.llm.types import Attempt, ChatResult, RoutingDecision, Usage, UsageSource

logger = logging.getLogger(__name__)


def build_result(
    text: str,
    *,
    routing: RoutingDecision,
    finish_reason: str | None,
    answered_by: Attempt | None = None,
    attempts: Sequence[Attempt] = (),
    model: str = "",
    provider: str = "",
    local: bool = False,
    recorded: tuple[Usage, Decimal | None] | None = None,
) -> ChatResult:
    """A gateway result for ``text``.

    With ``answered_by`` (the last attempt, successful or the one cut short), the
    model, provider, usage and cost are that attempt's. Without it no provider was
    called: no usage and no cost, under the ``model`` and ``provider`` given (a
    cache hit names the cache; a stream closed before any call names nothing), unless
    ``recorded`` gives the usage and cost stored for a past call (an idempotent replay).
    """
    if answered_by is not None:
        model, provider = answered_by.model, answered_by.provider
        usage, cost = answered_by.usage, answered_by.cost_usd
    elif recorded is not None:
        usage, cost = recorded
    else:
        usage, cost = Usage(source=UsageSource.reported), Decimal(0)
    return ChatResult(
        text=text,
        model=model,
        provider=provider,
        usage=usage,
        cost_usd=cost,
        attempts=tuple(attempts),
        routing=routing,
        finish_reason=finish_reason,
        local=local,
    )


def finish(
    text: str,
    finish_reason: str | None,
    attempt: Attempt,
    attempts: Sequence[Attempt],
    routing: RoutingDecision,
) -> ChatResult:
    """The result of a provider call that answered, logged once at INFO."""
    result = build_result(
        text, routing=routing, finish_reason=finish_reason, answered_by=attempt, attempts=attempts
    )
    logger.info(
        "LLM call ok: %s via %s (key #%s) %d+%d tokens (%s), $%s, %.0f ms, %d retries",
        result.model,
        result.provider,
        attempt.key_index,
        result.usage.input_tokens,
        result.usage.output_tokens,
        result.usage.source.value,
        result.cost_usd,
        attempt.latency_ms,
        result.retries,
    )
    return result
