"""What a workspace may do at call time: a snapshot of its tier.

The snapshot, not the catalog, is what caps, limits and the gateway use, and it
is copied onto every ledger row: a later plan or price change never rewrites the
terms an old call ran under.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from app.core.catalog import PRICE_TABLE_VERSION, TIERS
from app.core.catalog_types import TierInfo


@dataclass(frozen=True, slots=True)
class Entitlement:
    tier: str
    monthly_price: Decimal
    monthly_cost_cap: Decimal
    soft_warnings: tuple[float, ...]
    requests_per_minute: int
    allowed_models: tuple[str, ...]
    stripe_price_id: str | None
    price_table_version: str

    @classmethod
    def from_tier(cls, tier: TierInfo | str) -> Entitlement:
        """The entitlement a tier grants today (a name is looked up in the catalog)."""
        info = TIERS[tier] if isinstance(tier, str) else tier
        return cls(
            tier=info.name,
            monthly_price=info.monthly_price,
            monthly_cost_cap=info.monthly_cost_cap,
            soft_warnings=info.soft_warnings,
            requests_per_minute=info.requests_per_minute,
            allowed_models=info.allowed_models,
            stripe_price_id=info.stripe_price_id,
            price_table_version=PRICE_TABLE_VERSION,
        )

    def tier_info(self) -> TierInfo:
        """The snapshot in the shape the gateway takes."""
        return TierInfo(
            name=self.tier,
            monthly_price=self.monthly_price,
            monthly_cost_cap=self.monthly_cost_cap,
            soft_warnings=self.soft_warnings,
            requests_per_minute=self.requests_per_minute,
            allowed_models=self.allowed_models,
            stripe_price_id=self.stripe_price_id,
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (Decimals as strings, so nothing is rounded)."""
        data = asdict(self)
        data["monthly_price"] = str(self.monthly_price)
        data["monthly_cost_cap"] = str(self.monthly_cost_cap)
        data["soft_warnings"] = list(self.soft_warnings)
        data["allowed_models"] = list(self.allowed_models)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entitlement:
        """The inverse of ``to_json``."""
        return cls(
            tier=data["tier"],
            monthly_price=Decimal(data["monthly_price"]),
            monthly_cost_cap=Decimal(data["monthly_cost_cap"]),
            soft_warnings=tuple(float(w) for w in data["soft_warnings"]),
            requests_per_minute=int(data["requests_per_minute"]),
            allowed_models=tuple(data["allowed_models"]),
            stripe_price_id=data.get("stripe_price_id"),
            price_table_version=data["price_table_version"],
        )
