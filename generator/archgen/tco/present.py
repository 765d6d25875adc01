"""The TCO model as data for scripts (JSON) and as formatted rows for people.

One rounding rule for everything shown: money is first rounded to micro-USD, the
figure ``archgen tco --json`` prints, and the document and the terminal tables
format that figure, so the three always agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from archgen.spec.models import ProductSpec
from archgen.spec.prices import PRICE_REFERENCE_DATE, genai_prices_version
from archgen.tco.charts import xychart
from archgen.tco.model import (
    DEFAULT_REQUESTS_PER_USER_MONTH,
    ScalePoint,
    TcoReport,
    TierUnit,
    compute_tco,
)

MICRO = Decimal("0.000001")
_PLACES = {2: Decimal("0.01"), 4: Decimal("0.0001"), 6: MICRO}


def amount(value: Decimal) -> Decimal:
    """Money as published: rounded half-up to micro-USD."""
    return value.quantize(MICRO, rounding=ROUND_HALF_UP)


def ratio(value: Decimal) -> Decimal:
    """A share or margin as published: four decimal places (0.8531 = 85.31%)."""
    return value.quantize(_PLACES[4], rounding=ROUND_HALF_UP)


def count(value: Decimal) -> Decimal:
    """Users and requests as published: one decimal place (expected values)."""
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def usd(value: Decimal, places: int = 2) -> str:
    """``$1,234.57``; ``places`` 4 or 6 for per-request figures."""
    shown = amount(value).quantize(_PLACES[places], rounding=ROUND_HALF_UP)
    sign = "-" if shown < 0 else ""
    return f"{sign}${abs(shown):,.{places}f}"


def percent(value: Decimal | None) -> str:
    """``85.3%``, or ``n/a`` where there is no revenue to divide by."""
    if value is None:
        return "n/a"
    return f"{ratio(value) * 100:.1f}%"


def number(value: Decimal | int) -> str:
    """``12,500`` or ``12.5``: whole numbers without decimals."""
    shown = count(Decimal(value))
    return f"{shown:,.0f}" if shown == shown.to_integral_value() else f"{shown:,.1f}"


def _share(value: float) -> str:
    """A spec fraction as a percentage, as written: 0.125 -> ``12.5%``."""
    text = f"{Decimal(str(value)) * 100:f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


def _text(value: Decimal) -> str:
    return f"{value:f}"


def _opt(value: Decimal | None) -> str | None:
    return None if value is None else _text(ratio(value))


# --------------------------------------------------------------------------- JSON


def _unit_json(unit: TierUnit) -> dict[str, Any]:
    return {
        "tier": unit.tier,
        "monthly_price": _text(amount(unit.monthly_price)),
        "monthly_cost_cap": _text(amount(unit.monthly_cost_cap)),
        "share": _text(ratio(unit.share)),
        "requests_per_user_month": unit.requests_per_user,
        "served_requests_per_user_month": _text(count(unit.served_requests_per_user)),
        "cost_per_request": _text(amount(unit.cost_per_request)),
        "demand_cost_per_user": _text(amount(unit.demand_cost_per_user)),
        "llm_cost_per_user": _text(amount(unit.llm_cost_per_user)),
        "capped": unit.capped,
        "workflows": [
            {
                "workflow": w.workflow,
                "model": w.model,
                "share": _text(ratio(w.share)),
                "input_tokens": w.input_tokens,
                "output_tokens": w.output_tokens,
                "cache_hit_rate": _text(ratio(w.cache_hit_rate)),
                "cost_per_call": _text(amount(w.cost_per_call)),
                "cost_per_request": _text(amount(w.cost_per_request)),
            }
            for w in unit.workflows
        ],
    }


def _point_json(point: ScalePoint) -> dict[str, Any]:
    return {
        "mau": point.mau,
        "requests": _text(count(point.requests)),
        "revenue": _text(amount(point.revenue)),
        "llm_cost": _text(amount(point.llm_cost)),
        "infra_cost": _text(amount(point.infra_cost)),
        "total_cost": _text(amount(point.total_cost)),
        "profit": _text(amount(point.profit)),
        "gross_margin": _opt(point.margin),
        "tiers": [
            {
                "tier": t.tier,
                "users": _text(count(t.users)),
                "requests": _text(count(t.requests)),
                "revenue": _text(amount(t.revenue)),
                "llm_cost": _text(amount(t.llm_cost)),
                "infra_cost": _text(amount(t.infra_cost)),
                "cost_per_user": _text(amount(t.cost_per_user)),
                "gross_margin": _opt(t.margin),
                "max_profitable_cap": _text(amount(t.max_profitable_cap)),
            }
            for t in point.tiers
        ],
    }


def _prices(spec: ProductSpec, report: TcoReport) -> dict[str, Any]:
    used = sorted({w.model for u in report.units for w in u.workflows if w.model is not None})
    models = {}
    for model_id in used:
        price = spec.model_by_id(model_id).price
        assert price is not None
        models[model_id] = {
            "input_per_mtok": _text(price.input_per_mtok.normalize()),
            "output_per_mtok": _text(price.output_per_mtok.normalize()),
            "source": price.id,
        }
    return {
        "reference_date": PRICE_REFERENCE_DATE.isoformat(),
        "genai_prices": genai_prices_version(),
        "models": models,
    }


def report_json(spec: ProductSpec, report: TcoReport) -> dict[str, Any]:
    """The model as JSON-able data (money as decimal strings in USD per month)."""
    a = report.assumptions
    return {
        "product": spec.product.slug,
        "routing_strategy": spec.routing.strategy.value,
        "assumptions": {
            "input_fill_ratio": a.input_fill_ratio,
            "output_fill_ratio": a.output_fill_ratio,
            "cache_hit_rate": a.cache_hit_rate if report.cache_enabled else 0.0,
            "infra": [
                {"up_to_mau": b.up_to_mau, "monthly_usd": _text(amount(b.monthly_usd))}
                for b in a.infra
            ],
        },
        "prices": _prices(spec, report),
        "tiers": [_unit_json(u) for u in report.units],
        "scale": [_point_json(p) for p in report.points],
        "contribution_per_user": _text(amount(report.contribution_per_user)),
        "break_even_users": report.break_even_users,
        "caps": [
            {
                "tier": c.tier,
                "monthly_cost_cap": _text(amount(c.monthly_cost_cap)),
                "unprofitable_at_mau": list(c.unprofitable_at),
                "warning": c.warning,
            }
            for c in report.caps
        ],
    }


# --------------------------------------------------------------------------- tables


def _source(spec: ProductSpec, field: str) -> str:
    return "spec" if field in spec.tco.model_fields_set else "default"


def assumption_rows(spec: ProductSpec, report: TcoReport) -> list[list[str]]:
    """``[assumption, value, from]`` rows."""
    a = report.assumptions
    hit = _share(a.cache_hit_rate) if report.cache_enabled else "0% (cache disabled)"
    mix = ", ".join(f"{u.tier} {percent(u.share)}" for u in report.units)
    rpu = ", ".join(f"{u.tier} {number(u.requests_per_user)}" for u in report.units)
    rpu_from = _source(spec, "requests_per_user_month")
    if any(t.name not in a.requests_per_user_month for t in spec.tiers):
        rpu_from += f" ({DEFAULT_REQUESTS_PER_USER_MONTH} for tiers not listed)"
    wmix = ", ".join(
        f"{w.name} {_share(a.workflow_mix.get(w.name, 0))}" if a.workflow_mix else w.name
        for w in spec.workflows
    )
    infra = infra_text(report)
    return [
        ["MAU points", ", ".join(f"{p.mau:,}" for p in report.points), _source(spec, "mau")],
        ["tier mix (share of MAU)", mix, _source(spec, "tier_mix")],
        ["requests per user per month", rpu, rpu_from],
        [
            "workflow mix (share of requests)",
            wmix if a.workflow_mix else f"equal shares of {wmix}",
            _source(spec, "workflow_mix"),
        ],
        [
            "input fill ratio",
            f"{_share(a.input_fill_ratio)} of max_context_tokens - max_output_tokens",
            _source(spec, "input_fill_ratio"),
        ],
        [
            "output fill ratio",
            f"{_share(a.output_fill_ratio)} of max_output_tokens",
            _source(spec, "output_fill_ratio"),
        ],
        ["cache hit rate (cached workflows)", hit, _source(spec, "cache_hit_rate")],
        ["infrastructure per month", infra, _source(spec, "infra")],
    ]


def infra_text(report: TcoReport) -> str:
    """``$25.00 up to 1,000 MAU; ...``: the infrastructure bands in words."""
    bands = report.assumptions.infra
    return "; ".join(f"{usd(b.monthly_usd)} up to {b.up_to_mau:,} MAU" for b in bands) + (
        f"; then {usd(bands[-1].monthly_usd)} per {bands[-1].up_to_mau:,} MAU started"
    )


def workflow_rows(report: TcoReport) -> list[list[str]]:
    """``[tier, workflow, model, share, input, output, cache hits, per call, per request]``."""
    rows = []
    for unit in report.units:
        for w in unit.workflows:
            if w.model is None:
                rows.append([unit.tier, w.workflow, "no route on this tier", "0%"] + ["-"] * 5)
                continue
            rows.append(
                [
                    unit.tier,
                    w.workflow,
                    w.model,
                    percent(w.share),
                    number(w.input_tokens),
                    number(w.output_tokens),
                    percent(w.cache_hit_rate),
                    usd(w.cost_per_call, 6),
                    usd(w.cost_per_request, 6),
                ]
            )
    return rows


def tier_rows(report: TcoReport) -> list[list[str]]:
    """``[tier, price, cap, share, requests/user, per request, LLM/user, note]``."""
    return [
        [
            u.tier,
            usd(u.monthly_price),
            usd(u.monthly_cost_cap),
            percent(u.share),
            number(u.served_requests_per_user),
            usd(u.cost_per_request, 6),
            usd(u.llm_cost_per_user),
            f"capped (demand {usd(u.demand_cost_per_user)})" if u.capped else "under the cap",
        ]
        for u in report.units
    ]


def scale_rows(report: TcoReport) -> list[list[str]]:
    """``[MAU, requests, revenue, LLM, infrastructure, total cost, profit, margin]``."""
    return [
        [
            f"{p.mau:,}",
            number(p.requests),
            usd(p.revenue),
            usd(p.llm_cost),
            usd(p.infra_cost),
            usd(p.total_cost),
            usd(p.profit),
            percent(p.margin),
        ]
        for p in report.points
    ]


def tier_scale_rows(report: TcoReport) -> list[list[str]]:
    """``[MAU, tier, users, requests, revenue, cost/user, margin, max profitable cap]``."""
    return [
        [
            f"{p.mau:,}",
            t.tier,
            number(t.users),
            number(t.requests),
            usd(t.revenue),
            usd(t.cost_per_user, 4),
            percent(t.margin),
            usd(t.max_profitable_cap),
        ]
        for p in report.points
        for t in p.tiers
    ]


def cap_rows(report: TcoReport) -> list[list[str]]:
    """``[tier, cap, verdict]``."""
    return [[c.tier, usd(c.monthly_cost_cap), c.warning or "profitable at every point"]
            for c in report.caps]  # fmt: skip


def break_even_text(report: TcoReport) -> str:
    """The break-even sentence, with its inputs."""
    contribution = usd(report.contribution_per_user, 4)
    if report.break_even_users is None:
        return (
            f"Never at this tier mix: an average user contributes {contribution} a month "
            "(price minus LLM cost), which does not cover the infrastructure."
        )
    return (
        f"{report.break_even_users:,} MAU: an average user contributes {contribution} a month "
        "(price minus LLM cost), and from there revenue covers LLM and infrastructure costs."
    )


def charts(report: TcoReport) -> dict[str, str]:
    """Mermaid ``xychart-beta`` blocks (without the fences)."""
    labels = [f"{p.mau:,}" for p in report.points]
    return {
        "money": xychart(
            "Revenue (line) and total cost (bars), USD per month",
            labels,
            "USD per month",
            bars=[amount(p.total_cost) for p in report.points],
            line=[amount(p.revenue) for p in report.points],
        ),
        "cost_per_user": xychart(
            "LLM cost per user per month by tier, USD",
            [u.tier for u in report.units],
            "USD per user",
            bars=[amount(u.llm_cost_per_user) for u in report.units],
        ),
    }


def tco_context(spec: ProductSpec, mau: Sequence[int] | None = None) -> dict[str, Any]:
    """Everything ``docs/cost/tco.md`` shows, formatted, plus the JSON it agrees with."""
    report = compute_tco(spec, mau)
    return {
        "json": report_json(spec, report),
        "assumptions": assumption_rows(spec, report),
        "workflows": workflow_rows(report),
        "tiers": tier_rows(report),
        "scale": scale_rows(report),
        "tier_scale": tier_scale_rows(report),
        "caps": cap_rows(report),
        "warnings": [c.warning for c in report.caps if c.warning]
        + [
            f"tier {u.tier}: expected usage ({usd(u.demand_cost_per_user)} a user) runs into "
            f"the {usd(u.monthly_cost_cap)} cap; calls past it are refused (402)"
            for u in report.units
            if u.capped
        ],
        "break_even": break_even_text(report),
        "money": {
            u.tier: {"price": usd(u.monthly_price), "cap": usd(u.monthly_cost_cap)}
            for u in report.units
        },
        "infra": infra_text(report),
        "cache_hit_rate": _share(report.assumptions.cache_hit_rate if report.cache_enabled else 0),
        "charts": charts(report),
        "price_reference_date": PRICE_REFERENCE_DATE.isoformat(),
        "genai_prices_version": genai_prices_version(),
    }
