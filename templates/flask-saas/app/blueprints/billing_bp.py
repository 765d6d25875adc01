"""``/v1/billing``: Checkout and portal sessions (owners), and Stripe's webhook.

See ``docs/billing.md`` for what each billing mode does and the error answers.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from app.schemas.billing import CheckoutBody
from app.web import api, authenticated, authenticated_body, json_response, read_body

billing_bp = Blueprint("billing", __name__, url_prefix="/v1/billing")


@billing_bp.post("/checkout")
def billing_checkout() -> Response:
    """A Stripe Checkout session for a tier or a credit pack (owners only)."""
    caller, body = authenticated_body(CheckoutBody)
    return json_response(api().billing_checkout(caller, body))


@billing_bp.post("/portal")
def billing_portal() -> Response:
    """A Stripe customer-portal session (owners only)."""
    return json_response(api().billing_portal(authenticated()))


@billing_bp.post("/webhook")
def billing_webhook() -> Response:
    """Stripe's events, verified by their ``Stripe-Signature`` and applied once."""
    payload = read_body()
    return json_response(api().billing_webhook(payload, request.headers.get("Stripe-Signature")))
