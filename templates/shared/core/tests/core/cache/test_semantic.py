"""Semantic cache: threshold, scope (system prompt, version, model), isolation, embedder."""

from __future__ import annotations

import pytest

from app.services.cache import CacheMatch, HashingEmbedder, cosine, unit_vector
from tests.core.cache.helpers import (
    QUESTION,
    CacheEnv,
    make_cache,
    make_query,
    make_result,
    stub,
)


async def test_served_above_the_threshold_only(env: CacheEnv) -> None:
    embedder = stub({"base": 1.0, "close": 0.95, "edge": 0.9001, "below": 0.8999, "far": 0.2})
    cache = make_cache(env, threshold=0.9, embedder=embedder, exact_enabled=False)
    await cache.store(make_query("base"), make_result("Base answer."))

    for text in ("close", "edge"):
        hit = await cache.lookup(make_query(text))
        assert hit is not None, text
        assert hit.match is CacheMatch.semantic
        assert hit.text == "Base answer."
    close = await cache.lookup(make_query("close"))
    assert close is not None
    assert close.similarity == pytest.approx(0.95, abs=1e-6)
    for text in ("below", "far"):
        assert await cache.lookup(make_query(text)) is None, text


async def test_the_most_similar_entry_wins(env: CacheEnv) -> None:
    # Angles from "base": near ~25.8 deg, query ~5.7 deg; both entries pass 0.9.
    embedder = stub({"base": 1.0, "near": 0.9, "query": 0.995})
    cache = make_cache(env, threshold=0.9, embedder=embedder)
    await cache.store(make_query("base"), make_result("From base."))
    await cache.store(make_query("near"), make_result("From near."))

    hit = await cache.lookup(make_query("query"))

    assert hit is not None
    assert hit.text == "From base."
    assert hit.similarity == pytest.approx(0.995, abs=1e-6)


async def test_system_prompt_version_and_model_each_separate_entries(env: CacheEnv) -> None:
    embedder = stub({"base": 1.0, "close": 0.99})
    cache = make_cache(env, embedder=embedder)
    await cache.store(make_query("base"), make_result())

    assert await cache.lookup(make_query("close")) is not None
    assert await cache.lookup(make_query("close", system="You answer in French.")) is None
    assert await cache.lookup(make_query("base", system="You answer in French.")) is None
    assert await cache.lookup(make_query("close", prompt_version="geo@v2")) is None
    assert await cache.lookup(make_query("close", model="another-model")) is None


async def test_semantic_entries_are_per_workspace(env: CacheEnv) -> None:
    cache = make_cache(env, embedder=stub({"base": 1.0, "close": 0.99}))
    await cache.store(make_query("base", workspace="ws-a"), make_result())

    assert await cache.lookup(make_query("close", workspace="ws-b")) is None
    assert await cache.lookup(make_query("close", workspace="ws-a")) is not None


async def test_semantic_entries_expire_with_their_answers(env: CacheEnv) -> None:
    cache = make_cache(env, ttl_seconds=0.3, embedder=stub({"base": 1.0, "close": 0.99}))
    await cache.store(make_query("base"), make_result())
    assert await cache.lookup(make_query("close")) is not None

    await env.pass_time(0.45)

    assert await cache.lookup(make_query("close")) is None


async def test_only_recent_entries_are_compared(env: CacheEnv) -> None:
    texts = {f"t{i}": 1.0 - i * 0.001 for i in range(5)} | {"query": 1.0}
    cache = make_cache(env, max_recent=2, exact_enabled=False, embedder=stub(texts))
    for i in range(5):
        await cache.store(make_query(f"t{i}"), make_result(f"answer {i}"))

    hit = await cache.lookup(make_query("query"))

    assert hit is not None
    assert hit.text in {"answer 3", "answer 4"}  # t0..t2 left the recent window


async def test_disabled_semantic_cache_serves_exact_only(env: CacheEnv) -> None:
    cache = make_cache(env, semantic_enabled=False)
    await cache.store(make_query(QUESTION), make_result())

    assert await cache.lookup(make_query(QUESTION.lower())) is None


async def test_default_embedder_matches_near_duplicates_only(env: CacheEnv) -> None:
    cache = make_cache(env, threshold=0.92)
    await cache.store(make_query(QUESTION), make_result())

    hit = await cache.lookup(make_query("what is the capital of france"))
    assert hit is not None
    assert hit.match is CacheMatch.semantic
    assert await cache.lookup(make_query("Write a haiku about autumn leaves.")) is None
    assert await cache.lookup(make_query("What is the population of Brazil?")) is None


async def test_hashing_embedder_is_deterministic_and_offline() -> None:
    first, second = HashingEmbedder(), HashingEmbedder()
    a = unit_vector(await first.embed(QUESTION))
    b = unit_vector(await second.embed(QUESTION))
    c = unit_vector(await first.embed("Tell me a joke about compilers."))

    assert a == b
    assert len(a) == 256
    assert first.name == "hashing-v1-256"
    assert cosine(a, b) == pytest.approx(1.0)
    assert cosine(a, c) < 0.5
    assert unit_vector(await first.embed("")) == ()


class BrokenEmbedder:
    name = "broken"

    async def embed(self, text: str) -> list[float]:
        raise RuntimeError("embedding service unavailable")


async def test_a_failing_embedder_costs_only_the_semantic_match(env: CacheEnv) -> None:
    cache = make_cache(env, embedder=BrokenEmbedder())

    assert await cache.store(make_query(QUESTION), make_result())
    hit = await cache.lookup(make_query(QUESTION))
    assert hit is not None and hit.match is CacheMatch.exact
    assert await cache.lookup(make_query(QUESTION.lower())) is None
