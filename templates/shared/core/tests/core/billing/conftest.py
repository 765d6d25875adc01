"""Fixtures for Stripe billing: the usage layer's migrated database, a fake Stripe
(real HTTP, Stripe's wire format) and the SDK client pointed at it.

The database fixtures are the usage layer's own (imported, so this package gets a
migrated database of its own for the session).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal

import pytest
import stripe
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.catalog import TIER_LOOKUP_KEYS, TIERS
from app.services.accounts import Accounts
from app.services.billing import StripeConfig, stripe_client
from app.services.billing.customers import ensure_customer
from app.services.billing.setup import setup
from app.services.usage import CallContext, Entitlement, TenantDatabase, UsageService
from tests.core.usage.conftest import (
    accounts,
    gateway,
    usage_database_url,
    usage_engine,
    workflow,
)
from tests.core.usage.fakes import FakeGateway
from tests.fakes.stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe

__all__ = ["accounts", "gateway", "usage_database_url", "usage_engine", "workflow"]

# A tier sold through Stripe (the first one with a lookup key), else the first tier.
SOLD_TIER = next(iter(TIER_LOOKUP_KEYS), next(iter(TIERS)))


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    with FakeStripe() as fake:
        yield fake


@pytest.fixture
def stripe_settings(fake_stripe: FakeStripe) -> StripeConfig:
    return StripeConfig(
        secret_key=SECRET_KEY,
        webhook_secret=WEBHOOK_SECRET,
        api_base=fake_stripe.base_url,
        public_base_url="http://app.test",
    )


@pytest.fixture
async def client(stripe_settings: StripeConfig) -> stripe.StripeClient:
    """The SDK client, with the meter, products and prices of this spec set up."""
    client = stripe_client(stripe_settings)
    await setup(client)
    return client


@pytest.fixture
def db(usage_engine: AsyncEngine) -> TenantDatabase:
    return TenantDatabase(usage_engine)


@pytest.fixture
async def service(usage_engine: AsyncEngine, gateway: FakeGateway) -> AsyncIterator[UsageService]:
    # Metered billing, so every ok call leaves an outbox row (the usage layer's own rule).
    service = UsageService(usage_engine, gateway, billing_mode="stripe_metered", log_prompts=False)
    yield service
    await service.close()


@dataclass(frozen=True, slots=True)
class Paying:
    """A workspace on a tier sold through Stripe, with its Stripe customer."""

    ctx: CallContext
    customer: str


async def new_workspace(accounts: Accounts, tier: str = SOLD_TIER) -> CallContext:
    """A fresh workspace and user on ``tier``, and a call context with room to spend."""
    workspace = await accounts.create_workspace(f"billing-{uuid.uuid4().hex[:8]}", tier)
    user = await accounts.add_user(workspace.id, email="payer@example.com")
    terms = replace(
        Entitlement.from_tier(tier),
        monthly_cost_cap=Decimal("100"),
        requests_per_minute=100_000,
    )
    return CallContext(
        workspace_id=workspace.id,
        user_id=user.id,
        workflow="usage_test",
        entitlement=terms,
        feature="billing-tests",
    )


@pytest.fixture
async def paying(
    accounts: Accounts, db: TenantDatabase, client: stripe.StripeClient
) -> Paying:
    ctx = await new_workspace(accounts)
    return Paying(ctx, await ensure_customer(db, client, ctx.workspace_id))
