"""Types of the product catalog (providers, models, tiers, workflows).

The values live in ``app.core.catalog``, generated from ``archgen.yaml``.
Money is Decimal USD; prices are per million tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class ModelPrice:
    input_per_mtok: Decimal
    output_per_mtok: Decimal
    cached_input_per_mtok: Decimal
    price_id: str


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    # (provider, the model's name at that provider), in the product's cascade order.
    routes: tuple[tuple[str, str], ...]
    price: ModelPrice
    context_window: int
    max_output_tokens: int
    quality: float
    latency_ms: int


@dataclass(frozen=True, slots=True)
class TierInfo:
    name: str
    monthly_price: Decimal
    monthly_cost_cap: Decimal
    soft_warnings: tuple[float, ...]
    requests_per_minute: int
    allowed_models: tuple[str, ...]
    stripe_price_id: str | None


@dataclass(frozen=True, slots=True)
class WorkflowInfo:
    name: str
    unit: str
    min_quality: float
    max_context_tokens: int
    max_output_tokens: int
    max_latency_ms: int | None
    soft_daily_cost: Decimal | None
    prompt: str
    cache: bool


@dataclass(frozen=True, slots=True)
class CircuitBreakerPolicy:
    error_threshold: int
    reset_seconds: float


@dataclass(frozen=True, slots=True)
class MeterInfo:
    """The Stripe Billing Meter usage is reported to, and what one unit is."""

    event_name: str
    # "workflow_unit" (an answer delivered), "kilo_tokens" or "cost_micros".
    unit: str
    # USD per unit (for cost_micros: markup x 0.000001).
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class CreditPackInfo:
    """Prepaid credits sold through Stripe Checkout."""

    name: str
    credits: Decimal  # USD of credits granted
    price: Decimal  # USD paid
    lookup_key: str
