"""The TCO model: a validated, priced spec in, monthly figures per scale point out.

Pure and deterministic: Decimal arithmetic at full precision, no I/O, no clock.
Rounding happens only when figures are shown (``archgen.tco.present``).

Per tier (independent of scale):

- tokens per request: ``input = round(input_fill_ratio x (max_context_tokens -
  max_output_tokens))``, ``output = round(output_fill_ratio x min(max_output_tokens,
  model's max_output_tokens))``, on the model the router picks first;
- cost per request of a workflow: ``(1 - cache hit rate) x (input x input price +
  output x output price) / 1e6``; the tier's cost per request weighs workflows by
  their share;
- LLM cost per user: ``min(requests per user x cost per request, monthly_cost_cap)``:
  the generated code refuses calls past the cap, so requests served shrink with it.

Per scale point: users per tier ``MAU x share``; revenue ``users x monthly_price``;
infrastructure from the bands; every user carries an equal share of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from archgen.spec.models import ProductSpec, TcoAssumptions, Tier
from archgen.tco.routing import call_cost, expected_model

DEFAULT_REQUESTS_PER_USER_MONTH = 100
ZERO = Decimal(0)
ONE = Decimal(1)


def _dec(value: float | int) -> Decimal:
    """A spec number as the Decimal its text says (0.1 stays 0.1)."""
    return Decimal(str(value))


def _round(value: Decimal) -> int:
    return int(value.quantize(ONE, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class WorkflowCost:
    """One workflow on one tier: the model routing picks and what a request costs."""

    workflow: str
    model: str | None  # None: no model on this tier fits the workflow
    share: Decimal  # of the tier's requests
    input_tokens: int
    output_tokens: int
    cache_hit_rate: Decimal
    cost_per_call: Decimal  # a call that reaches the provider
    cost_per_request: Decimal  # with cache hits, which cost nothing


@dataclass(frozen=True)
class TierUnit:
    """A tier's per-user economics, the same at every scale."""

    tier: str
    monthly_price: Decimal
    monthly_cost_cap: Decimal
    share: Decimal  # of MAU
    requests_per_user: int  # asked for
    workflows: tuple[WorkflowCost, ...]
    cost_per_request: Decimal
    demand_cost_per_user: Decimal  # if every request were served
    llm_cost_per_user: Decimal  # after the cap
    served_requests_per_user: Decimal

    @property
    def capped(self) -> bool:
        """True when expected usage runs into the tier's monthly cost cap."""
        return self.demand_cost_per_user > self.monthly_cost_cap


@dataclass(frozen=True)
class TierPoint:
    """One tier at one scale point (money per month)."""

    tier: str
    users: Decimal
    requests: Decimal
    revenue: Decimal
    llm_cost: Decimal
    infra_cost: Decimal  # the tier's users' share
    cost_per_user: Decimal  # LLM plus infrastructure share
    margin: Decimal | None  # (revenue - cost) / revenue; None without revenue
    max_profitable_cap: Decimal  # price - infrastructure share per user (may be < 0)


@dataclass(frozen=True)
class ScalePoint:
    """Everything at one MAU figure (money per month)."""

    mau: int
    infra_cost: Decimal
    tiers: tuple[TierPoint, ...]
    requests: Decimal
    revenue: Decimal
    llm_cost: Decimal
    total_cost: Decimal
    profit: Decimal
    margin: Decimal | None


@dataclass(frozen=True)
class CapCheck:
    """Does the tier's cap keep it profitable when a user spends all of it?"""

    tier: str
    monthly_cost_cap: Decimal
    unprofitable_at: tuple[int, ...]  # MAU points where cap > max profitable cap
    warning: str | None


@dataclass(frozen=True)
class TcoReport:
    """The whole model, ready to present."""

    assumptions: TcoAssumptions
    cache_enabled: bool
    units: tuple[TierUnit, ...]
    points: tuple[ScalePoint, ...]
    contribution_per_user: Decimal  # mix-weighted price - LLM cost per user
    break_even_users: int | None  # None: more users never cover the infrastructure
    caps: tuple[CapCheck, ...]


