"""The billing section: the meter, credit packs, lookup keys and the fallback tier."""

from __future__ import annotations

from decimal import Decimal

from spec_helpers import BASE, SOURCE, at, edit, problems_of

from archgen.spec import parse_spec

BILLING = """\
billing:
  mode: stripe_metered
  meter: {event_name: app_usage, unit: cost_micros, markup: 1.5}
  credit_packs:
    - {name: small, credits: 10, price: 9, stripe_lookup_key: app_credits_10}
  fallback_tier: free
"""


def with_billing(billing: str = BILLING, text: str = BASE) -> str:
    text = edit(
        "    allowed_models: [small, big]\n",
        "    allowed_models: [small, big]\n    stripe_lookup_key: app_pro\n",
        text,
    )
    return text + billing


def test_billing_section_parses_with_defaults_documented() -> None:
    spec = parse_spec(with_billing(), SOURCE)
    assert spec.billing.meter.event_name == "app_usage"
    assert spec.billing.meter.price_per_unit() == Decimal("0.0000015")
    assert spec.billing.credit_packs[0].credits == Decimal(10)
    assert spec.billing.fallback_tier == "free"
    assert spec.tiers[1].stripe_lookup_key == "app_pro"
    # Omitted: a cost meter at cost, no packs, the first tier as fallback.
    bare = parse_spec(BASE, SOURCE)
    assert bare.billing.meter.unit.value == "cost_micros" and bare.billing.credit_packs == []
    assert bare.billing.fallback_tier is None


def test_unknown_fallback_tier_is_located_with_did_you_mean() -> None:
    text = with_billing(BILLING.replace("fallback_tier: free", "fallback_tier: fre"))
    problem = at(problems_of(text), "billing.fallback_tier")
    assert "unknown tier 'fre'" in problem.message and "did you mean 'free'" in problem.message


def test_a_lookup_key_names_one_price() -> None:
    text = with_billing(BILLING.replace("app_credits_10", "app_pro_usage"))
    problem = at(problems_of(text), "billing.credit_packs[0].stripe_lookup_key")
    assert problem.message == "Stripe lookup key 'app_pro_usage' is used twice"


def test_a_unit_meter_needs_its_price_and_a_cost_meter_refuses_one() -> None:
    no_price = BILLING.replace("unit: cost_micros, markup: 1.5", "unit: workflow_unit")
    assert any("needs a unit_price" in p.message for p in problems_of(with_billing(no_price)))
    priced = BILLING.replace("markup: 1.5", "unit_price: 0.01")
    assert any("priced by markup" in p.message for p in problems_of(with_billing(priced)))
    ok = BILLING.replace("unit: cost_micros, markup: 1.5", "unit: kilo_tokens, unit_price: 0.002")
    assert parse_spec(with_billing(ok), SOURCE).billing.meter.price_per_unit() == Decimal("0.002")


def test_lookup_keys_and_event_names_are_plain_identifiers() -> None:
    bad = with_billing(BILLING.replace("event_name: app_usage", "event_name: 'App Usage'"))
    at(problems_of(bad), "billing.meter.event_name")
    key = with_billing().replace("stripe_lookup_key: app_pro", "stripe_lookup_key: 'a\"b'")
    at(problems_of(key), "tiers[1].stripe_lookup_key")
