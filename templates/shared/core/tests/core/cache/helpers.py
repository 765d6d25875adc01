"""Builders shared by the cache tests."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from redis.asyncio import Redis

from app.core.catalog import MODELS
from app.core.flavour import sleep
from app.services.cache import CacheBackend, CacheMode, CacheQuery, Embedder, ResponseCache
from app.services.llm.types import ChatResult, Message, RoutingDecision, Usage, UsageSource

MODEL = next(iter(MODELS))
OTHER_MODEL = list(MODELS)[-1] if len(MODELS) > 1 else "other-model"
QUESTION = "What is the capital of France?"
# Not a catalog workflow: the spec's own per-workflow opt-outs must not affect these
# tests (they are tested explicitly with a ``workflows`` mapping).
WORKFLOW = "geo_answers"


class FakeClock:
    """A monotonic clock the memory backend reads; tests move it forward."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class CacheEnv:
    kind: str
    backend: CacheBackend
    clock: FakeClock | None
    redis: Redis | None = None
    prefix: str = ""

    async def pass_time(self, seconds: float) -> None:
        """Let ``seconds`` go by: instantly for memory, really for Redis (server-side TTL)."""
        if self.clock is not None:
            self.clock.now += seconds
        else:
            await sleep(seconds)


def make_cache(env: CacheEnv, **overrides: Any) -> ResponseCache:
    options: dict[str, Any] = {
        "exact_enabled": True,
        "semantic_enabled": True,
        "ttl_seconds": 60.0,
        "threshold": 0.9,
        "workflows": {},
    }
    options.update(overrides)
    return ResponseCache(env.backend, **options)


def make_query(
    text: str = QUESTION,
    *,
    workspace: str = "ws-a",
    system: str = "You answer geography questions.",
    model: str = MODEL,
    prompt_version: str = "geo@v1",
    workflow: str = WORKFLOW,
    mode: CacheMode = CacheMode.use,
    max_output_tokens: int | None = 200,
) -> CacheQuery:
    return CacheQuery(
        workspace_id=workspace,
        workflow=workflow,
        model=model,
        prompt_version=prompt_version,
        system_prompt=system,
        messages=(Message("user", text),),
        max_output_tokens=max_output_tokens,
        mode=mode,
    )


def make_result(
    text: str = "Paris.",
    *,
    cost: str | None = "0.0021",
    provider: str = "openai",
    local: bool = False,
) -> ChatResult:
    return ChatResult(
        text=text,
        model=MODEL,
        provider=provider,
        usage=Usage(input_tokens=40, output_tokens=3, source=UsageSource.reported),
        cost_usd=None if cost is None else Decimal(cost),
        attempts=(),
        routing=RoutingDecision(strategy="cost_optimized", candidates=(MODEL,)),
        finish_reason="stop",
        local=local,
    )


class StubEmbedder:
    """Unit vectors at chosen angles: text -> cosine similarity with "base" is exact."""

    name = "stub-2d"

    def __init__(self, similarity_to_base: dict[str, float]) -> None:
        self._similarity = similarity_to_base

    async def embed(self, text: str) -> Sequence[float]:
        similarity = self._similarity[text]
        return (similarity, math.sqrt(max(0.0, 1.0 - similarity * similarity)))


def stub(similarities: dict[str, float]) -> Embedder:
    return StubEmbedder(similarities)
