"""Headers every authenticated response carries: rate-limit state and soft warnings.

Rate limits use the IETF ``RateLimit-*`` fields (limit, remaining, seconds until
the bucket is full again) plus ``Retry-After`` on a 429. Soft warnings (75% and
90% of the monthly allowance, a workflow's daily cost) go in ``X-Usage-Warning``
on every response, not only on the call that crossed the threshold.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

RATE_WINDOW_SECONDS = 60

_UNSAFE = re.compile(r"[^\x20-\x7e]")


@dataclass(frozen=True, slots=True)
class RateLimitState:
    """Where the caller's rate-limit bucket stands after this request."""

    limit: int  # requests per minute
    remaining: int | None = None
    reset_seconds: float | None = None  # until the bucket is full again


@dataclass(slots=True)
class ResponseMeta:
    """What a request learned that every response to it must say (set as it goes)."""

    rate: RateLimitState | None = None
    warnings: list[str] = field(default_factory=list)
    # Facts of the call this request made (X-Usage-Event-Id, Idempotent-Replayed).
    extra: dict[str, str] = field(default_factory=dict)

    def headers(self) -> dict[str, str]:
        """The header fields, ready to set on any response (errors included)."""
        values: dict[str, str] = dict(self.extra)
        if self.rate is not None:
            values.update(rate_limit_headers(self.rate))
        values.update(warning_headers(self.warnings))
        return values


def rate_limit_headers(state: RateLimitState) -> dict[str, str]:
    """``RateLimit-Limit``/``-Remaining``/``-Reset`` and ``RateLimit-Policy``."""
    values = {
        "RateLimit-Limit": str(state.limit),
        "RateLimit-Policy": f"{state.limit};w={RATE_WINDOW_SECONDS}",
    }
    if state.remaining is not None:
        values["RateLimit-Remaining"] = str(max(state.remaining, 0))
    if state.reset_seconds is not None:
        values["RateLimit-Reset"] = str(max(math.ceil(state.reset_seconds), 0))
    return values


def warning_headers(warnings: Sequence[str]) -> dict[str, str]:
    """``X-Usage-Warning``: the soft warnings, ``; ``-separated, printable ASCII only."""
    if not warnings:
        return {}
    text = "; ".join(dict.fromkeys(warnings))
    return {"X-Usage-Warning": _UNSAFE.sub("?", text)}
