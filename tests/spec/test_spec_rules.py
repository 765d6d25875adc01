"""Cross-tree rules: each reported at the right place, all of them at once."""

from __future__ import annotations

from spec_helpers import BASE, SOURCE, at, edit, line_of, problems_of

from archgen.spec import parse_spec
from archgen.spec.rules import check_spec


def test_base_spec_breaks_no_rule() -> None:
    assert check_spec(parse_spec(BASE, SOURCE)) == []


def test_duplicate_provider() -> None:
    text = edit("providers: [openai, anthropic, google]", "providers: [openai, anthropic, openai]")
    problem = at(problems_of(text), "providers[2]")
    assert problem.message == "provider 'openai' is listed twice (first at providers[0])"
    assert (problem.line, problem.column) == (4, 32)


def test_duplicate_model_id() -> None:
    text = edit("  - id: big", "  - id: small")
    problem = at(problems_of(text), "models[1].id")
    assert problem.message == "duplicate model id 'small' (first defined at models[0])"
    assert (problem.line, problem.column) == (line_of(text, "- id: small", 1), 9)


def test_duplicate_tier_name() -> None:
    text = edit("  - name: pro", "  - name: free")
    problem = at(problems_of(text), "tiers[1].name")
    assert problem.message == "duplicate tier name 'free' (first defined at tiers[0])"
    assert problem.line == line_of(text, "- name: free", 1)


def test_duplicate_workflow_name() -> None:
    text = edit("  - name: report", "  - name: chat")
    problem = at(problems_of(text), "workflows[1].name")
    assert problem.message == "duplicate workflow name 'chat' (first defined at workflows[0])"
    assert problem.line == line_of(text, "- name: chat", 1)


def test_unknown_allowed_model_with_did_you_mean() -> None:
    text = edit("allowed_models: [small, big]", "allowed_models: [small, bigg]")
    problem = at(problems_of(text), "tiers[1].allowed_models[1]")
    assert (
        problem.message == "unknown model 'bigg' (did you mean 'big'?); models defined: small, big"
    )
    assert (problem.line, problem.column) == (line_of(text, "bigg"), 29)


def test_model_listed_twice_in_a_tier() -> None:
    text = edit("allowed_models: [small, big]", "allowed_models: [small, big, small]")
    problem = at(problems_of(text), "tiers[1].allowed_models[2]")
    assert "listed twice" in problem.message


def test_model_no_enabled_provider_serves() -> None:
    text = edit("providers: [openai, anthropic, google]", "providers: [openai, google]")
    problems = problems_of(text)
    model = at(problems, "models[1].providers")
    assert model.message.startswith("no enabled provider serves model 'big'")
    assert model.line == line_of(text, "{anthropic: claude-sonnet-4-5}")
    tier = at(problems, "tiers[1].allowed_models[1]")
    assert tier.message == (
        "tier 'pro' allows model 'big', which no enabled provider serves "
        "(it needs one of: anthropic)"
    )
    assert tier.line == line_of(text, "allowed_models: [small, big]")


def test_workflow_no_tier_can_run_quality() -> None:
    text = edit("min_quality: 0.8", "min_quality: 0.95")
    problem = at(problems_of(text), "workflows[1].min_quality")
    assert problem.message == (
        "no tier can run workflow 'report': the closest model, 'big' (tier 'pro'), "
        "has quality 0.9 < min_quality 0.95"
    )
    assert problem.line == line_of(text, "min_quality: 0.95")


def test_workflow_no_tier_can_run_context() -> None:
    text = edit("max_context_tokens: 100000", "max_context_tokens: 300000")
    problem = at(problems_of(text), "workflows[1].max_context_tokens")
    assert "context_window 200000 < max_context_tokens 300000" in problem.message
    assert problem.line == line_of(text, "max_context_tokens: 300000")


def test_workflow_no_tier_can_run_output() -> None:
    text = edit("max_output_tokens: 4000", "max_output_tokens: 10000")
    problem = at(problems_of(text), "workflows[1].max_output_tokens")
    assert "max_output_tokens 8192 < the workflow's max_output_tokens 10000" in problem.message


