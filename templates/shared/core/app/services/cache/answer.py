"""A cached answer: what the original call returned, cost and all, and its replay.

A hit costs the provider nothing; ``cost_usd`` is what the original call cost,
i.e. what this request would have cost without the cache (the dashboard's
savings). ``to_result()`` and ``replay()`` give the gateway's own shapes so the
web layer serves a hit exactly like a fresh answer.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from app.services.llm.results import build_result
from app.services.llm.types import (
    ChatResult,
    RoutingDecision,
    StreamEnd,
    StreamEvent,
    TextDelta,
    Usage,
    UsageSource,
)

CACHE_PROVIDER = "cache"  # ChatResult.provider of a hit
CACHE_STRATEGY = "cache"  # RoutingDecision.strategy of a hit
_PIECES = re.compile(r"\s*\S+\s*|\s+")


class CacheMatch(StrEnum):
    exact = "exact"
    semantic = "semantic"


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """An answer served from the cache, with the facts of the call that produced it."""

    text: str
    model: str  # the model that produced the answer
    provider: str  # the provider that served it originally
    usage: Usage  # what the original call used
    cost_usd: Decimal | None  # what the original call cost (None: unknown)
    prompt_version: str
    finish_reason: str | None
    created_at: float  # epoch seconds of the original call
    match: CacheMatch = CacheMatch.exact
    similarity: float = 1.0  # cosine similarity for semantic hits

    @property
    def saved_usd(self) -> Decimal | None:
        """What serving this hit saved: the original call's cost."""
        return self.cost_usd

    def to_result(self) -> ChatResult:
        """The hit as a gateway result: no attempts, zero provider cost and tokens."""
        return build_result(
            self.text,
            routing=RoutingDecision(strategy=CACHE_STRATEGY, candidates=(self.model,)),
            finish_reason=self.finish_reason,
            model=self.model,
            provider=CACHE_PROVIDER,
        )

    async def replay(self, *, chunk_chars: int = 48) -> AsyncIterator[StreamEvent]:
        """The answer as a stream: TextDelta pieces (whole words), then one StreamEnd."""
        buffer = ""
        for piece in _PIECES.findall(self.text):
            buffer += piece
            if len(buffer) >= chunk_chars:
                yield TextDelta(buffer)
                buffer = ""
        if buffer:
            yield TextDelta(buffer)
        yield StreamEnd(self.to_result())

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (Decimal as text) for the cache backends."""
        return {
            "text": self.text,
            "model": self.model,
            "provider": self.provider,
            "usage": {
                "input_tokens": self.usage.input_tokens,
                "output_tokens": self.usage.output_tokens,
                "cached_input_tokens": self.usage.cached_input_tokens,
                "source": self.usage.source.value,
            },
            "cost_usd": None if self.cost_usd is None else str(self.cost_usd),
            "prompt_version": self.prompt_version,
            "finish_reason": self.finish_reason,
            "created_at": self.created_at,
        }

    @classmethod
    def from_json(
        cls, data: dict[str, Any], *, match: CacheMatch, similarity: float
    ) -> CachedAnswer:
        """The inverse of ``to_json``, marked with how the lookup matched."""
        usage = data["usage"]
        return cls(
            text=data["text"],
            model=data["model"],
            provider=data["provider"],
            usage=Usage(
                input_tokens=usage["input_tokens"],
                output_tokens=usage["output_tokens"],
                cached_input_tokens=usage["cached_input_tokens"],
                source=UsageSource(usage["source"]),
            ),
            cost_usd=None if data["cost_usd"] is None else Decimal(data["cost_usd"]),
            prompt_version=data["prompt_version"],
            finish_reason=data["finish_reason"],
            created_at=data["created_at"],
            match=match,
            similarity=similarity,
        )
