"""``python -m app billing setup``: the Stripe meter, products and prices the spec
names, created when missing and found when present (safe to run again).

Prices are identified by lookup key and products by fixed ids derived from the
product slug, so a second run finds everything the first one created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import stripe
from stripe.params import PriceCreateParams

from app.core.catalog import (
    BILLING_MODE,
    CREDIT_PACKS,
    METER,
    PRODUCT_NAME,
    PRODUCT_SLUG,
    TIER_LOOKUP_KEYS,
    TIERS,
)
from app.services.billing.checkout import prices_by_lookup_key, usage_lookup_key
from app.services.billing.push import METERED_MODES


@dataclass(slots=True)
class SetupReport:
    """What exists at Stripe now: lines saying what was created and what was there."""

    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)


def cents(usd: Decimal) -> Decimal:
    """USD as Stripe's ``unit_amount_decimal`` (cents, sub-cent amounts allowed)."""
    return usd * 100


async def find_meter(client: stripe.StripeClient) -> stripe.billing.Meter | None:
    """The active meter with the spec's event name, if Stripe has one."""
    meters = await client.v1.billing.meters.list_async({"status": "active", "limit": 100})
    return next((m for m in meters.data if m.event_name == METER.event_name), None)


async def setup(client: stripe.StripeClient) -> SetupReport:
    """Create what is missing at Stripe for this billing mode; report what exists."""
    report = SetupReport()
    meter_id: str | None = None
    if BILLING_MODE in METERED_MODES:
        meter = await find_meter(client)
        if meter is None:
            meter = await client.v1.billing.meters.create_async(
                {
                    "display_name": f"{PRODUCT_NAME} usage"[:250],
                    "event_name": METER.event_name,
                    "default_aggregation": {"formula": "sum"},
                    "customer_mapping": {
                        "event_payload_key": "stripe_customer_id",
                        "type": "by_id",
                    },
                    "value_settings": {"event_payload_key": "value"},
                }
            )
            report.created.append(f"meter {METER.event_name} ({meter.id})")
        else:
            report.existing.append(f"meter {METER.event_name} ({meter.id})")
        meter_id = meter.id
    wanted = _prices(meter_id)
    found = await prices_by_lookup_key(client, [key for key, _, _ in wanted])
    for key, (product_id, product_name), params in wanted:
        if key in found:
            report.existing.append(f"price {key} ({found[key].id})")
            continue
        await _ensure_product(client, product_id, product_name, report)
        price = await client.v1.prices.create_async({**params, "product": product_id})
        report.created.append(f"price {key} ({price.id})")
    return report


def _prices(meter_id: str | None) -> list[tuple[str, tuple[str, str], PriceCreateParams]]:
    """(lookup key, (product id, product name), price parameters) the spec asks for."""
    out: list[tuple[str, tuple[str, str], PriceCreateParams]] = []
    slug = PRODUCT_SLUG.replace("-", "_")
    for tier_name, key in TIER_LOOKUP_KEYS.items():
        product = (f"{slug}_{tier_name}", f"{PRODUCT_NAME} {tier_name}"[:250])
        out.append(
            (
                key,
                product,
                {
                    "currency": "usd",
                    "unit_amount_decimal": cents(TIERS[tier_name].monthly_price),
                    "recurring": {"interval": "month", "usage_type": "licensed"},
                    "lookup_key": key,
                    "nickname": f"{tier_name} monthly",
                },
            )
        )
        if meter_id is not None:
            out.append(
                (
                    usage_lookup_key(key),
                    product,
                    {
                        "currency": "usd",
                        "unit_amount_decimal": cents(METER.unit_price),
                        "recurring": {
                            "interval": "month",
                            "usage_type": "metered",
                            "meter": meter_id,
                        },
                        "lookup_key": usage_lookup_key(key),
                        "nickname": f"{tier_name} usage ({METER.unit})",
                    },
                )
            )
    for pack in CREDIT_PACKS.values():
        out.append(
            (
                pack.lookup_key,
                (f"{slug}_credits", f"{PRODUCT_NAME} credits"[:250]),
                {
                    "currency": "usd",
                    "unit_amount_decimal": cents(pack.price),
                    "lookup_key": pack.lookup_key,
                    "nickname": f"credit pack {pack.name}",
                },
            )
        )
    return out


async def _ensure_product(
    client: stripe.StripeClient, product_id: str, name: str, report: SetupReport
) -> None:
    try:
        await client.v1.products.retrieve_async(product_id)
    except stripe.InvalidRequestError as exc:
        if exc.http_status != 404:
            raise
        await client.v1.products.create_async({"id": product_id, "name": name})
        report.created.append(f"product {product_id}")
