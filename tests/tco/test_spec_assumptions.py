"""The ``tco:`` assumptions: defaults, and bad values reported where they are."""

from __future__ import annotations

import pytest

from archgen.spec.models import TcoAssumptions
from tests.spec.spec_helpers import BASE, edit, line_of, problems_of


def test_defaults_are_the_documented_ones() -> None:
    a = TcoAssumptions()
    assert a.mau == [100, 1_000, 10_000, 100_000]
    assert (a.input_fill_ratio, a.output_fill_ratio, a.cache_hit_rate) == (0.25, 0.5, 0.1)
    assert [(b.up_to_mau, int(b.monthly_usd)) for b in a.infra] == [
        (1_000, 25),
        (10_000, 150),
        (100_000, 900),
    ]


def test_unknown_workflow_in_the_mix() -> None:
    text = edit("  tier_mix:", "  workflow_mix: {chta: 1}\n  tier_mix:")
    (problem,) = problems_of(text)
    assert problem.path == "tco.workflow_mix.chta"
    assert problem.line == line_of(text, "workflow_mix")
    assert "unknown workflow 'chta' in tco.workflow_mix (did you mean 'chat'?)" in problem.message


def test_workflow_mix_must_sum_to_one() -> None:
    text = edit("  tier_mix:", "  workflow_mix: {chat: 0.5, report: 0.4}\n  tier_mix:")
    (problem,) = problems_of(text)
    assert (problem.path, problem.message) == (
        "tco.workflow_mix",
        "workflow_mix shares must sum to 1, got 0.9",
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("input_fill_ratio", "0", "input_fill_ratio must be positive (greater than 0), got 0"),
        ("output_fill_ratio", "1.5", "output_fill_ratio must be at most 1, got 1.5"),
        ("cache_hit_rate", "1", "cache_hit_rate must be less than 1, got 1"),
    ],
)
def test_ratios_are_bounded(field: str, value: str, message: str) -> None:
    text = edit("  tier_mix:", f"  {field}: {value}\n  tier_mix:")
    (problem,) = problems_of(text)
    assert problem.path == f"tco.{field}"
    assert problem.line == line_of(text, field)
    assert problem.message == message


BANDS = (
    "  infra:\n    - {up_to_mau: 1000, monthly_usd: 50}\n    - {up_to_mau: %s, monthly_usd: %s}\n"
)


def test_infra_bands_must_ascend() -> None:
    text = BASE + BANDS % (500, 60)
    (problem,) = problems_of(text)
    assert problem.path == "tco.infra[1].up_to_mau"
    assert problem.line == line_of(text, "up_to_mau: 500")
    assert problem.message == "infra bands must ascend: up_to_mau 500 follows 1000"


def test_infra_cost_must_not_fall() -> None:
    text = BASE + BANDS % (5000, 40)
    (problem,) = problems_of(text)
    assert problem.path == "tco.infra[1].monthly_usd"
    assert problem.line == line_of(text, "up_to_mau: 5000")
    assert "must not fall as users grow: 40 for up to 5000 MAU after 50 for 1000" in problem.message
