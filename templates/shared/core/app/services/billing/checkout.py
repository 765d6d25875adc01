"""Checkout sessions (a tier's subscription, or a credit pack) and portal sessions.

Prices are found by lookup key (``python -m app billing setup`` creates them), so
the spec never holds pasted price ids.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import stripe
from stripe.params.checkout import SessionCreateParams, SessionCreateParamsLineItem

from app.core.catalog import BILLING_MODE, CREDIT_PACKS, TIER_LOOKUP_KEYS
from app.services.billing.customers import customer_of, ensure_customer
from app.services.billing.push import METERED_MODES
from app.services.billing.stripe_api import StripeConfig
from app.services.usage.tenancy import TenantDatabase


class NotForSale(Exception):
    """The tier or credit pack cannot be bought through Checkout (a 4xx for the caller)."""


class PriceMissing(Exception):
    """A lookup key has no active price at Stripe: ``billing setup`` was not run."""


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    id: str
    url: str


def usage_lookup_key(tier_key: str) -> str:
    """The lookup key of a tier's metered (usage) price."""
    return f"{tier_key}_usage"


async def prices_by_lookup_key(
    client: stripe.StripeClient, keys: list[str]
) -> dict[str, stripe.Price]:
    """The active prices under ``keys`` (a missing key is simply absent)."""
    found = await client.v1.prices.list_async({"lookup_keys": keys, "active": True, "limit": 100})
    return {p.lookup_key: p for p in found.data if p.lookup_key}


async def create_checkout(
    db: TenantDatabase,
    client: stripe.StripeClient,
    config: StripeConfig,
    workspace_id: uuid.UUID,
    *,
    tier: str | None = None,
    credit_pack: str | None = None,
) -> CheckoutSession:
    """A Checkout session for ``tier`` (a subscription) or ``credit_pack`` (one payment)."""
    keys, mode = _line_keys(tier, credit_pack)
    prices = await prices_by_lookup_key(client, keys)
    missing = [k for k in keys if k not in prices]
    if missing:
        raise PriceMissing(f"no Stripe price with lookup key {', '.join(missing)}")
    customer = await ensure_customer(db, client, workspace_id)
    items: list[SessionCreateParamsLineItem] = []
    for key in keys:
        price = prices[key]
        recurring = price.recurring
        metered = recurring is not None and recurring.usage_type == "metered"
        items.append({"price": price.id} if metered else {"price": price.id, "quantity": 1})
    metadata = {"workspace_id": str(workspace_id)}
    metadata |= {"tier": tier} if tier else {"credit_pack": str(credit_pack)}
    params: SessionCreateParams = {
        "mode": mode,
        "customer": customer,
        "client_reference_id": str(workspace_id),
        "line_items": items,
        "metadata": metadata,
        # Stripe fills in {CHECKOUT_SESSION_ID}.
        "success_url": f"{config.public_base_url}/billing/success"
        "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": f"{config.public_base_url}/billing/cancelled",
    }
    if mode == "subscription":
        params["subscription_data"] = {"metadata": metadata}
    session = await client.v1.checkout.sessions.create_async(params)
    return CheckoutSession(id=session.id, url=session.url or "")


def _line_keys(tier: str | None, credit_pack: str | None) -> tuple[list[str], str]:
    """The lookup keys to buy and the Checkout mode ("subscription" or "payment")."""
    if credit_pack is not None:
        if BILLING_MODE not in ("prepaid_credits", "hybrid"):
            raise NotForSale(f"billing mode {BILLING_MODE} sells no credit packs")
        pack = CREDIT_PACKS.get(credit_pack)
        if pack is None:
            raise NotForSale(
                f"unknown credit pack {credit_pack!r}; packs: {', '.join(CREDIT_PACKS) or 'none'}"
            )
        return [pack.lookup_key], "payment"
    key = TIER_LOOKUP_KEYS.get(str(tier))
    if key is None:
        sold = ", ".join(TIER_LOOKUP_KEYS) or "none"
        raise NotForSale(f"tier {tier!r} is not sold through Stripe; tiers sold: {sold}")
    keys = [key, usage_lookup_key(key)] if BILLING_MODE in METERED_MODES else [key]
    return keys, "subscription"


async def create_portal(
    db: TenantDatabase, client: stripe.StripeClient, config: StripeConfig, workspace_id: uuid.UUID
) -> str:
    """The URL of a customer-portal session (the customer is created if missing)."""
    found = await customer_of(db, workspace_id)
    customer = (
        found.stripe_customer_id
        if found is not None
        else await ensure_customer(db, client, workspace_id)
    )
    session = await client.v1.billing_portal.sessions.create_async(
        {"customer": customer, "return_url": f"{config.public_base_url}/billing"}
    )
    return session.url
