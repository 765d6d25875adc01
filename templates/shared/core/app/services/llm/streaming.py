"""Streamed calls: relay deltas, fail over before the first text, settle however it ends.

A stream fails over only while nothing has reached the consumer; after that a
broken upstream is an explicit ``StreamInterrupted``. When the consumer leaves
early (closing the stream, a cancelled task, a client gone) the upstream request is
closed at once and the call is settled with what is known, estimated where the
provider sent nothing, so the ledger still bills it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field

from app.services.llm.adapters.base import ProtocolViolation, StreamParser
from app.services.llm.attempts import call_attempt, rejection, transport_failure
from app.services.llm.cascade import Cascade
from app.services.llm.errors import StreamInterrupted
from app.services.llm.http import TransportError, TransportTimeout
from app.services.llm.providers import Slot
from app.services.llm.results import build_result, finish
from app.services.llm.settings import GatewaySettings
from app.services.llm.sse import SseDecoder
from app.services.llm.transport import HttpTransport, StreamingResponse
from app.services.llm.types import (
    Attempt,
    AttemptOutcome,
    ChatRequest,
    ChatResult,
    ChatStream,
    StreamEnd,
    StreamEvent,
    TextDelta,
    Usage,
    UsageSource,
)

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _InFlight:
    """The streamed call under way, so a consumer that leaves can still be billed right."""

    slot: Slot
    started: float
    parser: StreamParser | None = None
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts)


async def stream_events(
    out: ChatStream,
    request: ChatRequest,
    cascade: Cascade,
    transport: HttpTransport,
    settings: GatewaySettings,
) -> AsyncGenerator[StreamEvent, None]:
    """The events of one streamed chat along ``cascade``; fills in ``out.result``."""
    inflight: _InFlight | None = None
    try:
        for slot in cascade:
            inflight = _InFlight(slot, time.perf_counter())
            opened = await _open(inflight, request, transport, settings)
            if isinstance(opened, Attempt):
                inflight = None
                cascade.failed(opened)
                continue
            parser = inflight.parser = slot.provider.adapter.stream_parser()
            decoder = SseDecoder()
            outcome, error = AttemptOutcome.ok, None
            try:
                while chunk := await opened.next_chunk():
                    for event in decoder.feed(chunk):
                        if delta := parser.feed(event):
                            inflight.parts.append(delta)
                            yield TextDelta(delta)
                    if parser.error:
                        break
            except (TransportError, ProtocolViolation) as exc:
                outcome, error = _broken(exc)
            finally:
                # Runs first on every exit, including a consumer that went away:
                # the upstream request is closed at once.
                await opened.aclose()
            text, attempt = inflight.text, _conclude(inflight, parser, outcome, error, cascade)
            inflight = None
            if attempt.outcome is AttemptOutcome.ok:
                decision = cascade.route.decision
                out.result = finish(text, parser.finish_reason, attempt, cascade.attempts, decision)
                yield StreamEnd(out.result)
                return
            if text:  # text reached the consumer: no failover, an explicit error
                out.result = _partial(text, attempt, cascade)
                raise _interruption(attempt, cascade)
            # Nothing was delivered yet: on to the next call, as if this one had failed.
        raise cascade.all_failed()
    except Exception:
        # Our own errors (GatewayError) and bugs propagate as they are.
        if inflight is not None:
            inflight.slot.provider.breaker.release()
        raise
    except BaseException:
        # The consumer stopped early: settle what we know.
        if out.result is None:
            out.result = _settle_cancelled(inflight, cascade)
        raise


async def _open(
    inflight: _InFlight, request: ChatRequest, transport: HttpTransport, settings: GatewaySettings
) -> StreamingResponse | Attempt:
    """The upstream stream, or the failed attempt when the provider did not accept it."""
    slot = inflight.slot
    wire = slot.build(request, stream=True)
    try:
        upstream = await transport.open_stream(wire.url, wire.body, wire.headers)
    except TransportError as exc:
        return transport_failure(slot, inflight.started, exc)
    if upstream.status == 200:
        return upstream
    try:
        body = await upstream.read()
    except TransportError:
        body = b""
    finally:
        await upstream.aclose()
    verdict = slot.provider.adapter.classify(upstream.status, upstream.headers, body)
    return rejection(slot, upstream.status, inflight.started, verdict, settings)


def _broken(exc: TransportError | ProtocolViolation) -> tuple[AttemptOutcome, str]:
    """How a stream that raised ``exc`` ended."""
    if isinstance(exc, TransportTimeout):
        return AttemptOutcome.timeout, str(exc)
    return AttemptOutcome.stream_cut, str(exc)


def _conclude(
    inflight: _InFlight,
    parser: StreamParser,
    outcome: AttemptOutcome,
    error: str | None,
    cascade: Cascade,
) -> Attempt:
    """The attempt of a stream that ended; tells the provider's breaker how it went."""
    if outcome is AttemptOutcome.ok and parser.error:
        outcome, error = AttemptOutcome.stream_cut, parser.error
    elif outcome is AttemptOutcome.ok and not (parser.done or parser.finish_reason):
        outcome = AttemptOutcome.stream_cut
        error = "the upstream ended the stream before its end marker"
    slot, text = inflight.slot, inflight.text
    usage = parser.usage(cascade.route.input_tokens, text)
    attempt = call_attempt(slot, outcome, 200, inflight.started, usage=usage, error=error)
    if outcome is AttemptOutcome.ok:
        slot.provider.breaker.record_success()
        cascade.succeeded(attempt)
    else:
        slot.provider.breaker.record_failure()
        logger.warning("LLM stream from %s broke: %s", slot.describe(), error)
        cascade.failed(attempt)  # a stream cut is never the request's fault: no raise
    return attempt


