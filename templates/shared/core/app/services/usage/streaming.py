"""Metered streams: the gateway's events passed through, settled exactly once
however the stream ends (answered, failed, or closed by a consumer that left)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from functools import partial
from typing import Any

from app.core.flavour import Call, shield
from app.models import CallOutcome
from app.services.llm.errors import GatewayError
from app.services.llm.types import ChatResult, ChatStream, StreamEnd, StreamEvent, TextDelta
from app.services.usage.context import ResponseCacheLike
from app.services.usage.outcome import UsageOutcome
from app.services.usage.ratelimit import RateDecision
from app.services.usage.settlement import Admission, Settlement


class UsageStream:
    """A metered stream: ``TextDelta`` events, then one ``StreamEnd``.

    Iterate it once. Close it (``aclose``) to stop early: the provider request is
    closed at once and the call settles as cancelled with the partial usage.
    ``outcome`` is set once the call is settled (at once for replays and cache hits).
    """

    def __init__(
        self,
        produce: Callable[[UsageStream], AsyncIterator[StreamEvent]],
        *,
        outcome: UsageOutcome | None = None,
        abandon: Call[UsageOutcome] | None = None,
        rate: RateDecision | None = None,
    ) -> None:
        self.outcome = outcome
        self.rate = rate  # the rate limit's state after admitting this call
        self._events = produce(self)
        # What closing settles when iteration never started (the generator's
        # finally only runs once it has).
        self._abandon = abandon
        self._started = False

    def __aiter__(self) -> UsageStream:
        return self

    async def __anext__(self) -> StreamEvent:
        self._started = True
        return await self._events.__anext__()

    async def aclose(self) -> None:
        """Stop the stream (closes the provider request, settles as cancelled)."""
        abandon, self._abandon = self._abandon, None
        if not self._started and abandon is not None:
            self.outcome = await abandon()
        if isinstance(self._events, AsyncGenerator):  # every producer here is one
            await self._events.aclose()


async def metered(
    out: UsageStream,
    settlement: Settlement,
    admission: Admission,
    upstream: ChatStream,
    cache: tuple[ResponseCacheLike, Any] | None,
) -> AsyncGenerator[StreamEvent, None]:
    """Pass the gateway's events through; settle exactly once however it ends."""
    final: ChatResult | None = None
    settled = False
    pieces: list[str] = []  # the answer's text, for the cache (StreamEnd carries none)
    try:
        async for event in upstream:
            if isinstance(event, TextDelta):
                pieces.append(event.text)
            elif isinstance(event, StreamEnd):
                final = event.result
                # Settled once, to the end, even if the client leaves meanwhile.
                settled = True
                out.outcome = await shield(
                    partial(settlement.settle, admission, final, CallOutcome.ok)
                )
            yield event
    except GatewayError as exc:
        settled = True
        await shield(partial(settlement.settle_failure, admission, exc))
        raise
    finally:
        if not settled:
            # The consumer stopped reading, or its task was cancelled (a client that
            # went away): settle anyway, shielded from that cancellation.
            out.outcome = await shield(partial(settlement.cancel, admission, upstream))
        elif final is not None:
            await shield(upstream.aclose)  # a no-op unless we left it early
    if final is not None and cache is not None:
        store, query = cache
        await store.store(query, final, text="".join(pieces))
