"""The Stripe SDK client this app uses, and how to read Stripe's errors.

One ``StripeClient`` per process (or command), pointed at ``STRIPE_API_BASE`` when
set (tests use a local fake). The SDK's own retries are off: the outbox push
decides when to back off, and an endpoint answers at once when Stripe is down.
"""

from __future__ import annotations

from dataclasses import dataclass

import stripe

from app.core.catalog import BILLING_MODE
from app.core.config import Settings

# Stripe's answer when a meter event with this identifier was already accepted.
DUPLICATE_IDENTIFIER = "An event already exists with identifier"
# Seconds to wait for Stripe before counting the request as failed (and retrying later).
TIMEOUT_SECONDS = 20.0


class BillingNotEnabled(Exception):
    """The spec's billing mode is "none": no Stripe code path is active."""

    def __init__(self) -> None:
        super().__init__('billing is not enabled (the spec\'s billing.mode is "none")')


class BillingNotConfigured(Exception):
    """A Stripe setting this billing mode needs is missing."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(
            f"billing mode {BILLING_MODE} needs {', '.join(missing)}; "
            "set it in the environment or .env (see docs/billing.md)"
        )
        self.missing = missing


@dataclass(frozen=True, slots=True)
class StripeConfig:
    """The Stripe settings, checked: a secret key, and what the webhook needs."""

    secret_key: str
    webhook_secret: str | None
    api_base: str | None
    public_base_url: str


def stripe_config(settings: Settings, *, webhook: bool = False) -> StripeConfig:
    """The Stripe settings, or why billing cannot run (``BillingNotEnabled`` /
    ``BillingNotConfigured``). ``webhook``: the signing secret is needed too."""
    if BILLING_MODE == "none":
        raise BillingNotEnabled()
    missing = [] if settings.stripe_secret_key else ["STRIPE_SECRET_KEY"]
    if webhook and not settings.stripe_webhook_secret:
        missing.append("STRIPE_WEBHOOK_SECRET")
    if missing or settings.stripe_secret_key is None:
        raise BillingNotConfigured(missing)
    return StripeConfig(
        secret_key=settings.stripe_secret_key,
        webhook_secret=settings.stripe_webhook_secret,
        api_base=settings.stripe_api_base,
        public_base_url=settings.public_base_url.rstrip("/"),
    )


def stripe_client(config: StripeConfig) -> stripe.StripeClient:
    """A Stripe client for ``config`` (the SDK's retries off: callers decide)."""
    base = config.api_base.rstrip("/") if config.api_base else None
    return stripe.StripeClient(
        config.secret_key,
        base_addresses={"api": base, "meter_events": base} if base else None,
        http_client=stripe.HTTPXClient(timeout=TIMEOUT_SECONDS, allow_sync_methods=True),
        max_network_retries=0,
    )


def is_duplicate_identifier(exc: stripe.StripeError) -> bool:
    """Stripe's 400 for a meter event it already has: the event was accepted before."""
    return isinstance(exc, stripe.InvalidRequestError) and DUPLICATE_IDENTIFIER in (
        exc.user_message or str(exc)
    )


def is_transient(exc: stripe.StripeError) -> bool:
    """Worth retrying later: rate limits, Stripe's 5xx, timeouts, lost connections."""
    if isinstance(exc, stripe.RateLimitError | stripe.APIConnectionError):
        return True
    status = exc.http_status
    return status is None or status >= 500 or status in (409, 429)