def _partial(text: str, attempt: Attempt, cascade: Cascade) -> ChatResult:
    """What a stream that broke mid-answer delivered (``finish_reason="error"``)."""
    return build_result(
        text,
        routing=cascade.route.decision,
        finish_reason="error",
        answered_by=attempt,
        attempts=cascade.attempts,
    )


def _interruption(attempt: Attempt, cascade: Cascade) -> StreamInterrupted:
    """The error for a stream that broke after text reached the consumer."""
    return StreamInterrupted(
        f"the {attempt.provider} stream broke mid-answer: {attempt.error}",
        attempts=tuple(cascade.attempts),
        routing=cascade.route.decision,
    )


def _settle_cancelled(inflight: _InFlight | None, cascade: Cascade) -> ChatResult:
    """The result of a stream the consumer left, with estimates where nothing was reported."""
    route, attempts = cascade.route, cascade.attempts
    if inflight is None:  # between calls: nothing in flight
        result = build_result(
            "",
            routing=route.decision,
            finish_reason="cancelled",
            attempts=attempts,
            model=route.models[0].id,
            provider=attempts[-1].provider if attempts else "",
        )
    else:
        inflight.slot.provider.breaker.release()
        attempt = _cancelled_attempt(inflight, route.input_tokens)
        attempts.append(attempt)
        result = build_result(
            inflight.text,
            routing=route.decision,
            finish_reason="cancelled",
            answered_by=attempt,
            attempts=attempts,
        )
    logger.info(
        "LLM stream cancelled by the consumer after %d chars (%s, %s): usage %s/%s tokens (%s)",
        len(result.text),
        result.provider,
        result.model,
        result.usage.input_tokens,
        result.usage.output_tokens,
        result.usage.source.value,
    )
    return result


def _cancelled_attempt(inflight: _InFlight, input_tokens: int) -> Attempt:
    """The attempt of the call in flight when the consumer left."""
    status: int | None = None
    if inflight.parser is not None:
        usage, status = inflight.parser.usage(input_tokens, inflight.text), 200
    else:  # the request may have reached the provider: count its input
        usage = Usage(input_tokens=input_tokens, source=UsageSource.estimated)
    return call_attempt(
        inflight.slot,
        AttemptOutcome.cancelled,
        status,
        inflight.started,
        usage=usage,
        error="the consumer stopped reading",
    )
