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

Every outcome, refusals included, leaves one ``ai_usage_events`` row.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.catalog import BILLING_MODE, LOG_PROMPTS, TIERS, WORKFLOWS
from app.core.catalog_types import TierInfo
from app.core.flavour import Call, shield, sleep
from app.models import CallOutcome
from app.models.base import TENANT_ROLE, utcnow
from app.services.llm.errors import GatewayError, NoRouteError, RequestRejected
from app.services.llm.types import (
    Attempt,
    ChatGateway,
    ChatRequest,
    ChatResult,
    ChatStream,
    RoutingDecision,
    StreamEnd,
    StreamEvent,
    TextDelta,
    Usage,
    UsageSource,
)
from app.services.usage import budget, credits, ledger
from app.services.usage.budget import DAILY_COST, MONTHLY_COST, BudgetStatus, UsageWarningInfo
from app.services.usage.entitlements import Entitlement
from app.services.usage.errors import (
    CapExceeded,
    ContextTooLarge,
    CreditsExhausted,
    RateLimited,
    ReplayExpired,
    RequestInProgress,
)
from app.services.usage.ledger import CallFacts, CallResult, Closing, micros_of
from app.services.usage.money import to_micros, to_usd, usd_text
from app.services.usage.pricing import context_tokens, usage_cost, worst_case_micros
from app.services.usage.ratelimit import MemoryRateLimiter, RateDecision, RateLimiter, rate_key
from app.services.usage.sweep import SweepReport, sweep
from app.services.usage.tenancy import TenantDatabase

logger = logging.getLogger(__name__)

# How a call is paid for (``funding`` on the ledger and on reservations).
PLAN = "plan"  # the tier's monthly allowance, under its cap
CREDITS = "credits"  # prepaid credits (prepaid_credits mode: also under the cap)
OVERAGE = "overage"  # hybrid mode past the cap: credits alone

WARNING_HEADER = "X-Usage-Warning"
# Pauses (seconds) between attempts at a settlement the database refused for now.
SETTLE_RETRY_DELAYS = (0.05, 0.25, 1.0)


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

    async def store(self, query: Any, result: ChatResult, text: str | None = None) -> bool: ...


@dataclass(frozen=True, slots=True)
class UsageOutcome:
    """What a call produced, and what the web layer tells the client about usage."""

    event_id: uuid.UUID
    outcome: CallOutcome
    result: ChatResult
    settled_usd: Decimal
    warnings: tuple[UsageWarningInfo, ...] = ()
    budget: BudgetStatus | None = None
    replayed: bool = False  # an earlier call with the same idempotency key
    rate: RateDecision | None = None  # the rate limit's state after this call

    @property
    def text(self) -> str:
        return self.result.text

    def headers(self) -> dict[str, str]:
        """Response headers: one ``X-Usage-Warning`` entry per threshold passed."""
        headers = {"X-Usage-Event-Id": str(self.event_id)}
        if self.warnings:
            headers[WARNING_HEADER] = ", ".join(w.header_value() for w in self.warnings)
        if self.replayed:
            headers["Idempotent-Replayed"] = "true"
        return headers


class _Refused(Exception):
    """Leaves the admission transaction (rolling it back) with the refusal to raise."""

    def __init__(self, error: CapExceeded | CreditsExhausted) -> None:
        super().__init__()
        self.error = error


