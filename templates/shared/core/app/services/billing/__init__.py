"""Stripe billing: the outbox push to Billing Meters, Checkout and the customer
portal, webhooks that change plans and grant credits, setup and reconciliation.

What each billing mode does is in ``docs/billing.md``; the mode itself is the
spec's (``app.core.catalog.BILLING_MODE``).
"""

from app.services.billing.stripe_api import (
    BillingNotConfigured,
    BillingNotEnabled,
    StripeConfig,
    stripe_client,
    stripe_config,
)

__all__ = [
    "BillingNotConfigured",
    "BillingNotEnabled",
    "StripeConfig",
    "stripe_client",
    "stripe_config",
]
