"""``/v1/billing``: Checkout and portal sessions (owners), and Stripe's webhook.

See ``docs/billing.md`` for what each billing mode does and the error answers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request

from app.deps import ApiDep, CallerDep, JsonCallerDep
from app.schemas.billing import CheckoutBody, CheckoutSessionOut, PortalSessionOut, WebhookAck
from app.schemas.errors import ErrorBody

router = APIRouter(prefix="/v1/billing", tags=["billing"])

# 502 when Stripe refuses, 503 when it is down or billing is not configured.
_ERRORS: dict[int | str, dict[str, object]] = {
    "4XX": {"model": ErrorBody},
    "502": {"model": ErrorBody},
    "503": {"model": ErrorBody},
}


@router.post("/checkout", response_model=CheckoutSessionOut, responses=_ERRORS)
async def billing_checkout(
    caller: JsonCallerDep, body: CheckoutBody, api: ApiDep
) -> CheckoutSessionOut:
    """A Stripe Checkout session for a tier or a credit pack (owners only)."""
    return await api.billing_checkout(caller, body)


@router.post("/portal", response_model=PortalSessionOut, responses=_ERRORS)
async def billing_portal(caller: CallerDep, api: ApiDep) -> PortalSessionOut:
    """A Stripe customer-portal session (owners only)."""
    return await api.billing_portal(caller)


@router.post("/webhook", response_model=WebhookAck, responses=_ERRORS)
async def billing_webhook(
    request: Request,
    api: ApiDep,
    stripe_signature: Annotated[str | None, Header()] = None,
) -> WebhookAck:
    """Stripe's events, verified by their ``Stripe-Signature`` and applied once."""
    return await api.billing_webhook(await request.body(), stripe_signature)
