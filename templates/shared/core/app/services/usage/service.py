"""``UsageService``: the one door to the models. Tag, limit, cap, route, log, price.

Product code calls ``run`` (or ``stream``) with who is calling and what for; it
never calls a provider directly. In order, a call is:

1. replayed, when its idempotency key already produced an answer (never charged twice);
2. rate limited per user at the tier's rate (refusals do not consume the bucket);
3. answered from the cache, when the caller passes a hit (no provider, no cost);
4. checked against the workflow's ``max_context_tokens``;
5. admitted by an atomic reservation of its worst-case cost under the monthly cap
   (and a hold on prepaid credits);
6. sent through the gateway;
7. settled in one transaction: ledger row, billing-outbox row, the reservation
   turned into the real cost, the credit debit, warning events.

Every outcome, refusals included, leaves one ``ai_usage_events`` row. The steps
live in their own modules: ``replay`` (1), ``admission`` and ``funding`` (2-5),
``settlement`` and ``warnings`` (7), ``streaming`` (a streamed call, settled once).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.catalog import BILLING_MODE, LOG_PROMPTS
from app.core.flavour import shield
from app.models import CallOutcome
from app.models.base import TENANT_ROLE, utcnow
from app.services.llm.errors import GatewayError
from app.services.llm.types import ChatGateway, ChatRequest
from app.services.usage import budget, credits, ledger
from app.services.usage.admission import Admitter
from app.services.usage.budget import BudgetStatus
from app.services.usage.context import CacheHit, CallContext, ResponseCacheLike
from app.services.usage.entitlements import Entitlement
from app.services.usage.money import to_micros
from app.services.usage.outcome import WARNING_HEADER, UsageOutcome
from app.services.usage.ratelimit import MemoryRateLimiter, RateDecision, RateLimiter
from app.services.usage.replay import find_replay, replayed_events
from app.services.usage.settlement import Admission, Settlement
from app.services.usage.streaming import UsageStream, metered
from app.services.usage.sweep import SweepReport, sweep
from app.services.usage.tenancy import TenantDatabase

__all__ = [
    "WARNING_HEADER",
    "CacheHit",
    "CallContext",
    "SweepReport",
    "UsageOutcome",
    "UsageService",
    "UsageStream",
]


@dataclass(frozen=True, slots=True)
class _Start:
    """How a call begins: answered already (a replay, a cache hit) or admitted."""

    outcome: UsageOutcome | None = None
    hit: CacheHit | None = None
    admission: Admission | None = None
    rate: RateDecision | None = None


class UsageService:
    """Wraps any ``ChatGateway``; create one per process and share it.

    ``billing_mode`` and ``log_prompts`` default to the spec's; ``clock`` and
    ``limiter`` are injectable for tests. ``burst`` sets how many requests a full
    bucket admits at once (default: the tier's per-minute rate).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        gateway: ChatGateway,
        *,
        limiter: RateLimiter | None = None,
        cache: ResponseCacheLike | None = None,
        environment: str = "development",
        billing_mode: str = BILLING_MODE,
        log_prompts: bool = LOG_PROMPTS,
        db_role: str | None = TENANT_ROLE,
        record_refusals: bool = True,
        reservation_ttl: timedelta = timedelta(minutes=15),
        burst: Callable[[Entitlement], int] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = TenantDatabase(engine, role=db_role)
        self.gateway = gateway
        self.limiter = limiter or MemoryRateLimiter()
        self.cache = cache
        self.environment = environment
        self.billing_mode = billing_mode
        self.log_prompts = log_prompts
        self.reservation_ttl = reservation_ttl
        self._clock = clock
        self.admitter = Admitter(
            self.db,
            self.limiter,
            environment=environment,
            billing_mode=billing_mode,
            log_prompts=log_prompts,
            record_refusals=record_refusals,
            burst=burst or (lambda entitlement: entitlement.requests_per_minute),
            clock=clock,
        )
        self.settlement = Settlement(self.db, log_prompts=log_prompts, clock=clock)

    # -- the façade ------------------------------------------------------------------

    async def run(
        self,
        ctx: CallContext,
        request: ChatRequest,
        *,
        cached: CacheHit | None = None,
        cache_query: Any = None,
    ) -> UsageOutcome:
        """Make one metered call. Raises a ``UsageError`` when refused (a ledger row
        is written first), or the gateway's ``GatewayError`` after recording the failure.

        A cache hit can be passed as ``cached``; or pass ``cache_query`` and the
        service's ``cache`` is looked up after the rate limit and updated after a
        successful answer.
        """
        start = await self._start(ctx, request, cached, cache_query)
        admission = start.admission
        if admission is None:
            assert start.outcome is not None
            return start.outcome
        try:
            result = await self.gateway.chat(
                request, workflow=admission.facts.workflow, tier=ctx.entitlement.tier_info()
            )
        except GatewayError as exc:
            await shield(partial(self.settlement.settle_failure, admission, exc))
            raise
        except BaseException:
            # Not the gateway's doing (cancellation, a bug): record it and free the
            # reservation now, shielded; if even that fails, the sweep frees it later.
            await shield(partial(self.settlement.settle_failure, admission, None))
            raise
        # Settled to the end even if this request is cancelled meanwhile.
        outcome = await shield(partial(self.settlement.settle, admission, result, CallOutcome.ok))
        if self.cache is not None and cache_query is not None:
            await self.cache.store(cache_query, result)
        return replace(outcome, rate=start.rate)

    async def stream(
        self,
        ctx: CallContext,
        request: ChatRequest,
        *,
        cached: CacheHit | None = None,
        cache_query: Any = None,
    ) -> UsageStream:
        """Admit a streamed call and return its events; refusals raise here, before any
        byte is sent. The stream settles when it ends, fails, or the consumer closes it
        (outcome ``cancelled``, with the partial usage the gateway reports).
        """
        start = await self._start(ctx, request, cached, cache_query)
        admission, answered, hit = start.admission, start.outcome, start.hit
        if admission is None:
            assert answered is not None
            if hit is not None:
                return UsageStream(lambda _: hit.replay(), outcome=answered, rate=start.rate)
            return UsageStream(lambda _: replayed_events(answered), outcome=answered)
        try:
            upstream = self.gateway.stream(
                request, workflow=admission.facts.workflow, tier=ctx.entitlement.tier_info()
            )
        except GatewayError as exc:  # routing failed: nothing was called
            await self.settlement.settle_failure(admission, exc)
            raise
        cache = self.cache
        store = (cache, cache_query) if cache is not None and cache_query is not None else None
        return UsageStream(
            lambda out: metered(out, self.settlement, admission, upstream, store),
            abandon=partial(self.settlement.cancel, admission, upstream),
            rate=start.rate,
        )

    async def budget_status(
        self, workspace_id: uuid.UUID, entitlement: Entitlement
    ) -> BudgetStatus:
        """Where ``workspace_id`` stands against its cap this period."""
        async with self.db.tenant(workspace_id) as session:
            return await budget.status(
                session,
                workspace_id=workspace_id,
                period=budget.period_start(self._clock()),
                limit_micros=to_micros(entitlement.monthly_cost_cap),
            )

    async def mark_usable(self, workspace_id: uuid.UUID, event_id: uuid.UUID, usable: bool) -> bool:
        """Record whether a call's answer was usable (feeds cost per usable outcome)."""
        async with self.db.tenant(workspace_id) as session:
            return await ledger.mark_usable(session, workspace_id, event_id, usable)

    async def grant_credits(
        self,
        workspace_id: uuid.UUID,
        amount_usd: Decimal,
        *,
        reason: str,
        expires_at: datetime | None = None,
        reference: str | None = None,
    ) -> uuid.UUID:
        """Add prepaid credits (idempotent per ``reference``); returns the grant's id."""
        async with self.db.tenant(workspace_id) as session:
            row = await credits.grant(
                session,
                self.db.dialect,
                workspace_id=workspace_id,
                amount_usd=amount_usd,
                reason=reason,
                now=self._clock(),
                expires_at=expires_at,
                reference=reference,
            )
            return row.id

    async def credit_balance(self, workspace_id: uuid.UUID) -> credits.CreditBalance:
        """The workspace's unexpired credits and what calls in flight hold."""
        async with self.db.tenant(workspace_id) as session:
            return await credits.balance(session, workspace_id=workspace_id, now=self._clock())

    async def sweep(self, *, older_than: timedelta | None = None) -> SweepReport:
        """Close calls a crashed process left pending (older than the TTL), releasing
        what they held, and expire due credit grants. Run it every few minutes:
        ``python -m app db sweep``.
        """
        return await sweep(
            self.db,
            older_than=older_than if older_than is not None else self.reservation_ttl,
            now=self._clock(),
        )

    async def close(self) -> None:
        """Release the rate limiter's connections (the engine is the caller's)."""
        await self.limiter.close()

    async def _start(
        self, ctx: CallContext, request: ChatRequest, cached: CacheHit | None, cache_query: Any
    ) -> _Start:
        """The prologue ``run`` and ``stream`` share: replay, rate limit, cache, admission."""
        facts = self.admitter.facts(ctx, request)
        replay = await find_replay(self.db, facts)
        if replay is not None:
            return _Start(outcome=replay)
        rate = await self.admitter.rate_limit(facts)
        if cached is None and self.cache is not None and cache_query is not None:
            cached = await self.cache.lookup(cache_query)
        if cached is not None:
            recorded = await self.admitter.record_cached(facts, cached)
            return _Start(outcome=replace(recorded, rate=rate), hit=cached, rate=rate)
        admitted = await self.admitter.admit(facts)
        if isinstance(admitted, UsageOutcome):
            return _Start(outcome=admitted)  # a replay found while admitting
        return _Start(admission=admitted, rate=rate)
