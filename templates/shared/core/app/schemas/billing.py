"""``/v1/billing``: Checkout and portal sessions, and webhook acknowledgements."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class CheckoutBody(BaseModel):
    """What to buy: a tier (a subscription) or a credit pack (one payment), not both."""

    model_config = ConfigDict(extra="forbid")

    tier: str | None = Field(default=None, min_length=1, max_length=64)
    credit_pack: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _one_of(self) -> CheckoutBody:
        if (self.tier is None) == (self.credit_pack is None):
            raise ValueError("give exactly one of tier and credit_pack")
        return self


class CheckoutSessionOut(BaseModel):
    """A Stripe Checkout session: send the customer to ``url``."""

    id: str
    url: str


class PortalSessionOut(BaseModel):
    """A Stripe customer-portal session: send the customer to ``url``."""

    url: str


class WebhookAck(BaseModel):
    """A webhook delivery accepted; ``duplicate``: the event was handled before."""

    received: bool = True
    id: str
    type: str
    duplicate: bool
