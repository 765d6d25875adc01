"""The 402 for a reached cap names the upgrade path: ``POST /v1/billing/checkout``
and the next tier, when that tier is sold through Stripe Checkout."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from app.core.catalog import BILLING_MODE, TIER_LOOKUP_KEYS, TIERS
from app.models import UsageBudget, utcnow
from app.services.accounts import Accounts
from app.services.usage import Entitlement, UsageService
from app.services.usage.budget import period_start
from app.services.usage.errors import CapExceeded
from app.services.usage.funding import upgrade_for
from app.services.usage.money import to_micros
from tests.core.billing.conftest import new_workspace
from tests.core.usage.helpers import request

# A tier whose next tier up is sold through Checkout.
UPGRADABLE = next(
    (
        name
        for name in TIERS
        if (up := upgrade_for(Entitlement.from_tier(name))) and up.name in TIER_LOOKUP_KEYS
    ),
    None,
)


@pytest.mark.skipif(
    BILLING_MODE == "none" or UPGRADABLE is None, reason="no plan upgrade is sold through Checkout"
)
async def test_the_cap_refusal_names_checkout_and_the_next_tier(
    service: UsageService, accounts: Accounts
) -> None:
    assert UPGRADABLE is not None
    ctx = await new_workspace(accounts, UPGRADABLE)
    terms = Entitlement.from_tier(UPGRADABLE)
    ctx = replace(ctx, entitlement=replace(terms, requests_per_minute=100_000))
    limit = to_micros(terms.monthly_cost_cap)
    async with service.db.tenant(ctx.workspace_id) as session:  # the allowance is used up
        session.add(
            UsageBudget(
                workspace_id=ctx.workspace_id,
                period_start=period_start(utcnow()),
                limit_micros=limit,
                spent_micros=limit,
            )
        )

    with pytest.raises(CapExceeded) as refused:
        await service.run(ctx, request())

    upgrade = refused.value.to_dict()["upgrade"]
    assert upgrade["checkout"] == "/v1/billing/checkout"
    assert upgrade["tier"] in TIER_LOOKUP_KEYS
    assert json.dumps({"tier": upgrade["tier"]}) in upgrade["hint"]
