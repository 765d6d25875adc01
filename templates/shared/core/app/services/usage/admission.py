"""Letting a call in: its facts, the rate limit, the context size, and an atomic
reservation of its worst-case cost (or a refusal, recorded on the ledger first).

A cache hit is admitted too, and recorded at once: no provider, no cost.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from app.core.catalog import WORKFLOWS
from app.models import CallOutcome
from app.services.llm.types import ChatRequest, Usage, UsageSource
from app.services.usage import budget, funding, ledger
from app.services.usage.context import CacheHit, CallContext
from app.services.usage.entitlements import Entitlement
from app.services.usage.errors import (
    CapExceeded,
    ContextTooLarge,
    CreditsExhausted,
    RateLimited,
    RequestInProgress,
)
from app.services.usage.funding import Hold
from app.services.usage.ledger import CallFacts, CallResult
from app.services.usage.money import to_micros
from app.services.usage.outcome import UsageOutcome
from app.services.usage.pricing import context_tokens, usage_cost, worst_case_micros
from app.services.usage.ratelimit import RateDecision, RateLimiter, rate_key
from app.services.usage.replay import find_replay
from app.services.usage.settlement import Admission
from app.services.usage.tenancy import TenantDatabase


class _Refused(Exception):
    """Leaves the admission transaction (rolling it back) with the refusal to raise."""

    def __init__(self, error: CapExceeded | CreditsExhausted) -> None:
        super().__init__()
        self.error = error


class Admitter:
    """Admits or refuses calls; every refusal leaves its ledger row."""

    def __init__(
        self,
        db: TenantDatabase,
        limiter: RateLimiter,
        *,
        environment: str,
        billing_mode: str,
        log_prompts: bool,
        record_refusals: bool,
        burst: Callable[[Entitlement], int],
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.limiter = limiter
        self.environment = environment
        self.billing_mode = billing_mode
        self.log_prompts = log_prompts
        self.record_refusals = record_refusals
        self._burst = burst
        self._clock = clock

    def facts(self, ctx: CallContext, request: ChatRequest) -> CallFacts:
        """What the call's ledger row knows up front (its id is ours, new)."""
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

    async def rate_limit(self, facts: CallFacts) -> RateDecision:
        """Count the call against its user's bucket; raises ``RateLimited`` when full."""
        entitlement = facts.entitlement
        decision = await self.limiter.acquire(
            rate_key(facts.workspace_id, facts.user_id),
            per_minute=entitlement.requests_per_minute,
            burst=self._burst(entitlement),
        )
        if decision.allowed:
            return decision
        await self.record_refusal(facts, CallOutcome.rate_limited, "rate_limited")
        raise RateLimited(
            retry_after=decision.retry_after,
            limit_per_minute=entitlement.requests_per_minute,
            reset_after=decision.reset_after,
        )

    async def record_cached(self, facts: CallFacts, hit: CacheHit) -> UsageOutcome:
        """The ledger row of a call answered from the cache (what it would have cost)."""
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
        except IntegrityError as exc:
            return await self._collided(facts, exc)  # the same key, used concurrently
        return UsageOutcome(facts.event_id, CallOutcome.cached, result, Decimal(0))

    async def admit(self, facts: CallFacts) -> Admission | UsageOutcome:
        """Context check, then one transaction: hold the worst case (cap, then
        credits) and open the call's ledger row (``pending``) with its key."""
        workflow, entitlement = facts.workflow, facts.entitlement
        tokens = context_tokens(facts.request, workflow)
        if tokens > workflow.max_context_tokens:
            await self.record_refusal(facts, CallOutcome.rejected, "context_too_large")
            raise ContextTooLarge(
                workflow=workflow.name,
                estimated_tokens=tokens,
                max_tokens=workflow.max_context_tokens,
            )
        now = self._clock()
        hold = Hold(
            worst_micros=worst_case_micros(facts.request, workflow, entitlement),
            limit_micros=to_micros(entitlement.monthly_cost_cap),
            period=budget.period_start(now),
            now=now,
        )
        try:
            async with self.db.tenant(facts.workspace_id) as session:
                paid_by, budget_micros, credit_micros = await funding.reserve(
                    session, self.db.dialect, self.billing_mode, facts, hold
                )
                if paid_by is None:
                    raise _Refused(await funding.refusal(session, self.billing_mode, facts, hold))
                row = ledger.opening_values(
                    facts,
                    log_prompts=self.log_prompts,
                    funding=paid_by,
                    held=budget_micros,
                    credit_held=credit_micros,
                )
                # A request whose key is already in use collides here, before any spend.
                await ledger.open_call(session, row)
        except _Refused as refused:  # the transaction rolled back: nothing was held
            await self.record_refusal(facts, CallOutcome.capped, refused.error.code)
            raise refused.error from None
        except IntegrityError as exc:
            return await self._collided(facts, exc)
        return Admission(facts, hold.period, budget_micros, credit_micros, paid_by)

    async def record_refusal(self, facts: CallFacts, outcome: CallOutcome, code: str) -> None:
        """The ledger row of a call refused before any provider was called."""
        if not self.record_refusals:
            return
        call = CallResult(outcome=outcome, error_code=code, retry_cost_usd=None)
        async with self.db.tenant(facts.workspace_id) as session:
            await ledger.write(
                session, facts, call, log_prompts=self.log_prompts, now=self._clock()
            )

    async def _collided(self, facts: CallFacts, error: IntegrityError) -> UsageOutcome:
        """Another request holds this call's idempotency key: answer as it did."""
        if facts.idempotency_key is None:
            raise error
        replay = await find_replay(self.db, facts)  # raises while that one is in flight
        if replay is None:  # it failed and released the key meanwhile: retry later
            raise RequestInProgress(facts.idempotency_key) from None
        return replay