def test_workflow_no_tier_can_run_latency() -> None:
    text = edit("    prompt: report\n", "    prompt: report\n    max_latency_ms: 1800\n")
    problem = at(problems_of(text), "workflows[1].max_latency_ms")
    assert problem.message == (
        "no tier can run workflow 'report': the closest model, 'big' (tier 'pro'), "
        "has latency_ms 2000 > max_latency_ms 1800"
    )
    assert problem.line == line_of(text, "max_latency_ms")


def test_workflow_needs_one_model_meeting_every_constraint() -> None:
    # small is fast but weak, big is strong but slow: neither alone can run it.
    text = edit("min_quality: 0.4", "min_quality: 0.6")
    text = edit("    prompt: chat\n", "    prompt: chat\n    max_latency_ms: 1000\n", text)
    problem = at(problems_of(text), "workflows[0].min_quality")
    assert "'small'" in problem.message or "'big'" in problem.message


def test_a_workflow_runnable_on_one_tier_is_fine() -> None:
    # report only runs on pro (big); free cannot run it, which is allowed.
    spec = parse_spec(BASE, SOURCE)
    assert spec.workflows[1].name == "report"


def test_tco_unknown_tiers() -> None:
    text = edit("tier_mix: {free: 0.9, pro: 0.1}", "tier_mix: {free: 0.9, por: 0.1}")
    text = edit("{free: 10, pro: 100}", "{free: 10, team: 100}", text)
    problems = problems_of(text)
    mix = at(problems, "tco.tier_mix.por")
    assert (
        mix.message == "unknown tier 'por' in tco.tier_mix (did you mean 'pro'?); tiers: free, pro"
    )
    assert (mix.line, mix.column) == (line_of(text, "tier_mix"), 25)
    requests = at(problems, "tco.requests_per_user_month.team")
    assert "unknown tier 'team'" in requests.message
    assert requests.line == line_of(text, "requests_per_user_month")


def test_tier_mix_must_sum_to_one() -> None:
    text = edit("tier_mix: {free: 0.9, pro: 0.1}", "tier_mix: {free: 0.8, pro: 0.1}")
    problem = at(problems_of(text), "tco.tier_mix")
    assert problem.message == "tier_mix shares must sum to 1, got 0.9"
    assert (problem.line, problem.column) == (line_of(text, "tier_mix"), 13)


def test_tier_mix_float_rounding_is_tolerated() -> None:
    text = edit("tier_mix: {free: 0.9, pro: 0.1}", "tier_mix: {free: 0.7, pro: 0.2, x: 0.1}")
    text = edit("  - name: pro\n", "  - name: pro\n", text)
    problems = problems_of(text)  # 'x' is no tier...
    assert [p.path for p in problems] == ["tco.tier_mix.x"]  # ...but 0.7+0.2+0.1 sums to 1


def test_rules_run_alongside_field_errors() -> None:
    text = edit("quality: 0.5", "quality: high")  # models[0] invalid
    text = edit("allowed_models: [small, big]", "allowed_models: [small, bgi]", text)
    text = edit("  - name: report", "  - name: chat", text)
    paths = {p.path for p in problems_of(text)}
    assert {"models[0].quality", "tiers[1].allowed_models[1]", "workflows[1].name"} <= paths


def test_an_invalid_model_is_still_a_known_model() -> None:
    # A typo inside model 'big' must not make tiers report 'big' as unknown.
    text = edit("latency_ms: 2000", "latency_ms: slow")
    problems = problems_of(text)
    assert [p.path for p in problems] == ["models[1].latency_ms"]


def test_a_broken_section_does_not_cascade_into_noise() -> None:
    # models is not a list: the tiers' model names cannot be judged, so no "unknown model".
    start, end = BASE.index("models:\n"), BASE.index("tiers:\n")
    text = BASE[:start] + "models: small\n" + BASE[end:]
    assert [p.path for p in problems_of(text)] == ["models"]
    # No providers at all: one problem, not "nobody serves" for every model.
    text = edit("providers: [openai, anthropic, google]", "providers: []")
    assert [p.path for p in problems_of(text)] == ["providers"]
