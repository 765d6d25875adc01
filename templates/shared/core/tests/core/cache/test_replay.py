"""Streaming a cached answer, and the per-request cache switch."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.services.cache import (
    CACHE_PROVIDER,
    CachedAnswer,
    CacheMatch,
    CacheMode,
    cache_mode_from_request,
)
from app.services.llm.types import StreamEnd, StreamEvent, TextDelta, Usage
from tests.core.cache.helpers import CacheEnv, make_cache, make_query, make_result

LONG = "Paris is the capital of France.  It sits on the Seine,\nin the north.\n" * 4


def answer(text: str) -> CachedAnswer:
    return CachedAnswer(
        text=text,
        model="m",
        provider="openai",
        usage=Usage(input_tokens=10, output_tokens=20),
        cost_usd=Decimal("0.01"),
        prompt_version="geo@v1",
        finish_reason="stop",
        created_at=0.0,
    )


async def collect(cached: CachedAnswer, **options: int) -> list[StreamEvent]:
    return [event async for event in cached.replay(**options)]


async def test_replay_streams_the_exact_text_then_one_end() -> None:
    events = await collect(answer(LONG), chunk_chars=20)

    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 5
    assert "".join(d.text for d in deltas) == LONG
    assert isinstance(events[-1], StreamEnd)
    assert sum(isinstance(e, StreamEnd) for e in events) == 1
    end = events[-1].result
    assert (end.text, end.provider, end.cost_usd) == (LONG, CACHE_PROVIDER, Decimal(0))


async def test_replay_of_an_empty_answer_is_just_the_end() -> None:
    events = await collect(answer(""))

    assert len(events) == 1
    assert isinstance(events[0], StreamEnd)


async def test_a_stored_answer_replays_from_the_backend(env: CacheEnv) -> None:
    cache = make_cache(env)
    await cache.store(make_query(), make_result(LONG))

    hit = await cache.lookup(make_query())
    assert hit is not None
    events = await collect(hit)

    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == LONG
    assert isinstance(events[-1], StreamEnd)
    assert events[-1].result.cost_usd == 0


def test_json_round_trip_keeps_every_fact() -> None:
    original = answer("x")

    again = CachedAnswer.from_json(original.to_json(), match=CacheMatch.semantic, similarity=0.95)

    assert again.to_json() == original.to_json()
    assert (again.match, again.similarity) == (CacheMatch.semantic, 0.95)


def test_cache_mode_from_headers_and_parameter() -> None:
    assert cache_mode_from_request({}) is CacheMode.use
    assert cache_mode_from_request({"Cache-Control": "no-store"}) is CacheMode.off
    assert cache_mode_from_request({"cache-control": "max-age=0, no-cache"}) is CacheMode.refresh
    assert cache_mode_from_request(param="off") is CacheMode.off
    assert cache_mode_from_request(param="FALSE") is CacheMode.off
    assert cache_mode_from_request(param="refresh") is CacheMode.refresh
    assert cache_mode_from_request(param="on") is CacheMode.use
    # The strictest of header and parameter wins.
    assert cache_mode_from_request({"Cache-Control": "no-cache"}, "off") is CacheMode.off
    assert cache_mode_from_request({"Cache-Control": "no-store"}, "on") is CacheMode.off
    with pytest.raises(ValueError, match="cache='maybe'"):
        cache_mode_from_request(param="maybe")
