"""How a call is paid for: the monthly cap's allowance, prepaid credits, or both.

Admission holds the call's worst-case cost here, in its transaction; a refusal
says why (the cap, or the credits) and what would help (an upgrade, credits).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.catalog import TIER_LOOKUP_KEYS, TIERS
from app.core.catalog_types import TierInfo
from app.services.usage import budget, credits
from app.services.usage.budget import MONTHLY_COST
from app.services.usage.entitlements import Entitlement
from app.services.usage.errors import CapExceeded, CreditsExhausted
from app.services.usage.ledger import CallFacts
from app.services.usage.money import to_micros, usd_text

# How a call is paid for (``funding`` on the ledger and on reservations).
PLAN = "plan"  # the tier's monthly allowance, under its cap
CREDITS = "credits"  # prepaid credits (prepaid_credits mode: also under the cap)
OVERAGE = "overage"  # hybrid mode past the cap: credits alone
# Where a plan upgrade is bought (the billing endpoints, docs/billing.md).
CHECKOUT_PATH = "/v1/billing/checkout"


@dataclass(frozen=True, slots=True)
class Hold:
    """What one admission reserves: micro-USD on the budget and on credits."""

    worst_micros: int  # the call's worst-case cost
    limit_micros: int  # the cap it is held under
    period: date
    now: datetime


async def reserve(
    session: AsyncSession, dialect: str, billing_mode: str, facts: CallFacts, hold: Hold
) -> tuple[str | None, int, int]:
    """(funding, micro-USD held on the budget, on credits); funding None: refused."""
    worst = hold.worst_micros

    async def on_budget() -> bool:
        return await budget.reserve(
            session,
            dialect,
            workspace_id=facts.workspace_id,
            period=hold.period,
            amount_micros=worst,
            limit_micros=hold.limit_micros,
            now=hold.now,
        )

    async def on_credits() -> bool:
        return await credits.hold(
            session, workspace_id=facts.workspace_id, amount_micros=worst, now=hold.now
        )

    if billing_mode == "prepaid_credits":
        if await on_budget() and await on_credits():
            return CREDITS, worst, worst
        return None, 0, 0
    if await on_budget():
        return PLAN, worst, 0
    if billing_mode == "hybrid" and await on_credits():
        return OVERAGE, 0, worst
    return None, 0, 0


async def refusal(
    session: AsyncSession, billing_mode: str, facts: CallFacts, hold: Hold
) -> CapExceeded | CreditsExhausted:
    """Why a reservation was refused: the cap, or (prepaid) the credits."""
    worst, limit = hold.worst_micros, hold.limit_micros
    state = await budget.status(
        session, workspace_id=facts.workspace_id, period=hold.period, limit_micros=limit
    )
    if billing_mode == "prepaid_credits" and state.used_micros + worst <= limit:
        balance = await credits.balance(session, workspace_id=facts.workspace_id, now=hold.now)
        return CreditsExhausted(
            available_usd=usd_text(balance.available_micros), required_usd=usd_text(worst)
        )
    upgrade = upgrade_for(facts.entitlement)
    hint = (
        f"Upgrade to the {upgrade.name} plan for a "
        f"${usd_text(to_micros(upgrade.monthly_cost_cap))} monthly allowance."
        if upgrade
        else "This is the largest plan; contact us to raise the cap."
    )
    if billing_mode == "hybrid":
        hint = f"Buy credits to continue past the cap. {hint}"
    # Sold through Stripe Checkout: say where (docs/billing.md).
    checkout = (
        CHECKOUT_PATH
        if upgrade and billing_mode != "none" and upgrade.name in TIER_LOOKUP_KEYS
        else None
    )
    if checkout and upgrade:
        hint += f" Upgrade with POST {checkout} and " + json.dumps({"tier": upgrade.name}) + "."
    return CapExceeded(
        cap=MONTHLY_COST,
        used_usd=usd_text(state.used_micros),
        limit_usd=usd_text(limit),
        required_usd=usd_text(worst),
        resets_at=state.resets_at,
        upgrade_tier=upgrade.name if upgrade else None,
        upgrade_hint=hint,
        upgrade_checkout=checkout,
    )


def upgrade_for(entitlement: Entitlement) -> TierInfo | None:
    """The cheapest catalog tier with a higher cap than ``entitlement``'s, if any."""
    better = [t for t in TIERS.values() if t.monthly_cost_cap > entitlement.monthly_cost_cap]
    return min(better, key=lambda t: (t.monthly_price, t.monthly_cost_cap), default=None)
