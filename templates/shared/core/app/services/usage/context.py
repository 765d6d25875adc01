"""What product code hands the usage layer: who calls, and the cache it may consult."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from app.services.llm.types import ChatResult, StreamEvent, Usage
from app.services.usage.entitlements import Entitlement


@dataclass(frozen=True, slots=True)
class CallContext:
    """Who is calling, for which workflow and feature, under which entitlement."""

    workspace_id: uuid.UUID
    entitlement: Entitlement
    workflow: str  # a catalog workflow name
    user_id: uuid.UUID | None = None
    feature: str | None = None
    idempotency_key: str | None = None
    prompt_version: str | None = None  # e.g. "summarize@v3", from the prompt registry


class CacheHit(Protocol):
    """A cache hit as the usage layer records it (``app.services.cache.CachedAnswer``)."""

    @property
    def model(self) -> str: ...

    @property
    def usage(self) -> Usage: ...

    @property
    def cost_usd(self) -> Decimal | None: ...  # what the original call cost

    def to_result(self) -> ChatResult: ...

    def replay(self) -> AsyncIterator[StreamEvent]: ...


class ResponseCacheLike(Protocol):
    """What the usage layer needs from the response cache (``ResponseCache``)."""

    async def lookup(self, query: Any) -> CacheHit | None: ...

    async def store(self, query: Any, result: ChatResult, *, text: str | None = None) -> bool: ...
