"""Properties the TCO model must keep whatever the spec says."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from archgen.spec import ProductSpec
from archgen.tco import compute_tco
from tests.tco.worked import worked_spec

BASE = worked_spec()

factors = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(50), places=2)
requests = st.integers(min_value=0, max_value=20_000)
caps = st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2)
mau = st.integers(min_value=1, max_value=2_000_000)


def scaled(spec: ProductSpec, factor: Decimal) -> ProductSpec:
    """``spec`` with every model's input and output price multiplied by ``factor``."""
    models = []
    for model in spec.models:
        price = model.price
        assert price is not None
        price = price.model_copy(
            update={
                "input_per_mtok": price.input_per_mtok * factor,
                "output_per_mtok": price.output_per_mtok * factor,
            }
        )
        models.append(model.model_copy(update={"price": price}))
    return spec.model_copy(update={"models": models})


def varied(free_requests: int, pro_requests: int, pro_cap: Decimal) -> ProductSpec:
    tco = BASE.tco.model_copy(
        update={"requests_per_user_month": {"free": free_requests, "pro": pro_requests}}
    )
    tiers = [BASE.tiers[0], BASE.tiers[1].model_copy(update={"monthly_cost_cap": pro_cap})]
    return BASE.model_copy(update={"tco": tco, "tiers": tiers})


@settings(max_examples=60, deadline=None)
@given(base=factors, rise=factors, free=requests, pro=requests, cap=caps)
def test_margin_falls_when_prices_rise(
    base: Decimal, rise: Decimal, free: int, pro: int, cap: Decimal
) -> None:
    spec = scaled(varied(free, pro, cap), base)
    before = compute_tco(spec)
    after = compute_tco(scaled(spec, 1 + rise))
    for old, new in zip(before.points, after.points, strict=True):
        assert new.total_cost >= old.total_cost
        assert old.margin is not None and new.margin is not None
        assert new.margin <= old.margin
        for old_tier, new_tier in zip(old.tiers, new.tiers, strict=True):
            assert new_tier.cost_per_user >= old_tier.cost_per_user
    assert after.contribution_per_user <= before.contribution_per_user


@settings(max_examples=60, deadline=None)
@given(points=st.lists(mau, min_size=2, max_size=6), free=requests, pro=requests, cap=caps)
def test_more_users_never_cost_less(points: list[int], free: int, pro: int, cap: Decimal) -> None:
    report = compute_tco(varied(free, pro, cap), points)
    totals = [p.total_cost for p in report.points]  # points come sorted by MAU
    assert totals == sorted(totals)
    infra = [p.infra_cost for p in report.points]
    assert infra == sorted(infra)


@settings(max_examples=40, deadline=None)
@given(free=requests, pro=requests, cap=caps)
def test_break_even_is_where_profit_turns(free: int, pro: int, cap: Decimal) -> None:
    spec = varied(free, pro, cap)
    users = compute_tco(spec).break_even_users
    if users is None:
        return
    at = compute_tco(spec, [users]).points[0]
    assert at.profit >= 0
    if users > 1:
        assert compute_tco(spec, [users - 1]).points[0].profit < 0