def infra_cost(assumptions: TcoAssumptions, mau: int) -> Decimal:
    """Infrastructure per month at ``mau``: its band's cost; past the last band, that
    band's cost for each further ``up_to_mau`` users (started)."""
    for band in assumptions.infra:
        if mau <= band.up_to_mau:
            return band.monthly_usd
    last = assumptions.infra[-1]
    steps = -(-mau // last.up_to_mau)
    return last.monthly_usd * steps


def _tier_shares(spec: ProductSpec) -> dict[str, Decimal]:
    mix = spec.tco.tier_mix
    if mix:
        return {t.name: _dec(mix.get(t.name, 0)) for t in spec.tiers}
    even = ONE / len(spec.tiers)
    return {t.name: even for t in spec.tiers}


def _workflow_costs(spec: ProductSpec, tier: Tier, cache_on: bool) -> tuple[WorkflowCost, ...]:
    tco = spec.tco
    routed = []
    for workflow in spec.workflows:
        room = max(workflow.max_context_tokens - workflow.max_output_tokens, 0)
        input_tokens = _round(_dec(tco.input_fill_ratio) * room)
        model = expected_model(spec, tier, workflow, input_tokens)
        routed.append((workflow, model, input_tokens))
    runnable = [w for w, m, _ in routed if m is not None]
    mix = tco.workflow_mix
    weights = {w.name: (_dec(mix.get(w.name, 0)) if mix else ONE) for w in runnable}
    total = sum(weights.values(), ZERO)
    out = []
    for workflow, model, input_tokens in routed:
        if model is None:
            out.append(WorkflowCost(workflow.name, None, ZERO, input_tokens, 0, ZERO, ZERO, ZERO))
            continue
        output = _round(
            _dec(tco.output_fill_ratio) * min(workflow.max_output_tokens, model.max_output_tokens)
        )
        hit = _dec(tco.cache_hit_rate) if cache_on and workflow.cache else ZERO
        per_call = call_cost(model, input_tokens, output)
        out.append(
            WorkflowCost(
                workflow=workflow.name,
                model=model.id,
                share=weights[workflow.name] / total if total else ZERO,
                input_tokens=input_tokens,
                output_tokens=output,
                cache_hit_rate=hit,
                cost_per_call=per_call,
                cost_per_request=(ONE - hit) * per_call,
            )
        )
    return tuple(out)


def tier_unit(spec: ProductSpec, tier: Tier, share: Decimal, cache_on: bool) -> TierUnit:
    """A tier's per-user economics."""
    requests = spec.tco.requests_per_user_month.get(tier.name, DEFAULT_REQUESTS_PER_USER_MONTH)
    workflows = _workflow_costs(spec, tier, cache_on)
    per_request = sum((w.share * w.cost_per_request for w in workflows), ZERO)
    demand = requests * per_request
    llm = min(demand, tier.monthly_cost_cap)
    if not any(w.share for w in workflows):
        served = ZERO  # nothing its users ask for can run on this tier
    elif demand <= llm:
        served = Decimal(requests)
    else:
        served = requests * llm / demand  # the cap refuses the rest
    return TierUnit(
        tier=tier.name,
        monthly_price=tier.monthly_price,
        monthly_cost_cap=tier.monthly_cost_cap,
        share=share,
        requests_per_user=requests,
        workflows=workflows,
        cost_per_request=per_request,
        demand_cost_per_user=demand,
        llm_cost_per_user=llm,
        served_requests_per_user=served,
    )


def _margin(revenue: Decimal, cost: Decimal) -> Decimal | None:
    return (revenue - cost) / revenue if revenue > 0 else None


def scale_point(assumptions: TcoAssumptions, units: Sequence[TierUnit], mau: int) -> ScalePoint:
    """Monthly figures at ``mau`` monthly active users."""
    infra = infra_cost(assumptions, mau)
    infra_per_user = infra / mau
    tiers = []
    for unit in units:
        users = mau * unit.share
        revenue = users * unit.monthly_price
        llm = users * unit.llm_cost_per_user
        cost_per_user = unit.llm_cost_per_user + infra_per_user
        tiers.append(
            TierPoint(
                tier=unit.tier,
                users=users,
                requests=users * unit.served_requests_per_user,
                revenue=revenue,
                llm_cost=llm,
                infra_cost=users * infra_per_user,
                cost_per_user=cost_per_user,
                margin=_margin(unit.monthly_price, cost_per_user),
                max_profitable_cap=unit.monthly_price - infra_per_user,
            )
        )
    revenue = sum((t.revenue for t in tiers), ZERO)
    llm_cost = sum((t.llm_cost for t in tiers), ZERO)
    total = llm_cost + infra
    return ScalePoint(
        mau=mau,
        infra_cost=infra,
        tiers=tuple(tiers),
        requests=sum((t.requests for t in tiers), ZERO),
        revenue=revenue,
        llm_cost=llm_cost,
        total_cost=total,
        profit=revenue - total,
        margin=_margin(revenue, total),
    )


def break_even_users(assumptions: TcoAssumptions, contribution: Decimal) -> int | None:
    """The fewest MAU whose contribution (price - LLM cost, mix-weighted) covers the
    infrastructure at that scale; None when no number of users does."""
    if contribution <= 0:
        return None
    low = 1
    for band in assumptions.infra:
        needed = max(_ceil(band.monthly_usd / contribution), low)
        if needed <= band.up_to_mau:
            return needed
        low = band.up_to_mau + 1
    # Past the last band, each further `up_to_mau` users add its cost: if its own
    # users did not cover it (cost / contribution > up_to_mau), no later step can.
    return None


def _ceil(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def _dollars(value: Decimal) -> str:
    """Money in a sentence: ``0.5`` as ``0.50``, ``12`` as ``12.00``."""
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


def _cap_check(unit: TierUnit, points: Sequence[ScalePoint]) -> CapCheck:
    above = tuple(
        p.mau
        for p in points
        for t in p.tiers
        if t.tier == unit.tier and unit.monthly_cost_cap > t.max_profitable_cap
    )
    warning = None
    if unit.monthly_price == 0:
        warning = (
            f"tier {unit.tier} has no price: each of its users may cost up to the "
            f"${_dollars(unit.monthly_cost_cap)} cap, paid for by the other tiers"
        )
    elif above:
        warning = (
            f"tier {unit.tier}: a user who spends the whole ${_dollars(unit.monthly_cost_cap)} cap "
            f"costs more than they pay at {', '.join(f'{m:,}' for m in above)} MAU; "
            "lower the cap or raise the price"
        )
    return CapCheck(unit.tier, unit.monthly_cost_cap, above, warning)


def compute_tco(spec: ProductSpec, mau: Sequence[int] | None = None) -> TcoReport:
    """The TCO model of a validated, priced ``spec`` at ``mau`` (default: the spec's)."""
    assumptions = spec.tco
    points_mau = sorted(set(mau if mau else assumptions.mau))
    cache_on = spec.cache.exact.enabled or spec.cache.semantic.enabled
    shares = _tier_shares(spec)
    units = tuple(tier_unit(spec, t, shares[t.name], cache_on) for t in spec.tiers)
    points = tuple(scale_point(assumptions, units, m) for m in points_mau)
    contribution = sum((u.share * (u.monthly_price - u.llm_cost_per_user) for u in units), ZERO)
    return TcoReport(
        assumptions=assumptions,
        cache_enabled=cache_on,
        units=units,
        points=points,
        contribution_per_user=contribution,
        break_even_users=break_even_users(assumptions, contribution),
        caps=tuple(_cap_check(u, points) for u in units),
    )
