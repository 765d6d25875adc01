"""The TCO model against a spreadsheet worked by hand.

Worked example (``worked.py``), every figure USD:

chat     input = 0.5 x (10,000 - 1,000) = 4,500 tokens; output = 0.5 x 1,000 = 500
report   input = 0.5 x (50,000 - 4,000) = 23,000;      output = 0.5 x min(4,000, 8,192) = 2,000

free     allows `cheap` only: chat on cheap; report needs quality 0.8 -> no route, so
         chat takes all free requests (0.75 renormalised to 1).
         chat per call  = (4,500 x 1 + 500 x 2) / 1e6 = 0.0055
         per request    = (1 - 0.2 cache hits) x 0.0055 = 0.0044
         per user       = 50 x 0.0044 = 0.22 (under the 0.50 cap)
pro      chat: worst cases cheap (4,500 x 1 + 1,000 x 2) / 1e6 = 0.0065 vs smart
         (4,500 x 3 + 1,000 x 15) / 1e6 = 0.0285 -> cheap, 0.0044 per request as above
         report on smart: (23,000 x 3 + 2,000 x 15) / 1e6 = 0.099, cache off
         per request    = 0.75 x 0.0044 + 0.25 x 0.099 = 0.02805
         demand         = 400 x 0.02805 = 11.22 > cap 5 -> 5 per user,
         served         = 400 x 5 / 11.22 = 178.2531... requests

MAU      infra  revenue        LLM                         total    profit   margin
100      50     20 x 20 = 400  80 x 0.22 + 20 x 5 = 117.6  167.6    232.4    0.581
1,000    50     4,000          176 + 1,000 = 1,176         1,226    2,774    0.6935
20,000   2 x 200 (past the last band, per 10,000 started) = 400
                80,000         3,520 + 20,000 = 23,520     23,920   56,080   0.701

contribution per user = 0.8 x (0 - 0.22) + 0.2 x (20 - 5) = 2.824
break-even = ceil(50 / 2.824) = 18 MAU (within the first band)
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from archgen.spec.models import InfraBand, Routing, RoutingStrategy, TcoAssumptions
from archgen.tco import compute_tco
from archgen.tco.model import break_even_users, infra_cost
from tests.tco.worked import WORKED, worked_spec


def test_per_request_costs_follow_the_routers_first_choice() -> None:
    report = compute_tco(worked_spec())
    free, pro = report.units
    (chat, report_wf) = free.workflows
    assert (chat.model, chat.input_tokens, chat.output_tokens) == ("cheap", 4500, 500)
    assert chat.cost_per_call == D("0.0055")
    assert chat.cost_per_request == D("0.0044")
    assert chat.share == 1
    assert report_wf.model is None and report_wf.share == 0
    assert free.llm_cost_per_user == D("0.22") and not free.capped

    pro_chat, pro_report = pro.workflows
    assert pro_chat.model == "cheap" and pro_chat.share == D("0.75")
    assert (pro_report.model, pro_report.input_tokens, pro_report.output_tokens) == (
        "smart",
        23000,
        2000,
    )
    assert pro_report.cost_per_request == D("0.099")
    assert pro.cost_per_request == D("0.02805")
    assert pro.demand_cost_per_user == D("11.22")
    assert pro.llm_cost_per_user == D(5) and pro.capped
    assert round(pro.served_requests_per_user, 4) == D("178.2531")


@pytest.mark.parametrize(
    ("mau", "infra", "revenue", "llm", "total", "margin"),
    [
        (100, "50", "400", "117.6", "167.6", "0.581"),
        (1000, "50", "4000", "1176", "1226", "0.6935"),
        (20000, "400", "80000", "23520", "23920", "0.701"),
    ],
)
def test_scale_points(
    mau: int, infra: str, revenue: str, llm: str, total: str, margin: str
) -> None:
    point = next(p for p in compute_tco(worked_spec()).points if p.mau == mau)
    assert point.infra_cost == D(infra)
    assert point.revenue == D(revenue)
    assert point.llm_cost == D(llm)
    assert point.total_cost == D(total)
    assert point.margin == D(margin)


def test_tier_figures_at_100_mau() -> None:
    point = compute_tco(worked_spec()).points[0]
    free, pro = point.tiers
    assert (free.users, pro.users) == (D(80), D(20))
    assert free.cost_per_user == D("0.72")  # 0.22 LLM + 50 / 100 infrastructure
    assert free.margin is None and free.max_profitable_cap == D("-0.5")
    assert pro.cost_per_user == D("5.5")
    assert pro.margin == D("0.725")  # (20 - 5.5) / 20
    assert pro.max_profitable_cap == D("19.5")


def test_break_even_and_caps() -> None:
    report = compute_tco(worked_spec())
    assert report.contribution_per_user == D("2.824")
    assert report.break_even_users == 18
    free_cap, pro_cap = report.caps
    assert free_cap.warning is not None and "free" in free_cap.warning
    assert pro_cap.warning is None and pro_cap.unprofitable_at == ()


def test_a_cap_above_what_a_tier_earns_is_warned_about() -> None:
    spec = worked_spec(WORKED.replace("monthly_cost_cap: 5", "monthly_cost_cap: 19.8"))
    pro_cap = compute_tco(spec).caps[1]
    # Highest profitable cap: 20 - 50/100 = 19.5 at 100 MAU, 19.95 at 1,000, 19.98 at 20,000.
    assert pro_cap.unprofitable_at == (100,)
    assert pro_cap.warning is not None and "100 MAU" in pro_cap.warning


def test_cascade_keeps_spec_order_whatever_it_costs() -> None:
    spec = worked_spec()
    smart_first = list(reversed(spec.models))
    cheap_first = compute_tco(spec.model_copy(update={"models": smart_first}))
    assert cheap_first.units[1].workflows[0].model == "cheap"  # cost_optimized ignores order
    cascade = spec.model_copy(
        update={"models": smart_first, "routing": Routing(strategy=RoutingStrategy.cascade)}
    )
    pro_chat = compute_tco(cascade).units[1].workflows[0]
    assert pro_chat.model == "smart"
    assert pro_chat.cost_per_call == D("0.021")  # (4,500 x 3 + 500 x 15) / 1e6


def test_mau_override_and_defaults() -> None:
    report = compute_tco(worked_spec(), [5000, 50])
    assert [p.mau for p in report.points] == [50, 5000]
    assert report.points[1].infra_cost == D(200)


def test_infra_bands_step_past_the_last() -> None:
    a = TcoAssumptions(infra=[InfraBand(up_to_mau=100, monthly_usd=D(10))])
    assert [infra_cost(a, n) for n in (1, 100, 101, 200, 201)] == [10, 10, 20, 20, 30]


@pytest.mark.parametrize(
    ("contribution", "expected"),
    [("0.06", 834), ("0.05", 1000), ("0.04", None), ("0", None), ("-1", None)],
)
def test_break_even_users(contribution: str, expected: int | None) -> None:
    a = TcoAssumptions(infra=[InfraBand(up_to_mau=1000, monthly_usd=D(50))])
    assert break_even_users(a, D(contribution)) == expected


def test_break_even_in_a_later_band() -> None:
    a = TcoAssumptions(
        infra=[
            InfraBand(up_to_mau=100, monthly_usd=D(10)),
            InfraBand(up_to_mau=1000, monthly_usd=D(50)),
        ]
    )
    assert break_even_users(a, D("0.5")) == 20  # 10 / 0.5, within the first band
    # 10 / 0.08 = 125 users are past the first band; there 50 / 0.08 = 625 are needed.
    assert break_even_users(a, D("0.08")) == 625
    # 50 / 0.04 = 1,250 is past the last band, where every 1,000 users cost 50 more.
    assert break_even_users(a, D("0.04")) is None


def test_a_tier_that_can_run_nothing_asked_of_it_serves_nothing() -> None:
    spec = worked_spec(WORKED.replace("{chat: 0.75, report: 0.25}", "{chat: 0, report: 1}"))
    free, pro = compute_tco(spec).units
    # Free users only ask for reports, which no free model can write.
    assert free.served_requests_per_user == 0 and free.llm_cost_per_user == 0
    assert [w.share for w in pro.workflows] == [0, 1]
    assert pro.cost_per_request == D("0.099")
