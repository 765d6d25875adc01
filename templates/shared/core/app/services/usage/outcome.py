"""``UsageOutcome``: what a metered call produced, and the usage headers it sends."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from app.models import CallOutcome
from app.services.llm.types import ChatResult
from app.services.usage.budget import BudgetStatus, UsageWarningInfo
from app.services.usage.ratelimit import RateDecision

WARNING_HEADER = "X-Usage-Warning"


@dataclass(frozen=True, slots=True)
class UsageOutcome:
    """What a call produced, and what the web layer tells the client about usage."""

    event_id: uuid.UUID
    outcome: CallOutcome
    result: ChatResult
    settled_usd: Decimal
    warnings: tuple[UsageWarningInfo, ...] = ()
    budget: BudgetStatus | None = None
    replayed: bool = False  # an earlier call with the same idempotency key
    rate: RateDecision | None = None  # the rate limit's state after this call

    @property
    def text(self) -> str:
        """The answer's text."""
        return self.result.text

    def headers(self) -> dict[str, str]:
        """Response headers: one ``X-Usage-Warning`` entry per threshold passed."""
        headers = {"X-Usage-Event-Id": str(self.event_id)}
        if self.warnings:
            headers[WARNING_HEADER] = ", ".join(w.header_value() for w in self.warnings)
        if self.replayed:
            headers["Idempotent-Replayed"] = "true"
        return headers
