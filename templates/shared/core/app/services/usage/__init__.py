"""The usage layer: every model call tagged, limited, capped, logged and priced.

See ``docs/usage.md``. Product code builds a ``CallContext`` and calls
``UsageService.run`` (or ``stream``); the web layer maps the ``UsageError``
subclasses to their ``status`` and sends ``UsageOutcome.headers()``.
"""

from app.services.usage.budget import BudgetStatus, UsageWarningInfo
from app.services.usage.context import CacheHit, CallContext
from app.services.usage.credits import CreditBalance
from app.services.usage.entitlements import Entitlement
from app.services.usage.errors import (
    CapExceeded,
    ContextTooLarge,
    CreditsExhausted,
    RateLimited,
    ReplayExpired,
    RequestInProgress,
    UsageError,
)
from app.services.usage.outcome import UsageOutcome
from app.services.usage.ratelimit import (
    MemoryRateLimiter,
    RateDecision,
    RateLimiter,
    RedisRateLimiter,
    rate_key,
    rate_limiter_for,
)
from app.services.usage.service import UsageService
from app.services.usage.streaming import UsageStream
from app.services.usage.sweep import SweepReport
from app.services.usage.tenancy import TenantDatabase

__all__ = [
    "BudgetStatus",
    "CacheHit",
    "CallContext",
    "CapExceeded",
    "ContextTooLarge",
    "CreditBalance",
    "CreditsExhausted",
    "Entitlement",
    "MemoryRateLimiter",
    "RateDecision",
    "RateLimited",
    "RateLimiter",
    "RedisRateLimiter",
    "ReplayExpired",
    "RequestInProgress",
    "SweepReport",
    "TenantDatabase",
    "UsageError",
    "UsageOutcome",
    "UsageService",
    "UsageStream",
    "UsageWarningInfo",
    "rate_key",
    "rate_limiter_for",
]
