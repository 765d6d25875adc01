"""Billing endpoints: ``POST /v1/billing/checkout``, ``/portal`` and ``/webhook``.

The answers when billing cannot run: 404 ``billing_not_enabled`` when the spec's
billing mode is ``none`` (there is no billing in this product), 503
``billing_not_configured`` when a Stripe setting is missing or ``billing setup``
was not run, 503 ``billing_unavailable`` (with ``Retry-After``) when Stripe cannot
be reached, 502 ``billing_upstream_error`` when Stripe refuses a request.
"""

from __future__ import annotations

import logging

import stripe

from app.schemas.billing import CheckoutBody, CheckoutSessionOut, PortalSessionOut, WebhookAck
from app.services.api.auth import Caller
from app.services.api.calls import MeteredCalls
from app.services.api.errors import DEPENDENCY_RETRY_AFTER_SECONDS, ApiError, bad_request
from app.services.billing import (
    BillingNotConfigured,
    BillingNotEnabled,
    StripeConfig,
    stripe_client,
    stripe_config,
)
from app.services.billing import checkout, webhooks
from app.services.billing.stripe_api import is_transient

logger = logging.getLogger(__name__)


class BillingApi(MeteredCalls):
    """Checkout and portal sessions for owners; Stripe's webhook deliveries."""

    _stripe: stripe.StripeClient | None = None

    async def billing_checkout(self, caller: Caller, body: CheckoutBody) -> CheckoutSessionOut:
        """A Checkout session buying a tier or a credit pack for the caller's workspace."""
        caller.require("manage_billing")
        config, client = self._billing()
        try:
            session = await checkout.create_checkout(
                self.runtime.db,
                client,
                config,
                caller.workspace_id,
                tier=body.tier,
                credit_pack=body.credit_pack,
            )
        except checkout.NotForSale as exc:
            raise ApiError(409, "not_for_sale", str(exc)) from None
        except checkout.PriceMissing as exc:
            raise _not_configured(f"{exc}; run: python -m app billing setup") from None
        except stripe.StripeError as exc:
            raise _stripe_failed(exc) from None
        return CheckoutSessionOut(id=session.id, url=session.url)

    async def billing_portal(self, caller: Caller) -> PortalSessionOut:
        """A customer-portal session for the caller's workspace."""
        caller.require("manage_billing")
        config, client = self._billing()
        try:
            url = await checkout.create_portal(self.runtime.db, client, config, caller.workspace_id)
        except stripe.StripeError as exc:
            raise _stripe_failed(exc) from None
        return PortalSessionOut(url=url)

    async def billing_webhook(self, payload: bytes, signature: str | None) -> WebhookAck:
        """Verify and apply one Stripe event (a replay changes nothing)."""
        config, _ = self._billing(webhook=True)
        assert config.webhook_secret is not None  # checked by stripe_config(webhook=True)
        try:
            event = webhooks.verify(payload, signature, config.webhook_secret)
        except webhooks.BadWebhook as exc:
            raise bad_request("invalid_webhook", str(exc)) from None
        result = await webhooks.handle(self.runtime.db, event)
        return WebhookAck(id=result.event_id, type=result.type, duplicate=result.duplicate)

    def _billing(self, *, webhook: bool = False) -> tuple[StripeConfig, stripe.StripeClient]:
        """The Stripe settings and client, or the 404/503 saying why billing cannot run."""
        try:
            config = stripe_config(self.runtime.settings, webhook=webhook)
        except BillingNotEnabled:
            raise ApiError(
                404, "billing_not_enabled", "Billing is not enabled for this product."
            ) from None
        except BillingNotConfigured as exc:
            raise _not_configured(
                f"Billing is not configured: {', '.join(exc.missing)} missing."
            ) from None
        if self._stripe is None:
            self._stripe = stripe_client(config)
        return config, self._stripe


def _not_configured(message: str) -> ApiError:
    logger.error("billing not configured: %s", message)
    return ApiError(503, "billing_not_configured", message)


def _stripe_failed(exc: stripe.StripeError) -> ApiError:
    logger.warning("Stripe request failed: %s (%s)", type(exc).__name__, exc.http_status)
    if is_transient(exc):
        return ApiError(
            503,
            "billing_unavailable",
            "The payment provider is unavailable right now; retry in a moment.",
            headers={"Retry-After": str(DEPENDENCY_RETRY_AFTER_SECONDS)},
        )
    return ApiError(502, "billing_upstream_error", "The payment provider refused the request.")
