"""What a workspace may do at call time: a snapshot of its tier.

The snapshot, not the catalog, is what caps, limits and the gateway use, and it
is copied onto every ledger row: a later plan or price change never rewrites the
terms an old call ran under.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from app.core.catalog import PRICE_TABLE_VERSION, TIERS
from app.core.catalog_types import TierInfo


@dataclass(frozen=True, slots=True)
class Entitlement(TierInfo):
    """A tier's terms as granted (the tier itself), and the price table then in force."""

    price_table_version: str = PRICE_TABLE_VERSION

    @property
    def tier(self) -> str:
        """The tier's name."""
        return self.name

    @classmethod
    def from_tier(cls, tier: TierInfo | str) -> Entitlement:
        """The entitlement a tier grants today (a name is looked up in the catalog)."""
        info = TIERS[tier] if isinstance(tier, str) else tier
        return cls(**_tier_terms(info))

    def tier_info(self) -> TierInfo:
        """The tier's terms alone, as the catalog states a tier."""
        return TierInfo(**_tier_terms(self))

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (Decimals as strings, so nothing is rounded)."""
        data: dict[str, Any] = {"tier": self.name}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "name":
                data[f.name] = _jsonable(value)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entitlement:
        """The inverse of ``to_json``."""
        return cls(
            name=data["tier"],
            monthly_price=Decimal(data["monthly_price"]),
            monthly_cost_cap=Decimal(data["monthly_cost_cap"]),
            soft_warnings=tuple(float(w) for w in data["soft_warnings"]),
            requests_per_minute=int(data["requests_per_minute"]),
            allowed_models=tuple(data["allowed_models"]),
            stripe_price_id=data.get("stripe_price_id"),
            price_table_version=data["price_table_version"],
        )


def _tier_terms(info: TierInfo) -> dict[str, Any]:
    return {f.name: getattr(info, f.name) for f in fields(TierInfo)}


def _jsonable(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value
