"""Attempt bookkeeping: one ``Attempt`` per call, and what each outcome does to a provider.

A 429 rests the key, running out of money rests the provider, a rejected key is
disabled; failures that say the provider is unhealthy feed its circuit breaker.
"""

from __future__ import annotations

import logging
import time
from decimal import Decimal

from app.core.catalog_types import ModelInfo
from app.services.llm.adapters.base import ErrorVerdict
from app.services.llm.http import TransportError, TransportTimeout
from app.services.llm.pricing import cost_usd
from app.services.llm.providers import Provider, Slot
from app.services.llm.settings import GatewaySettings
from app.services.llm.types import Attempt, AttemptOutcome, Usage, UsageSource

logger = logging.getLogger(__name__)

# Outcomes after which this provider's other keys are pointless for this request.
NEXT_PROVIDER = frozenset({AttemptOutcome.quota_exhausted, AttemptOutcome.route_error})
# Outcomes that say the provider itself is unhealthy (they feed its circuit breaker).
UNHEALTHY = frozenset(
    {
        AttemptOutcome.server_error,
        AttemptOutcome.timeout,
        AttemptOutcome.connection_error,
        AttemptOutcome.stream_cut,
    }
)


def elapsed_ms(started: float) -> float:
    """Milliseconds since ``started`` (a ``time.perf_counter()`` reading)."""
    return (time.perf_counter() - started) * 1000


def call_attempt(
    slot: Slot,
    outcome: AttemptOutcome,
    status: int | None,
    started: float,
    *,
    usage: Usage,
    error: str | None = None,
) -> Attempt:
    """The record of a call made through ``slot``, priced at its model's rates."""
    return Attempt(
        provider=slot.provider.name,
        model=slot.model.id,
        key_index=slot.key_index,
        outcome=outcome,
        status=status,
        latency_ms=elapsed_ms(started),
        usage=usage,
        cost_usd=cost_usd(usage, slot.model.price),
        error=error,
    )


def skipped_attempt(
    provider: Provider, model: ModelInfo, outcome: AttemptOutcome, why: str
) -> Attempt:
    """The record of a provider passed over without a call: no spend, no latency."""
    logger.debug("LLM provider %s skipped for %s: %s", provider.name, model.id, why)
    return Attempt(
        provider=provider.name,
        model=model.id,
        key_index=None,
        outcome=outcome,
        status=None,
        latency_ms=0.0,
        usage=Usage(source=UsageSource.reported),
        cost_usd=Decimal(0),  # nothing was called, so nothing was spent
        error=why,
        skipped=True,
    )


def transport_failure(slot: Slot, started: float, exc: TransportError) -> Attempt:
    """Record a call that got no answer (timeout, connection error) and mark the provider."""
    slot.provider.breaker.record_failure()
    outcome = (
        AttemptOutcome.timeout
        if isinstance(exc, TransportTimeout)
        else AttemptOutcome.connection_error
    )
    # A request that reached the provider may have been processed (and billed):
    # its usage is unknown. One that never left costs nothing.
    usage = Usage() if exc.sent else Usage(source=UsageSource.reported)
    logger.warning("LLM call to %s failed: %s", slot.describe(), exc)
    return call_attempt(slot, outcome, None, started, usage=usage, error=str(exc))


def rejection(
    slot: Slot, status: int, started: float, verdict: ErrorVerdict, settings: GatewaySettings
) -> Attempt:
    """Record an error answer and apply its consequences to the key and provider."""
    provider, outcome = slot.provider, verdict.outcome
    if outcome is AttemptOutcome.rate_limited:
        seconds = verdict.retry_after or settings.rate_limit_cooldown_seconds
        provider.keys.cool_down(slot.key_index, min(seconds, settings.max_retry_after_seconds))
    elif outcome is AttemptOutcome.quota_exhausted:
        provider.keys.back_off(settings.quota_backoff_seconds)
        logger.warning(
            "LLM provider %s is out of money or quota (HTTP %d: %s); backing off %.0f s",
            provider.name,
            status,
            verdict.message,
            settings.quota_backoff_seconds,
        )
    elif outcome is AttemptOutcome.auth_failed and provider.keys.disable(slot.key_index):
        logger.error(
            "LLM provider %s rejected key #%d (HTTP %d: %s); it is disabled until restart",
            provider.name,
            slot.key_index,
            status,
            verdict.message,
        )
    if outcome in UNHEALTHY:
        provider.breaker.record_failure()
    else:  # any other answer shows the provider is up
        provider.breaker.record_success()
    if outcome not in (AttemptOutcome.auth_failed, AttemptOutcome.quota_exhausted):
        logger.warning(
            "LLM call to %s failed: HTTP %d %s: %s",
            slot.describe(),
            status,
            outcome.value,
            verdict.message,
        )
    # Error answers are not billed.
    usage = Usage(source=UsageSource.reported)
    return call_attempt(slot, outcome, status, started, usage=usage, error=verdict.message)
