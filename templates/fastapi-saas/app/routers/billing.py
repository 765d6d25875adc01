"""``POST /v1/billing/webhook``: a placeholder until billing webhooks are implemented.

It reads (and size-limits) the body and answers 501 in the API's error shape,
so a misconfigured payment provider sees a clear, retryable refusal.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.schemas.errors import ErrorBody
from app.services.api.errors import billing_webhook_not_ready

router = APIRouter(prefix="/v1/billing", tags=["billing"])


@router.post("/webhook", status_code=501, responses={501: {"model": ErrorBody}})
async def billing_webhook(request: Request) -> None:
    """Not implemented yet: always 501."""
    await request.body()
    raise billing_webhook_not_ready()
