"""Streaming through the real gateway, for all three wire formats: deltas, usage at the
end, a consumer that leaves early, an upstream cut mid-stream, failover before the
first byte only."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.core.flavour import sleep
from app.services.llm.errors import AllProvidersFailed, RequestRejected, StreamInterrupted
from app.services.llm.types import (
    AttemptOutcome,
    ChatStream,
    StreamEnd,
    TextDelta,
    UsageSource,
)
from tests.core.llm.conftest import REQUEST, WORKFLOW, MakeGateway, all_models_tier
from tests.fakes.upstream import Answer, FakeUpstream, Failure

TIER = all_models_tier()
WIRES = ["openai", "anthropic", "google"]
CHUNKS = ("The ", "quick ", "brown ", "fox ", "jumps.")


@pytest.fixture
def fakes(
    openai_fake: FakeUpstream, anthropic_fake: FakeUpstream, gemini_fake: FakeUpstream
) -> dict[str, FakeUpstream]:
    return {"openai": openai_fake, "anthropic": anthropic_fake, "google": gemini_fake}


async def _collect(stream: ChatStream) -> list[TextDelta | StreamEnd]:
    return [event async for event in stream]


async def _disconnected(fake: FakeUpstream, within: float = 2.0) -> bool:
    """Wait (without blocking the event loop) until the fake sees the client go away."""
    for _ in range(int(within / 0.01)):
        if fake.disconnected.is_set():
            return True
        await sleep(0.01)
    return False


@pytest.mark.parametrize("provider", WIRES)
async def test_deltas_then_one_end_with_usage_reported_at_stream_end(
    provider: str, fakes: dict[str, FakeUpstream], make_gateway: MakeGateway
) -> None:
    fake = fakes[provider]
    fake.push(Answer(chunks=CHUNKS, input_tokens=100, cached_tokens=40, output_tokens=9))
    gateway = make_gateway({provider: (fake, ("k1",))})

    stream = gateway.stream(REQUEST, workflow=WORKFLOW, tier=TIER)
    events = await _collect(stream)

    assert [e.text for e in events if isinstance(e, TextDelta)] == list(CHUNKS)
    assert isinstance(events[-1], StreamEnd)
    assert sum(isinstance(e, StreamEnd) for e in events) == 1
    result = events[-1].result
    assert stream.result == result
    assert result.text == "".join(CHUNKS)
    assert result.finish_reason == "stop"
    # Normalised: 100 uncached + 40 cached whichever way the provider counts them.
    assert (result.usage.input_tokens, result.usage.cached_input_tokens) == (100, 40)
    assert result.usage.output_tokens == 9
    assert result.usage.source is UsageSource.reported
    assert result.cost_usd == (100 * Decimal(1) + 40 * Decimal("0.25") + 9 * Decimal(4)) / 10**6
    if provider == "openai":  # usage is always requested
        assert fake.seen[0].body["stream_options"] == {"include_usage": True}


async def test_a_stream_without_a_usage_report_is_estimated(
    make_gateway: MakeGateway, openai_fake: FakeUpstream
) -> None:
    openai_fake.push(Answer(chunks=CHUNKS, omit_usage=True))
    gateway = make_gateway({"openai": (openai_fake, ("k1",))})

    stream = gateway.stream(REQUEST, workflow=WORKFLOW, tier=TIER)
    await _collect(stream)

    assert stream.result is not None
    assert stream.result.usage.source is UsageSource.estimated
    assert stream.result.usage.output_tokens == 7  # ceil(26 chars / 4)
    assert stream.result.cost_usd is not None and stream.result.cost_usd > 0


@pytest.mark.parametrize("provider", WIRES)
async def test_a_consumer_that_stops_early_closes_upstream_and_gets_partial_usage(
    provider: str, fakes: dict[str, FakeUpstream], make_gateway: MakeGateway
) -> None:
    fake = fakes[provider]
    fake.push(Answer(chunks=CHUNKS, input_tokens=100, output_tokens=9, hold_after=2))
    gateway = make_gateway({provider: (fake, ("k1",))})

    async with gateway.stream(REQUEST, workflow=WORKFLOW, tier=TIER) as stream:
        received = [await stream.__anext__(), await stream.__anext__()]
    # Leaving the block closed the stream: the upstream sees the disconnect at once.
    assert await _disconnected(fake)

    assert [e.text for e in received if isinstance(e, TextDelta)] == ["The ", "quick "]
    result = stream.result
    assert result is not None
    assert result.finish_reason == "cancelled"
    assert result.text == "The quick "
    assert result.attempts[-1].outcome is AttemptOutcome.cancelled
    assert result.cost_usd is not None and result.cost_usd > 0
    if provider == "google":  # Gemini reports usage on every chunk
        assert result.usage.source is UsageSource.reported
        assert result.usage.input_tokens == 100
    elif provider == "anthropic":  # input from message_start; output estimated
        assert result.usage.source is UsageSource.estimated
        assert result.usage.input_tokens == 100
        assert result.usage.output_tokens == 3  # ceil(10 chars / 4)
    else:  # OpenAI sends usage only at the end: both sides estimated
        assert result.usage.source is UsageSource.estimated
        assert result.usage.input_tokens == 10  # "Say hello to the tests." + overhead
        assert result.usage.output_tokens == 3


@pytest.mark.parametrize("provider", WIRES)
async def test_an_upstream_cut_mid_stream_is_an_explicit_error_without_failover(
    provider: str,
    fakes: dict[str, FakeUpstream],
    make_gateway: MakeGateway,
    second_openai_fake: FakeUpstream,
) -> None:
    fake = fakes[provider]
    fake.push(Answer(chunks=CHUNKS, cut_after=2))
    gateway = make_gateway({provider: (fake, ("k1",)), "openrouter": (second_openai_fake, ("o1",))})

    stream = gateway.stream(REQUEST, workflow=WORKFLOW, tier=TIER)
    texts: list[str] = []
    with pytest.raises(StreamInterrupted) as raised:
        async for event in stream:
            assert isinstance(event, TextDelta)  # never a clean end
            texts.append(event.text)

    assert texts == ["The ", "quick "]
    assert raised.value.attempts[-1].outcome is AttemptOutcome.stream_cut
    assert stream.result is not None and stream.result.text == "The quick "
    assert stream.result.finish_reason == "error"
    assert second_openai_fake.seen == []  # text had reached the consumer: no failover


@pytest.mark.parametrize("provider", WIRES)
async def test_failover_happens_before_the_first_byte(
    provider: str,
    fakes: dict[str, FakeUpstream],
    make_gateway: MakeGateway,
    second_openai_fake: FakeUpstream,
) -> None:
    fake = fakes[provider]
    fake.push(Answer(chunks=CHUNKS, cut_after=0), Failure("rate_limited", retry_after=5))
    gateway = make_gateway(
        {provider: (fake, ("k1", "k2")), "openrouter": (second_openai_fake, ("o1",))}
    )

    stream = gateway.stream(REQUEST, workflow=WORKFLOW, tier=TIER)
    events = await _collect(stream)

    assert isinstance(events[-1], StreamEnd)
    result = events[-1].result
    assert [(a.provider, a.outcome) for a in result.attempts] == [
        (provider, AttemptOutcome.stream_cut),
        (provider, AttemptOutcome.rate_limited),
        ("openrouter", AttemptOutcome.ok),
    ]
    assert result.text == "Hello from the fake upstream!"


async def test_a_slow_stream_times_out_and_fails_over(
    make_gateway: MakeGateway, gemini_fake: FakeUpstream, anthropic_fake: FakeUpstream
) -> None:
    gemini_fake.push(Answer(delay=5))
    gateway = make_gateway(
        {"google": (gemini_fake, ("g1",)), "anthropic": (anthropic_fake, ("a1",))},
        timeout_seconds=0.2,
    )
    stream = gateway.stream(REQUEST, workflow=WORKFLOW, tier=TIER)
    await _collect(stream)
    assert stream.result is not None
    assert [a.outcome for a in stream.result.attempts] == [
        AttemptOutcome.timeout,
        AttemptOutcome.ok,
    ]
    assert gemini_fake.seen[0].path == "/v1beta/models/gemini-test:streamGenerateContent?alt=sse"


async def test_a_bad_request_before_the_stream_is_the_callers_error(
    make_gateway: MakeGateway, anthropic_fake: FakeUpstream, openai_fake: FakeUpstream
) -> None:
    anthropic_fake.push(Failure("bad_request"))
    gateway = make_gateway(
        {"anthropic": (anthropic_fake, ("a1",)), "openai": (openai_fake, ("k1",))}
    )
    with pytest.raises(RequestRejected):
        await _collect(gateway.stream(REQUEST, workflow=WORKFLOW, tier=TIER))
    assert openai_fake.seen == []


async def test_a_stream_nobody_can_serve_raises_with_every_attempt(
    make_gateway: MakeGateway, openai_fake: FakeUpstream
) -> None:
    openai_fake.push(Failure("server_error"), Failure("server_error"))
    gateway = make_gateway({"openai": (openai_fake, ("k1", "k2"))})
    stream = gateway.stream(REQUEST, workflow=WORKFLOW, tier=TIER)
    with pytest.raises(AllProvidersFailed) as raised:
        await _collect(stream)
    assert [a.status for a in raised.value.attempts] == [500, 500]
    assert stream.result is None
