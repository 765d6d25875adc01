"""Non-streamed calls: walk the cascade until a provider answers."""

from __future__ import annotations

import time

from app.services.llm.adapters.base import Completion, ProtocolViolation
from app.services.llm.attempts import call_attempt, rejection, transport_failure
from app.services.llm.cascade import Cascade
from app.services.llm.http import TransportError
from app.services.llm.pricing import estimate_tokens
from app.services.llm.providers import Slot
from app.services.llm.results import finish
from app.services.llm.settings import GatewaySettings
from app.services.llm.transport import HttpTransport
from app.services.llm.types import (
    Attempt,
    AttemptOutcome,
    ChatRequest,
    ChatResult,
    Usage,
    UsageSource,
)


async def complete(
    cascade: Cascade, request: ChatRequest, transport: HttpTransport, settings: GatewaySettings
) -> ChatResult:
    """The first answer along ``cascade``; raises ``GatewayError`` when none comes."""
    for slot in cascade:
        attempt, completion = await _call(slot, request, cascade, transport, settings)
        if completion is None:
            cascade.failed(attempt)
            continue
        cascade.succeeded(attempt)
        return finish(
            completion.text,
            completion.finish_reason,
            attempt,
            cascade.attempts,
            cascade.route.decision,
        )
    raise cascade.all_failed()


async def _call(
    slot: Slot,
    request: ChatRequest,
    cascade: Cascade,
    transport: HttpTransport,
    settings: GatewaySettings,
) -> tuple[Attempt, Completion | None]:
    """One call through ``slot``: its attempt, and the completion when it answered."""
    wire = slot.build(request, stream=False)
    started = time.perf_counter()
    breaker = slot.provider.breaker
    try:
        response = await transport.post(wire.url, wire.body, wire.headers)
    except TransportError as exc:
        return transport_failure(slot, started, exc), None
    except BaseException:
        breaker.release()  # cancelled: no verdict on the provider's health
        raise
    if response.status != 200:
        verdict = slot.provider.adapter.classify(response.status, response.headers, response.body)
        return rejection(slot, response.status, started, verdict, settings), None
    try:
        completion = slot.provider.adapter.parse(response.body)
    except ProtocolViolation as exc:
        breaker.record_failure()
        outcome = AttemptOutcome.server_error
        return call_attempt(slot, outcome, 200, started, usage=Usage(), error=str(exc)), None
    breaker.record_success()
    usage = completion.usage or Usage(
        input_tokens=cascade.route.input_tokens,
        output_tokens=estimate_tokens(completion.text),
        source=UsageSource.estimated,  # the provider sent no usage
    )
    return call_attempt(slot, AttemptOutcome.ok, 200, started, usage=usage), completion