@dataclass(slots=True)
class _Admission:
    """A reserved call: what to settle or release afterwards."""

    facts: CallFacts
    period: date  # the cap period the budget hold is on
    budget_micros: int
    credit_micros: int
    funding: str
    started: float = field(default_factory=time.perf_counter)


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
        self.record_refusals = record_refusals
        self.reservation_ttl = reservation_ttl
        self._burst = burst or (lambda entitlement: entitlement.requests_per_minute)
        self._clock = clock

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
        facts = self._facts(ctx, request)
        replay = await self._replay(facts)
        if replay is not None:
            return replay
        rate = await self._rate_limit(facts)
        if cached is None and self.cache is not None and cache_query is not None:
            cached = await self.cache.lookup(cache_query)
        if cached is not None:
            return replace(await self._record_cached(facts, cached), rate=rate)
        admission = await self._admit(facts)
        if isinstance(admission, UsageOutcome):
            return admission  # a replay found while admitting
        try:
            result = await self.gateway.chat(
                request, workflow=facts.workflow, tier=ctx.entitlement.tier_info()
            )
        except GatewayError as exc:
            await shield(partial(self._settle_failure, admission, exc))
            raise
        except BaseException:
            # Not the gateway's doing (cancellation, a bug): record it and free the
            # reservation now, shielded; if even that fails, the sweep frees it later.
            await shield(partial(self._settle_failure, admission, None))
            raise
        # Settled to the end even if this request is cancelled meanwhile.
        outcome = await shield(partial(self._settle, admission, result, CallOutcome.ok))
        if self.cache is not None and cache_query is not None:
            await self.cache.store(cache_query, result)
        return replace(outcome, rate=rate)

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
        facts = self._facts(ctx, request)
        replay = await self._replay(facts)
        if replay is not None:
            return UsageStream(lambda _: _replayed(replay), outcome=replay)
        rate = await self._rate_limit(facts)
        if cached is None and self.cache is not None and cache_query is not None:
            cached = await self.cache.lookup(cache_query)
        if cached is not None:
            hit = cached
            outcome = replace(await self._record_cached(facts, hit), rate=rate)
            return UsageStream(lambda _: hit.replay(), outcome=outcome, rate=rate)
        admission = await self._admit(facts)
        if isinstance(admission, UsageOutcome):
            return UsageStream(lambda _: _replayed(admission), outcome=admission)
        try:
            upstream = self.gateway.stream(
                request, workflow=facts.workflow, tier=ctx.entitlement.tier_info()
            )
        except GatewayError as exc:  # routing failed: nothing was called
            await self._settle_failure(admission, exc)
            raise
        return UsageStream(
            lambda out: self._metered(out, admission, upstream, cache_query),
            abandon=partial(self._cancel, admission, upstream),
            rate=rate,
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

    # -- steps -----------------------------------------------------------------------

    def _facts(self, ctx: CallContext, request: ChatRequest) -> CallFacts:
        workflow = WORKFLOWS.get(ctx.workflow)
        if workflow is None:
            raise ValueError(f"unknown workflow {ctx.workflow!r}; known: {sorted(WORKFLOWS)}")
        return CallFacts(
            event_id=uuid.uuid4(),
            workspace_id=ctx.workspace_id,
            user_id=ctx.user_id,
            workflow=workflow,
            feature=ctx.feature,
            prompt_version=ctx.prompt_version,
            idempotency_key=ctx.idempotency_key,
            entitlement=ctx.entitlement,
            environment=self.environment,
            request=request,
            started_at=self._clock(),
        )

    async def _replay(self, facts: CallFacts) -> UsageOutcome | None:
        """The first call's outcome when the key was used; refused while it is in flight."""
        if facts.idempotency_key is None:
            return None
        async with self.db.tenant(facts.workspace_id) as session:
            event = await ledger.find_by_key(session, facts.workspace_id, facts.idempotency_key)
        if event is None:
            return None
        if event.outcome == CallOutcome.pending:
            raise RequestInProgress(facts.idempotency_key)
        text = ledger.replay_text(event)
        if text is None:  # never an empty success: the client retries with a new key
            raise ReplayExpired(facts.idempotency_key)
        return UsageOutcome(
            event_id=event.id,
            outcome=CallOutcome(event.outcome),
            result=ledger.result_from_event(event, text),
            settled_usd=to_usd(event.settled_micros),
            replayed=True,
        )

    async def _rate_limit(self, facts: CallFacts) -> RateDecision:
        entitlement = facts.entitlement
        decision = await self.limiter.acquire(
            rate_key(facts.workspace_id, facts.user_id),
            per_minute=entitlement.requests_per_minute,
            burst=self._burst(entitlement),
        )
        if decision.allowed:
            return decision
        await self._record_refusal(facts, CallOutcome.rate_limited, "rate_limited")
        raise RateLimited(
            retry_after=decision.retry_after,
            limit_per_minute=entitlement.requests_per_minute,
            reset_after=decision.reset_after,
        )

    async def _record_cached(self, facts: CallFacts, hit: CacheHit) -> UsageOutcome:
        result = hit.to_result()
        saved = hit.cost_usd
        if saved is None:
            saved = usage_cost(hit.model, hit.usage)
        call = CallResult(
            outcome=CallOutcome.cached,
            provider=result.provider,
            model=hit.model,
            usage=Usage(source=UsageSource.reported),  # no provider tokens were used
            cost_usd=Decimal(0),
            saved_cost_usd=saved,
            latency_ms=0.0,
            text=result.text,
        )
        try:
            async with self.db.tenant(facts.workspace_id) as session:
                await ledger.write(
                    session, facts, call, log_prompts=self.log_prompts, now=self._clock()
                )
        except IntegrityError:
            # The same key was used concurrently: answer as that request did.
            if facts.idempotency_key is None:
                raise
            replay = await self._replay(facts)  # raises while that one is in flight
            if replay is None:
                raise RequestInProgress(facts.idempotency_key) from None
            return replay
        return UsageOutcome(facts.event_id, CallOutcome.cached, result, Decimal(0))

    async def _admit(self, facts: CallFacts) -> _Admission | UsageOutcome:
        """Context check, then one transaction: hold the worst case (cap, then
        credits) and open the call's ledger row (``pending``) with its key."""
        workflow, entitlement = facts.workflow, facts.entitlement
        tokens = context_tokens(facts.request, workflow)
        if tokens > workflow.max_context_tokens:
            await self._record_refusal(facts, CallOutcome.rejected, "context_too_large")
            raise ContextTooLarge(
                workflow=workflow.name,
                estimated_tokens=tokens,
                max_tokens=workflow.max_context_tokens,
            )
        worst = worst_case_micros(facts.request, workflow, entitlement)
        limit = to_micros(entitlement.monthly_cost_cap)
        now = self._clock()
        period = budget.period_start(now)
        try:
            async with self.db.tenant(facts.workspace_id) as session:
                funding, budget_micros, credit_micros = await self._reserve_funds(
                    session, facts, worst=worst, limit=limit, period=period, now=now
                )
                if funding is None:
                    raise _Refused(await self._refusal(session, facts, worst, limit, period, now))
                row = ledger.opening_values(
                    facts,
                    log_prompts=self.log_prompts,
                    funding=funding,
                    held=budget_micros,
                    credit_held=credit_micros,
                )
                # A request whose key is already in use collides here, before any spend.
                await ledger.open_call(session, row)
        except _Refused as refused:  # the transaction rolled back: nothing was held
            await self._record_refusal(facts, CallOutcome.capped, refused.error.code)
            raise refused.error from None
        except IntegrityError:
            if facts.idempotency_key is None:
                raise
            replay = await self._replay(facts)  # raises while the other call is in flight
            if replay is None:  # it failed and released the key meanwhile: retry later
                raise RequestInProgress(facts.idempotency_key) from None
            return replay  # it finished while we were admitting this one
        return _Admission(facts, period, budget_micros, credit_micros, funding)

    async def _reserve_funds(
        self,
        session: AsyncSession,
        facts: CallFacts,
        *,
        worst: int,
        limit: int,
        period: date,
        now: datetime,
    ) -> tuple[str | None, int, int]:
        """(funding, micro-USD held on the budget, on credits); funding None: refused."""
        workspace_id = facts.workspace_id

        async def on_budget() -> bool:
            return await budget.reserve(
                session,
                self.db.dialect,
                workspace_id=workspace_id,
                period=period,
                amount_micros=worst,
                limit_micros=limit,
                now=now,
            )

        async def on_credits() -> bool:
            return await credits.hold(
                session, workspace_id=workspace_id, amount_micros=worst, now=now
            )

        if self.billing_mode == "prepaid_credits":
            if not await on_budget():
                return None, 0, 0
            if not await on_credits():
                return None, 0, 0
            return CREDITS, worst, worst
        if await on_budget():
            return PLAN, worst, 0
        if self.billing_mode == "hybrid" and await on_credits():
            return OVERAGE, 0, worst
        return None, 0, 0

    async def _refusal(
        self,
        session: AsyncSession,
        facts: CallFacts,
        worst: int,
        limit: int,
        period: date,
        now: datetime,
    ) -> CapExceeded | CreditsExhausted:
        """Why a reservation was refused: the cap, or (prepaid) the credits."""
        state = await budget.status(
            session, workspace_id=facts.workspace_id, period=period, limit_micros=limit
        )
        if self.billing_mode == "prepaid_credits" and state.used_micros + worst <= limit:
            balance = await credits.balance(session, workspace_id=facts.workspace_id, now=now)
            return CreditsExhausted(
                available_usd=usd_text(balance.available_micros), required_usd=usd_text(worst)
            )
        upgrade = _upgrade_for(facts.entitlement)
        hint = (
            f"Upgrade to the {upgrade.name} plan for a "
            f"${usd_text(to_micros(upgrade.monthly_cost_cap))} monthly allowance."
            if upgrade
            else "This is the largest plan; contact us to raise the cap."
        )
        if self.billing_mode == "hybrid":
            hint = f"Buy credits to continue past the cap. {hint}"
        return CapExceeded(
            cap=MONTHLY_COST,
            used_usd=usd_text(state.used_micros),
            limit_usd=usd_text(limit),
            required_usd=usd_text(worst),
            resets_at=state.resets_at,
            upgrade_tier=upgrade.name if upgrade else None,
            upgrade_hint=hint,
        )

    async def _settle(
        self, admission: _Admission, result: ChatResult, outcome: CallOutcome
    ) -> UsageOutcome:
        """Record a call that produced an answer (complete, or cancelled with usage)."""
        latency = (time.perf_counter() - admission.started) * 1000
        cost = result.cost_usd
        if cost is None:
            cost = usage_cost(result.model, result.usage)
        retry_cost = result.retry_cost_usd
        if cost is None:
            # Unknown cost: settle the worst case we reserved, never less than we may owe.
            settled = max(admission.budget_micros, admission.credit_micros)
        else:
            settled = to_micros(cost) + micros_of(retry_cost)
        call = CallResult(
            outcome=outcome,
            settled_micros=settled,
            funding=admission.funding,
            provider=result.provider,
            model=result.model,
            usage=result.usage,
            cost_usd=cost,
            retry_count=result.retries,
            retry_cost_usd=retry_cost,
            latency_ms=latency,
            attempts=result.attempts,
            text=result.text,
        )
        warnings, state = await self._write_settlement(admission, call, charge_credits=True)
        return UsageOutcome(
            admission.facts.event_id, outcome, result, to_usd(settled), warnings, state
        )

    async def _settle_failure(self, admission: _Admission, exc: GatewayError | None) -> None:
        """Record a failed call and release its reservation (keeping any known cost)."""
        latency = (time.perf_counter() - admission.started) * 1000
        attempts: tuple[Attempt, ...] = exc.attempts if exc is not None else ()
        called = [a for a in attempts if not a.skipped]  # skipped providers cost nothing
        last = called[-1] if called else None
        earlier = called[:-1]
        retry_cost: Decimal | None = Decimal(0)
        if any(a.cost_usd is None for a in earlier):
            retry_cost = None
        else:
            retry_cost = sum((a.cost_usd or Decimal(0) for a in earlier), Decimal(0))
        # Failures charge what they are known to have cost (a cut stream can cost);
        # an unknown cost is NULL on the row and not held against the customer.
        settled = sum(micros_of(a.cost_usd) for a in called)
        if exc is None:
            outcome, code = CallOutcome.failed, "interrupted"
        elif isinstance(exc, NoRouteError) and not called:
            outcome, code = CallOutcome.rejected, "no_route"
        else:
            outcome, code = CallOutcome.failed, _error_code(exc)
        call = CallResult(
            outcome=outcome,
            settled_micros=settled,
            funding=admission.funding,
            provider=last.provider if last else None,
            model=last.model if last else None,
            usage=last.usage if last else Usage(),
            cost_usd=last.cost_usd if last else None,
            retry_count=max(len(called) - 1, 0),
            retry_cost_usd=retry_cost,
            latency_ms=latency,
            attempts=attempts,
            error_code=code,
            error=exc.message if exc is not None else "the call was interrupted",
        )
        try:
            await self._write_settlement(admission, call, charge_credits=False)
        except Exception:
            logger.exception("could not record failed call %s", admission.facts.event_id)

    async def _write_settlement(
        self, admission: _Admission, call: CallResult, *, charge_credits: bool
    ) -> tuple[tuple[UsageWarningInfo, ...], BudgetStatus | None]:
        """Settle, retrying a transaction the database refused for now (SQLite busy past
        its timeout, a dropped connection): settling twice is a no-op, losing it is not."""
        for delay in SETTLE_RETRY_DELAYS:
            try:
                return await self._settlement_transaction(
                    admission, call, charge_credits=charge_credits
                )
            except OperationalError:
                logger.warning("settling call %s failed; retrying", admission.facts.event_id)
                await sleep(delay)
        return await self._settlement_transaction(admission, call, charge_credits=charge_credits)

    async def _settlement_transaction(
        self, admission: _Admission, call: CallResult, *, charge_credits: bool
    ) -> tuple[tuple[UsageWarningInfo, ...], BudgetStatus | None]:
        """One transaction: ledger + outbox rows, budget settled, credits debited, warnings."""
        facts = admission.facts
        workspace_id = facts.workspace_id
        now = self._clock()
        warnings: list[UsageWarningInfo] = []
        state: BudgetStatus | None = None
        async with self.db.tenant(workspace_id) as session:
            closing = await ledger.close_call(
                session, facts, call, log_prompts=self.log_prompts, now=now
            )
            if closing is Closing.SETTLED:
                return (), None  # settled already: a second settlement changes nothing
            # After the sweep released this call's holds, only the real cost remains to add.
            holds_pending = closing is Closing.HELD
            budget_held = admission.budget_micros if holds_pending else 0
            credit_held = admission.credit_micros if holds_pending else 0
            if admission.funding != OVERAGE:
                state = await budget.settle(
                    session,
                    workspace_id=workspace_id,
                    period=admission.period,
                    released_micros=budget_held,
                    spent_micros=call.settled_micros,
                    now=now,
                )
                warnings += await self._cap_warnings(
                    session, facts, state, call.settled_micros, now
                )
            if admission.funding in (CREDITS, OVERAGE):
                await credits.debit(
                    session,
                    workspace_id=workspace_id,
                    amount_micros=call.settled_micros if charge_credits else 0,
                    held_micros=credit_held,
                    usage_event_id=facts.event_id,
                    now=now,
                )
            if facts.workflow.soft_daily_cost is not None and call.settled_micros > 0:
                warnings += await self._daily_warnings(session, facts, call.settled_micros, now)
        return tuple(warnings), state

    async def _cap_warnings(
        self,
        session: AsyncSession,
        facts: CallFacts,
        state: BudgetStatus,
        settled: int,
        now: datetime,
    ) -> list[UsageWarningInfo]:
        """The tier's soft warnings this period's spend is past (events for new ones)."""
        warnings = []
        after, limit = state.spent_micros, state.limit_micros
        for threshold, new in budget.crossed(
            facts.entitlement.soft_warnings,
            before_micros=after - settled,
            after_micros=after,
            limit_micros=limit,
        ):
            warning = UsageWarningInfo(MONTHLY_COST, threshold, after, limit, new)
            if new:
                await budget.record_warning(
                    session,
                    self.db.dialect,
                    workspace_id=facts.workspace_id,
                    user_id=facts.user_id,
                    warning=warning,
                    scope="workspace",
                    period=state.period_start.strftime("%Y-%m"),
                    now=now,
                )
            warnings.append(warning)
        return warnings

    async def _daily_warnings(
        self, session: AsyncSession, facts: CallFacts, settled: int, now: datetime
    ) -> list[UsageWarningInfo]:
        """The workflow's soft daily cost per user (one event per user, workflow and day)."""
        soft = facts.workflow.soft_daily_cost
        assert soft is not None
        user_key = "" if facts.user_id is None else str(facts.user_id)
        after = await budget.add_daily_spend(
            session,
            self.db.dialect,
            workspace_id=facts.workspace_id,
            user_key=user_key,
            workflow=facts.workflow.name,
            day=now.date(),
            spent_micros=settled,
        )
        limit = to_micros(soft)
        if after < limit:
            return []
        warning = UsageWarningInfo(DAILY_COST, "1", after, limit, after - settled < limit)
        if warning.new:
            await budget.record_warning(
                session,
                self.db.dialect,
                workspace_id=facts.workspace_id,
                user_id=facts.user_id,
                warning=warning,
                scope=f"user:{user_key or '-'}:{facts.workflow.name}",
                period=now.strftime("%Y-%m-%d"),
                now=now,
            )
        return [warning]

    async def _record_refusal(self, facts: CallFacts, outcome: CallOutcome, code: str) -> None:
        """The ledger row of a call refused before any provider was called."""
        if not self.record_refusals:
            return
        call = CallResult(outcome=outcome, error_code=code, retry_cost_usd=None)
        async with self.db.tenant(facts.workspace_id) as session:
            await ledger.write(
                session, facts, call, log_prompts=self.log_prompts, now=self._clock()
            )

    async def _metered(
        self, out: UsageStream, admission: _Admission, upstream: ChatStream, cache_query: Any
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
                    settle = partial(self._settle, admission, final, CallOutcome.ok)
                    out.outcome = await shield(settle)
                yield event
        except GatewayError as exc:
            settled = True
            await shield(partial(self._settle_failure, admission, exc))
            raise
        finally:
            if not settled:
                # The consumer stopped reading, or its task was cancelled (a client that
                # went away): settle anyway, shielded from that cancellation.
                out.outcome = await shield(partial(self._cancel, admission, upstream))
            elif final is not None:
                await shield(upstream.aclose)  # a no-op unless we left it early
        if final is not None and self.cache is not None and cache_query is not None:
            await self.cache.store(cache_query, final, text="".join(pieces))

    async def _cancel(self, admission: _Admission, upstream: ChatStream) -> UsageOutcome:
        """Close the provider request at once, then settle what it reports as cancelled."""
        await upstream.aclose()
        partial = upstream.result or _nothing_called(admission)
        return await self._settle(admission, partial, CallOutcome.cancelled)


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


# -- helpers -------------------------------------------------------------------------


async def _replayed(outcome: UsageOutcome) -> AsyncGenerator[StreamEvent, None]:
    """An earlier call's answer as a stream."""
    if outcome.result.text:
        yield TextDelta(outcome.result.text)
    yield StreamEnd(outcome.result)


def _nothing_called(admission: _Admission) -> ChatResult:
    """The result of a stream closed before any provider was called: no usage, no cost."""
    return ChatResult(
        text="",
        model="",
        provider="",
        usage=Usage(source=UsageSource.reported),
        cost_usd=Decimal(0),
        attempts=(),
        routing=RoutingDecision(strategy="none", candidates=()),
        finish_reason="cancelled",
    )


def _error_code(exc: GatewayError) -> str:
    """``AllProvidersFailed`` -> ``all_providers_failed``."""
    name = type(exc).__name__
    code = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
    if isinstance(exc, RequestRejected):
        return f"{code}_{exc.status}"
    return code


def _upgrade_for(entitlement: Entitlement) -> TierInfo | None:
    """The cheapest catalog tier with a higher cap than ``entitlement``'s, if any."""
    better = [t for t in TIERS.values() if t.monthly_cost_cap > entitlement.monthly_cost_cap]
    return min(better, key=lambda t: (t.monthly_price, t.monthly_cost_cap), default=None)
