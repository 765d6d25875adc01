"""Settling a call: one transaction that completes its ledger row, adds its outbox
row, turns its reservation into the real cost, debits credits and records warnings.

Settling runs to the end whatever the client does (callers shield it), exactly
once per row (closing a settled row is a no-op), and a transaction the database
refused for now (SQLite busy past its timeout, a dropped connection) is retried.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.exc import OperationalError

from app.core import metrics
from app.core.flavour import sleep
from app.models import CallOutcome
from app.services.llm.errors import GatewayError, NoRouteError, RequestRejected
from app.services.llm.types import (
    Attempt,
    ChatResult,
    ChatStream,
    RoutingDecision,
    Usage,
    UsageSource,
)
from app.services.llm.results import build_result
from app.services.usage import budget, credits, ledger
from app.services.usage.budget import BudgetStatus, UsageWarningInfo
from app.services.usage.funding import CREDITS, OVERAGE
from app.services.usage.ledger import CallFacts, CallResult, Closing, micros_of
from app.services.usage.money import to_micros, to_usd
from app.services.usage.outcome import UsageOutcome
from app.services.usage.pricing import usage_cost
from app.services.usage.tenancy import TenantDatabase
from app.services.usage.warnings import cap_warnings, daily_warnings

logger = logging.getLogger(__name__)

# Pauses (seconds) between attempts at a settlement the database refused for now.
SETTLE_RETRY_DELAYS = (0.05, 0.25, 1.0)

Settled = tuple[tuple[UsageWarningInfo, ...], BudgetStatus | None]


@dataclass(slots=True)
class Admission:
    """A reserved call: what to settle or release afterwards."""

    facts: CallFacts
    period: date  # the cap period the budget hold is on
    budget_micros: int
    credit_micros: int
    funding: str
    started: float = field(default_factory=time.perf_counter)

    def latency_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000


class Settlement:
    """Settles admitted calls: answered, failed or cancelled."""

    def __init__(
        self, db: TenantDatabase, *, log_prompts: bool, clock: Callable[[], datetime]
    ) -> None:
        self.db = db
        self.log_prompts = log_prompts
        self._clock = clock

    async def settle(
        self, admission: Admission, result: ChatResult, outcome: CallOutcome
    ) -> UsageOutcome:
        """Record a call that produced an answer (complete, or cancelled with usage)."""
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
            latency_ms=admission.latency_ms(),
            attempts=result.attempts,
            text=result.text,
        )
        warnings, state = await self._write(admission, call, charge_credits=True)
        return UsageOutcome(
            admission.facts.event_id, outcome, result, to_usd(settled), warnings, state
        )

    async def settle_failure(self, admission: Admission, exc: GatewayError | None) -> None:
        """Record a failed call and release its reservation (keeping any known cost)."""
        attempts: tuple[Attempt, ...] = exc.attempts if exc is not None else ()
        called = [a for a in attempts if not a.skipped]  # skipped providers cost nothing
        last = called[-1] if called else None
        earlier = called[:-1]
        retry_cost: Decimal | None = None
        if all(a.cost_usd is not None for a in earlier):
            retry_cost = sum((a.cost_usd or Decimal(0) for a in earlier), Decimal(0))
        if exc is None:
            outcome, code = CallOutcome.failed, "interrupted"
        elif isinstance(exc, NoRouteError) and not called:
            outcome, code = CallOutcome.rejected, "no_route"
        else:
            outcome, code = CallOutcome.failed, error_code(exc)
        call = CallResult(
            outcome=outcome,
            # Failures charge what they are known to have cost (a cut stream can cost);
            # an unknown cost is NULL on the row and not held against the customer.
            settled_micros=sum(micros_of(a.cost_usd) for a in called),
            funding=admission.funding,
            provider=last.provider if last else None,
            model=last.model if last else None,
            usage=last.usage if last else Usage(),
            cost_usd=last.cost_usd if last else None,
            retry_count=max(len(called) - 1, 0),
            retry_cost_usd=retry_cost,
            latency_ms=admission.latency_ms(),
            attempts=attempts,
            error_code=code,
            error=exc.message if exc is not None else "the call was interrupted",
        )
        try:
            await self._write(admission, call, charge_credits=False)
        except Exception:
            logger.exception("could not record failed call %s", admission.facts.event_id)

    async def cancel(self, admission: Admission, upstream: ChatStream) -> UsageOutcome:
        """Close the provider request at once, then settle what it reports as cancelled."""
        await upstream.aclose()
        partial = upstream.result or nothing_called()
        return await self.settle(admission, partial, CallOutcome.cancelled)

    async def _write(
        self, admission: Admission, call: CallResult, *, charge_credits: bool
    ) -> Settled:
        """The settlement transaction, retried while the database refuses it for now."""
        for delay in SETTLE_RETRY_DELAYS:
            try:
                return await self._transaction(admission, call, charge_credits=charge_credits)
            except OperationalError:
                logger.warning("settling call %s failed; retrying", admission.facts.event_id)
                await sleep(delay)
        return await self._transaction(admission, call, charge_credits=charge_credits)

    async def _transaction(
        self, admission: Admission, call: CallResult, *, charge_credits: bool
    ) -> Settled:
        """One transaction: ledger + outbox rows, budget settled, credits debited, warnings."""
        facts, now, dialect = admission.facts, self._clock(), self.db.dialect
        warnings: list[UsageWarningInfo] = []
        state: BudgetStatus | None = None
        async with self.db.tenant(facts.workspace_id) as session:
            closing = await ledger.close_call(
                session, facts, call, log_prompts=self.log_prompts, now=now
            )
            if closing is Closing.SETTLED:
                return (), None  # settled already: a second settlement changes nothing
            # After the sweep released this call's holds, only the real cost remains to add.
            held = closing is Closing.HELD
            if admission.funding != OVERAGE:
                state = await budget.settle(
                    session,
                    workspace_id=facts.workspace_id,
                    period=admission.period,
                    released_micros=admission.budget_micros if held else 0,
                    spent_micros=call.settled_micros,
                    now=now,
                )
                warnings += await cap_warnings(
                    session, dialect, facts, state, call.settled_micros, now
                )
            if admission.funding in (CREDITS, OVERAGE):
                await credits.debit(
                    session,
                    workspace_id=facts.workspace_id,
                    amount_micros=call.settled_micros if charge_credits else 0,
                    held_micros=admission.credit_micros if held else 0,
                    usage_event_id=facts.event_id,
                    now=now,
                )
            warnings += await daily_warnings(session, dialect, facts, call.settled_micros, now)
        _observe(facts, call)  # committed: count it once
        return tuple(warnings), state


def _observe(facts: CallFacts, call: CallResult) -> None:
    """The settled row in the metrics: spend and tokens by tier, provider calls."""
    metrics.observe_settlement(
        tier=facts.entitlement.tier,
        outcome=str(call.outcome),
        spend_usd=call.settled_micros / 1_000_000,
        input_tokens=call.usage.input_tokens,
        output_tokens=call.usage.output_tokens,
        cached_input_tokens=call.usage.cached_input_tokens,
        calls=[
            metrics.ProviderCall(a.provider, str(a.outcome)) for a in call.attempts if not a.skipped
        ],
    )


def nothing_called() -> ChatResult:
    """The result of a stream closed before any provider was called: no usage, no cost."""
    return build_result(
        "", routing=RoutingDecision(strategy="none", candidates=()), finish_reason="cancelled"
    )


def error_code(exc: GatewayError) -> str:
    """``AllProvidersFailed`` -> ``all_providers_failed``."""
    name = type(exc).__name__
    code = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
    if isinstance(exc, RequestRejected):
        return f"{code}_{exc.status}"
    return code
