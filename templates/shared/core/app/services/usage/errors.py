"""Refusals the usage layer raises before (or instead of) calling a provider.

Each carries the HTTP status the web layer answers with and a JSON-able body
(``to_dict``); money is a decimal string in USD. Gateway errors are not wrapped:
they pass through unchanged after their failed ledger row is written.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any


class UsageError(Exception):
    """Base class: ``status`` for the HTTP answer, ``code`` for clients to switch on."""

    status: int = 400
    code: str = "usage_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        """The JSON error body."""
        return {"error": self.code, "message": self.message}

    def headers(self) -> dict[str, str]:
        """Extra response headers (``Retry-After``)."""
        return {}


class CapExceeded(UsageError):
    """The tier's monthly cost cap leaves no room for this call (HTTP 402)."""

    status = 402
    code = "cap_exceeded"

    def __init__(
        self,
        *,
        cap: str,
        used_usd: str,
        limit_usd: str,
        required_usd: str,
        resets_at: datetime,
        upgrade_tier: str | None,
        upgrade_hint: str,
        upgrade_checkout: str | None = None,
    ) -> None:
        super().__init__(
            f"The {cap.replace('_', ' ')} cap is reached: ${used_usd} of ${limit_usd} used, "
            f"and this request may cost up to ${required_usd}. "
            f"It resets at {resets_at.isoformat()}. {upgrade_hint}"
        )
        self.cap = cap
        self.used_usd = used_usd
        self.limit_usd = limit_usd
        self.required_usd = required_usd
        self.resets_at = resets_at
        self.upgrade_tier = upgrade_tier
        self.upgrade_hint = upgrade_hint
        # Where the upgrade is bought (``POST /v1/billing/checkout``), when it is sold there.
        self.upgrade_checkout = upgrade_checkout

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "cap": self.cap,
            "used_usd": self.used_usd,
            "limit_usd": self.limit_usd,
            "required_usd": self.required_usd,
            "resets_at": self.resets_at.isoformat(),
            "upgrade": {
                "tier": self.upgrade_tier,
                "hint": self.upgrade_hint,
                "checkout": self.upgrade_checkout,
            },
        }


class CreditsExhausted(UsageError):
    """Prepaid credits cannot cover this call's worst-case cost (HTTP 402)."""

    status = 402
    code = "credits_exhausted"

    def __init__(self, *, available_usd: str, required_usd: str) -> None:
        super().__init__(
            f"Not enough credits: ${available_usd} available, up to ${required_usd} needed. "
            "Buy credits to continue."
        )
        self.available_usd = available_usd
        self.required_usd = required_usd

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "available_usd": self.available_usd,
            "required_usd": self.required_usd,
        }


class RateLimited(UsageError):
    """Too many requests for this user's tier (HTTP 429 with ``Retry-After``)."""

    status = 429
    code = "rate_limited"

    def __init__(
        self, *, retry_after: float, limit_per_minute: int, reset_after: float = 0.0
    ) -> None:
        super().__init__(
            f"Rate limit of {limit_per_minute} requests per minute reached; "
            f"retry in {retry_after:.1f} s."
        )
        self.retry_after = retry_after
        self.limit_per_minute = limit_per_minute
        self.reset_after = reset_after  # seconds until the bucket is full again

    @property
    def retry_after_header(self) -> str:
        """Whole seconds, rounded up (what ``Retry-After`` takes)."""
        return str(max(1, math.ceil(self.retry_after)))

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "retry_after": self.retry_after,
            "limit_per_minute": self.limit_per_minute,
        }

    def headers(self) -> dict[str, str]:
        return {"Retry-After": self.retry_after_header}


class ContextTooLarge(UsageError):
    """The request is larger than the workflow allows (HTTP 413); nothing was called."""

    status = 413
    code = "context_too_large"

    def __init__(self, *, workflow: str, estimated_tokens: int, max_tokens: int) -> None:
        super().__init__(
            f"The request is about {estimated_tokens} tokens; "
            f"the {workflow} workflow accepts at most {max_tokens}."
        )
        self.workflow = workflow
        self.estimated_tokens = estimated_tokens
        self.max_tokens = max_tokens

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "workflow": self.workflow,
            "estimated_tokens": self.estimated_tokens,
            "max_tokens": self.max_tokens,
        }


class RequestInProgress(UsageError):
    """A request with the same idempotency key is still running (HTTP 409)."""

    status = 409
    code = "request_in_progress"

    def __init__(self, idempotency_key: str) -> None:
        super().__init__(
            "A request with this idempotency key is still in progress; retry it later."
        )
        self.idempotency_key = idempotency_key


class ReplayExpired(UsageError):
    """The idempotency key's call was answered, but its answer is no longer kept (HTTP 409)."""

    status = 409
    code = "idempotency_key_expired"

    def __init__(self, idempotency_key: str) -> None:
        super().__init__(
            "A request with this idempotency key was answered more than 24 hours ago and "
            "its answer is no longer kept; send a new idempotency key to run it again."
        )
        self.idempotency_key = idempotency_key
