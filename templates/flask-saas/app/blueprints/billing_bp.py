"""``POST /v1/billing/webhook``: a placeholder until billing webhooks are implemented.

It reads (and size-limits) the body and answers 501 in the API's error shape,
so a misconfigured payment provider sees a clear, retryable refusal.
"""

from __future__ import annotations

from typing import NoReturn

from flask import Blueprint

from app.services.api.errors import billing_webhook_not_ready
from app.web import read_body

billing_bp = Blueprint("billing", __name__, url_prefix="/v1/billing")


@billing_bp.post("/webhook")
def billing_webhook() -> NoReturn:
    """Not implemented yet: always 501."""
    read_body()
    raise billing_webhook_not_ready()
