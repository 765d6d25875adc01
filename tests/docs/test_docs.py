"""The docs layer: every blueprint's decision records and TCO model, rendered and checked."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from pymarkdown.api import PyMarkdownApi
from typer.testing import CliRunner

from archgen.cli import app
from archgen.render import RenderedProject, render_project
from archgen.resources import blueprints_dir
from archgen.spec import ProductSpec, load_spec
from archgen.tco.present import number, percent, usd
from tests.docs.mermaid import mermaid_blocks, parse_xychart
from tests.render.projects import BLUEPRINTS, FRAMEWORKS, rendered

# Stable numbers: a record never changes its number or file name.
ADRS = {
    "0001": "0001-spec-is-the-source.md",
    "0002": "0002-web-framework.md",
    "0003": "0003-services-written-once.md",
    "0004": "0004-database-and-scale-path.md",
    "0005": "0005-tenant-isolation.md",
    "0006": "0006-provider-cascade.md",
    "0007": "0007-routing-strategy.md",
    "0008": "0008-response-caching.md",
    "0009": "0009-usage-metering.md",
    "0010": "0010-billing-mode.md",
    "0011": "0011-caps-and-rate-limits.md",
    "0012": "0012-prompt-versioning.md",
}
MADR_SECTIONS = (
    "## Context and problem statement",
    "## Considered options",
    "## Decision outcome",
    "## Consequences",
)


def spec_of(blueprint: str) -> ProductSpec:
    return load_spec(blueprints_dir() / f"{blueprint}.yaml")


def text(project: RenderedProject, path: str) -> str:
    return project.files[path].decode("utf-8")


@pytest.fixture(params=[(b, f) for b in BLUEPRINTS for f in FRAMEWORKS], ids="-".join)
def case(request: pytest.FixtureRequest) -> tuple[ProductSpec, RenderedProject]:
    blueprint, framework = request.param
    return spec_of(blueprint), rendered(blueprint, framework)


def test_decision_records_are_numbered_stably_and_indexed(
    case: tuple[ProductSpec, RenderedProject],
) -> None:
    _, project = case
    records = sorted(
        p.removeprefix("docs/decisions/")
        for p in project.files
        if p.startswith("docs/decisions/") and p != "docs/decisions/README.md"
    )
    assert records == sorted(ADRS.values())
    index = text(project, "docs/decisions/README.md")
    for key, name in ADRS.items():
        assert f"[ADR-{key}]({name})" in index
        assert text(project, f"docs/decisions/{name}").startswith(f"# ADR-{key}: ")
    assert "(../cost/tco.md)" in index and "docs/cost/tco.md" in project.files


def test_each_record_is_madr_and_names_this_projects_choices(
    case: tuple[ProductSpec, RenderedProject],
) -> None:
    spec, project = case
    for name in ADRS.values():
        record = text(project, f"docs/decisions/{name}")
        for section in MADR_SECTIONS:
            assert section in record, f"{name} lacks {section}"
        for provider in spec.providers:
            assert f"`{provider.value}`" in record, f"{name} does not name {provider.value}"
        for tier in spec.tiers:
            assert f"`{tier.name}`" in record, f"{name} does not name tier {tier.name}"
        assert "{{" not in record and "{%" not in record


def test_records_carry_the_specs_settings(case: tuple[ProductSpec, RenderedProject]) -> None:
    spec, project = case
    adr = {key: text(project, f"docs/decisions/{name}") for key, name in ADRS.items()}
    cascade = " → ".join(f"`{p.value}`" for p in spec.providers)
    assert f"Cascade order for this project:\n{cascade}." in adr["0006"]
    threshold = spec.routing.circuit_breaker.error_threshold
    assert f"After {threshold} consecutive errors" in adr["0006"]
    assert f"`routing.strategy: {spec.routing.strategy.value}`" in adr["0007"]
    assert f"entries live {spec.cache.exact.ttl_seconds} s" in adr["0008"]
    assert f"# ADR-0010: Billing mode `{spec.billing.mode.value}`" in adr["0010"]
    if spec.billing.mode.value != "none":
        assert "`POST /v1/billing/webhook` verifies each event's" in adr["0010"]
    if spec.billing.mode.value == "stripe_metered":
        assert f"Stripe meter\n`{spec.billing.meter.event_name}`" in adr["0010"]
    for tier in spec.tiers:
        assert f"| `{tier.name}` |" in adr["0011"]
        assert f"| {tier.requests_per_minute} |" in adr["0011"]
    assert f"`database.default: {spec.database.default.value}`" in adr["0004"]
    label = "FastAPI" if project.framework.value == "fastapi" else "Flask"
    assert adr["0002"].startswith(f"# ADR-0002: {label}")


def test_the_docs_pass_the_markdown_linter(case: tuple[ProductSpec, RenderedProject]) -> None:
    _, project = case
    # Long table rows are the norm in generated reports; every other default rule applies.
    linter = PyMarkdownApi().disable_rule_by_identifier("md013")
    failures = []
    for path, content in project.files.items():
        if path.startswith("docs/") and path.endswith(".md"):
            result = linter.scan_string(content.decode("utf-8"))
            failures += [f"{path}:{f.line_number}: {f.rule_id} {f.rule_description}"
                         for f in result.scan_failures]  # fmt: skip
    assert failures == []


def test_mermaid_charts_parse(case: tuple[ProductSpec, RenderedProject]) -> None:
    _, project = case
    blocks = mermaid_blocks(text(project, "docs/cost/tco.md"))
    assert len(blocks) == 2
    charts = [parse_xychart(block) for block in blocks]
    assert all(len(chart.series[0][1]) == len(chart.categories) for chart in charts)


def _table(markdown: str, header: str) -> list[list[str]]:
    """The body rows of the Markdown table whose header row starts with ``header``."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_the_document_and_archgen_tco_json_agree(blueprint: str) -> None:
    document = text(rendered(blueprint, "fastapi"), "docs/cost/tco.md")
    result = CliRunner().invoke(app, ["tco", str(blueprints_dir() / f"{blueprint}.yaml"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)

    def money(value: str) -> str:
        return usd(Decimal(value))

    def share(value: str | None) -> str:
        return percent(None if value is None else Decimal(value))

    scale = _table(document, "| MAU | requests | revenue |")
    assert scale == [
        [
            f"{p['mau']:,}",
            number(Decimal(p["requests"])),
            money(p["revenue"]),
            money(p["llm_cost"]),
            money(p["infra_cost"]),
            money(p["total_cost"]),
            money(p["profit"]),
            share(p["gross_margin"]),
        ]
        for p in data["scale"]
    ]
    by_tier = _table(document, "| MAU | tier | users |")
    assert by_tier == [
        [
            f"{p['mau']:,}",
            t["tier"],
            number(Decimal(t["users"])),
            number(Decimal(t["requests"])),
            money(t["revenue"]),
            usd(Decimal(t["cost_per_user"]), 4),
            share(t["gross_margin"]),
            money(t["max_profitable_cap"]),
        ]
        for p in data["scale"]
        for t in p["tiers"]
    ]
    per_user = _table(document, "| tier | price | cost cap |")
    assert [(r[0], r[6]) for r in per_user] == [
        (t["tier"], money(t["llm_cost_per_user"])) for t in data["tiers"]
    ]
    per_request = _table(document, "| tier | workflow | model |")
    routed = [
        (t["tier"], w["workflow"], w["model"], usd(Decimal(w["cost_per_request"]), 6))
        for t in data["tiers"]
        for w in t["workflows"]
        if w["model"] is not None
    ]
    assert [(r[0], r[1], r[2], r[8]) for r in per_request if r[8] != "-"] == routed
    if data["break_even_users"] is not None:
        assert f"{data['break_even_users']:,} MAU" in document
    for model_id, price in data["prices"]["models"].items():
        assert f"`{price['source']}`" in document, model_id


def test_the_docs_are_deterministic() -> None:
    first = rendered("ai-saas", "fastapi")
    again = spec_of("ai-saas")
    path = blueprints_dir() / "ai-saas.yaml"
    second = render_project(again, spec_text=path.read_text(encoding="utf-8"))
    docs = {p: c for p, c in first.files.items() if p.startswith("docs/")}
    assert docs == {p: c for p, c in second.files.items() if p.startswith("docs/")}


def test_tco_numbers_reach_the_document_from_the_spec() -> None:
    document = text(rendered("doc-qa", "flask"), "docs/cost/tco.md")
    # doc-qa's pro tier runs into its $6 cap at 300 requests a month: said twice.
    assert re.search(
        r"\| pro \| \$19\.00 \| \$6\.00 \| .* \| capped \(demand \$6\.\d\d\) \|", document
    )
    assert "tier pro: expected usage" in document
