"""Model prices: from the spec, else from genai-prices' bundled offline snapshot.

Prices are read "as of" a fixed reference date, never the clock, so the same
spec and the same genai-prices release always give the same prices (and the same
generated code). genai-prices ships no machine-readable data date, so the date is
a constant here: bump ``PRICE_REFERENCE_DATE`` when upgrading genai-prices. Noon
UTC keeps time-of-day prices (DeepSeek's off-peak discount) on the standard rate.

The network is never touched: genai-prices' auto-update is not used, and a snapshot
installed by someone else's auto-update is ignored in favour of the bundled one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import cache, lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from archgen.spec.models import Model, Price, ProductSpec, Provider

PRICE_REFERENCE_DATE = date(2026, 11, 15)
_REFERENCE_TIME = datetime.combine(PRICE_REFERENCE_DATE, time(12, 0), tzinfo=UTC)

# archgen provider -> genai-prices provider id (None: not in the snapshot).
_SNAPSHOT_PROVIDER: dict[Provider, str | None] = {
    Provider.openrouter: "openrouter",
    Provider.anthropic: "anthropic",
    Provider.openai: "openai",
    Provider.google: "google",
    Provider.deepseek: "deepseek",
    Provider.huggingface: None,  # routed per inference provider; not priced as one
}

_PLACES = Decimal("0.00000001")  # Price fields allow 8 decimal places


@cache
def genai_prices_version() -> str:
    """The installed genai-prices version (part of every snapshot price id)."""
    try:
        return version("genai-prices")
    except PackageNotFoundError:  # pragma: no cover - it is a dependency
        return "unknown"


@cache
def _snapshot() -> Any:
    from genai_prices import data_snapshot

    snapshot = data_snapshot.get_snapshot()
    if getattr(snapshot, "from_auto_update", False):
        # Downloaded prices would make output depend on when it ran.
        snapshot = data_snapshot._bundled_snapshot()
    return snapshot


def _base(value: Any) -> Decimal | None:
    """A snapshot price as a Decimal: tiered prices give their base (first-tier) rate."""
    value = getattr(value, "base", value)
    if value is None:
        return None
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
        if not amount.is_finite() or amount < 0:
            return None
        # Price fields hold 8 decimal places; finer snapshot figures are rounded.
        return amount.quantize(_PLACES) if amount != amount.quantize(_PLACES) else amount
    except ArithmeticError:
        return None


@lru_cache(maxsize=4096)
def snapshot_price(provider: Provider, model_name: str) -> Price | None:
    """The snapshot's price for ``model_name`` at ``provider``, or None if it has none."""
    provider_id = _SNAPSHOT_PROVIDER.get(provider)
    if provider_id is None:
        return None
    try:
        found_provider, info = _snapshot().find_provider_model(model_name, None, provider_id, None)
        prices = info.get_prices(_REFERENCE_TIME)
    except (LookupError, ValueError, TypeError, AttributeError):
        return None
    input_price = _base(getattr(prices, "input_mtok", None))
    if input_price is None:
        return None
    output_price = _base(getattr(prices, "output_mtok", None)) or Decimal(0)
    cached = _base(getattr(prices, "cache_read_mtok", None))
    price_id = (
        f"genai-prices@{genai_prices_version()}:{found_provider.id}/{info.id}"
        f"@{PRICE_REFERENCE_DATE.isoformat()}"
    )
    try:
        return Price(
            input_per_mtok=input_price,
            output_per_mtok=output_price,
            cached_input_per_mtok=cached,
            id=price_id[:120],
        )
    except ValueError:  # a figure outside what a spec may hold: treat as unknown
        return None


def provider_attempts(model: Model, provider_order: Sequence[Provider]) -> list[Provider]:
    """The model's providers, enabled ones first in the spec's order, then the rest."""
    first = [p for p in provider_order if p in model.providers]
    return first + [p for p in model.providers if p not in first]


def resolve_price(model: Model, provider_order: Sequence[Provider]) -> Price | None:
    """The model's price: the spec's own (given an id), else the first snapshot match."""
    if model.price is not None:
        if model.price.id is not None:
            return model.price
        return model.price.model_copy(update={"id": f"spec:{model.id}"[:120]})
    for provider in provider_attempts(model, provider_order):
        price = snapshot_price(provider, model.providers[provider] or model.id)
        if price is not None:
            return price
    return None


def missing_price_message(model: Model, provider_order: Sequence[Provider]) -> str:
    """Why ``model`` has no price, and how to give it one."""
    tried = ", ".join(
        f"{p.value} as '{model.providers[p] or model.id}'"
        for p in provider_attempts(model, provider_order)
    )
    return (
        f"no price known for model '{model.id}' (looked up {tried} in genai-prices "
        f"{genai_prices_version()}): add price: {{input_per_mtok: ..., output_per_mtok: ...}} "
        "to the model"
    )


def with_prices(spec: ProductSpec) -> ProductSpec:
    """``spec`` with every model's price resolved (models without one keep None)."""
    models = [
        model.model_copy(update={"price": resolve_price(model, spec.providers)})
        for model in spec.models
    ]
    return spec.model_copy(update={"models": models})


def _money_text(value: Decimal | None) -> str:
    return "-" if value is None else f"{value.normalize():f}"


def _price_rows(models: Iterable[Model]) -> list[str]:
    rows = []
    for model in models:
        price = model.price
        if price is None:
            rows.append(f"{model.id}|-")
            continue
        rows.append(
            "|".join(
                (
                    model.id,
                    _money_text(price.input_per_mtok),
                    _money_text(price.output_per_mtok),
                    _money_text(price.cached_input_per_mtok),
                )
            )
        )
    return sorted(rows)


def price_table_version(spec: ProductSpec) -> str:
    """A short stable hash of the resolved model prices: same prices, same string.

    Only the figures count (not where they came from, nor model order), so
    re-resolving identical prices from a newer genai-prices keeps the version.
    """
    digest = hashlib.sha256("\n".join(_price_rows(spec.models)).encode()).hexdigest()
    return f"pt-{digest[:12]}"
