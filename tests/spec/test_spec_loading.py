"""Reading specs: located, human problems for field-level errors and bad files."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest
from spec_helpers import BASE, SOURCE, at, edit, line_of, problems_of

from archgen.errors import SpecError
from archgen.spec import load_spec, parse_spec
from archgen.spec.models import Framework, Provider


def test_base_spec_is_valid_and_priced() -> None:
    spec = parse_spec(BASE, SOURCE)
    assert spec.product.slug == "test-app"
    assert spec.providers == [Provider.openai, Provider.anthropic, Provider.google]
    for model in spec.models:
        assert model.price is not None
        assert isinstance(model.price.input_per_mtok, Decimal)
        assert isinstance(model.price.output_per_mtok, Decimal)
    assert isinstance(spec.tiers[0].monthly_cost_cap, Decimal)


def test_money_is_exact_decimal() -> None:
    spec = parse_spec(edit("monthly_cost_cap: 5", "monthly_cost_cap: 0.1"), SOURCE)
    assert spec.tiers[1].monthly_cost_cap == Decimal("0.1")  # not 0.1000000000000000055...


def test_unknown_key_did_you_mean_replaces_missing_key() -> None:
    text = edit("    allowed_models: [small]\n", "    alowed_models: [small]\n")
    problems = problems_of(text)
    problem = at(problems, "tiers[0].alowed_models")
    assert problem.file == SOURCE
    assert (problem.line, problem.column) == (line_of(text, "alowed_models"), 5)
    assert problem.message == "unknown key 'alowed_models' (did you mean 'allowed_models'?)"
    # The typo already explains the missing key: no second problem for it.
    assert not [p for p in problems if p.path == "tiers[0].allowed_models"]


def test_unknown_key_without_a_close_match_lists_valid_keys() -> None:
    text = edit("  name: Test App\n", "  name: Test App\n  xyzzy: 1\n")
    problem = at(problems_of(text), "product.xyzzy")
    assert problem.line == line_of(text, "xyzzy")
    assert "valid keys: name, slug, description" in problem.message


def test_wrong_type_names_what_was_found() -> None:
    text = edit("quality: 0.5", "quality: ten")
    problem = at(problems_of(text), "models[0].quality")
    assert problem.message == "expected a number, got 'ten'"
    assert (problem.line, problem.column) == (line_of(text, "quality: ten"), 14)


def test_whole_number_expected() -> None:
    text = edit("requests_per_minute: 10", "requests_per_minute: 2.5")
    problem = at(problems_of(text), "tiers[0].requests_per_minute")
    assert problem.message == "expected a whole number, got 2.5"


def test_missing_key_points_at_the_parent_mapping() -> None:
    text = edit("    latency_ms: 500\n", "")
    problem = at(problems_of(text), "models[0].latency_ms")
    assert problem.message == "missing required key 'latency_ms'"
    assert problem.line == line_of(text, "- id: small")


def test_missing_top_level_key() -> None:
    text = BASE[: BASE.index("workflows:")]
    problem = at(problems_of(text), "workflows")
    assert problem.message == "missing required key 'workflows'"
    assert problem.line == 1


def test_unknown_provider_in_the_list() -> None:
    text = edit("providers: [openai, anthropic, google]", "providers: [openai, anthropic, gogle]")
    problem = at(problems_of(text), "providers[2]")
    assert problem.message.startswith("unknown provider 'gogle' (did you mean 'google'?); known: ")
    assert "openrouter" in problem.message and "huggingface" in problem.message
    assert (problem.line, problem.column) == (line_of(text, "gogle"), 32)


def test_unknown_provider_in_a_models_map_points_at_the_key() -> None:
    text = edit("{openai: gpt-4.1-nano}", "{opnai: gpt-4.1-nano}")
    problem = at(problems_of(text), "models[0].providers.opnai")
    assert "unknown provider 'opnai' (did you mean 'openai'?)" in problem.message
    assert (problem.line, problem.column) == (line_of(text, "opnai"), 17)


def test_unknown_enum_value_with_suggestion() -> None:
    text = BASE + "framework: flsk\n"
    problem = at(problems_of(text), "framework")
    assert (
        problem.message == "unknown framework 'flsk' (did you mean 'flask'?); known: flask, fastapi"
    )


def test_every_problem_is_reported_not_just_the_first() -> None:
    text = edit("quality: 0.5", "quality: ten")
    text = edit("requests_per_minute: 100", "requests_per_minute: 0", text)
    text = edit("allowed_models: [small, big]", "allowed_models: [small, bgi]", text)
    text = edit("unit: report", "unit: report\n    colour: red", text)
    paths = {p.path for p in problems_of(text)}
    assert {
        "models[0].quality",
        "tiers[1].requests_per_minute",
        "tiers[1].allowed_models[1]",
        "workflows[1].colour",
    } <= paths


def test_problems_are_sorted_by_position() -> None:
    text = edit("quality: 0.5", "quality: ten")
    text = edit("requests_per_minute: 100", "requests_per_minute: 0", text)
    lines = [p.line for p in problems_of(text)]
    assert lines == sorted(lines)


def test_soft_warnings_not_ascending_points_at_the_culprit() -> None:
    text = edit(
        "requests_per_minute: 10\n", "requests_per_minute: 10\n    soft_warnings: [0.5, 0.4]\n"
    )
    problem = at(problems_of(text), "tiers[0].soft_warnings[1]")
    assert problem.message == (
        "soft_warnings must be strictly ascending: 0.4 is not greater than 0.5 before it"
    )
    assert (problem.line, problem.column) == (line_of(text, "soft_warnings"), 26)


@pytest.mark.parametrize("value", ["1.2", "0", "-0.1", "1"])
def test_soft_warning_out_of_range(value: str) -> None:
    text = edit(
        "requests_per_minute: 10\n", f"requests_per_minute: 10\n    soft_warnings: [0.5, {value}]\n"
    )
    problem = at(problems_of(text), "tiers[0].soft_warnings[1]")
    assert "strictly between 0 and 1" in problem.message
    assert value in problem.message


def test_non_positive_rate() -> None:
    text = edit("requests_per_minute: 10", "requests_per_minute: 0")
    problem = at(problems_of(text), "tiers[0].requests_per_minute")
    assert problem.message == (
        "requests_per_minute must be a positive rate (greater than 0), got 0"
    )
    assert problem.line == line_of(text, "requests_per_minute: 0")


@pytest.mark.parametrize(
    ("field", "old"), [("monthly_price", "monthly_price: 20"), ("monthly_cost_cap", "cap: 5")]
)
def test_negative_money(field: str, old: str) -> None:
    text = edit(old, old.split(":")[0] + ": -3")
    problem = at(problems_of(text), f"tiers[1].{field}")
    assert problem.message == f"{field} must not be negative, got -3"


def test_negative_price() -> None:
    text = edit(
        "    latency_ms: 500\n",
        "    latency_ms: 500\n    price: {input_per_mtok: -1, output_per_mtok: 2}\n",
    )
    problem = at(problems_of(text), "models[0].price.input_per_mtok")
    assert problem.message == "input_per_mtok must not be negative, got -1"
    assert problem.line == line_of(text, "price:")


def test_too_many_decimal_places() -> None:
    text = edit("monthly_cost_cap: 5", "monthly_cost_cap: 0.000000001")
    problem = at(problems_of(text), "tiers[1].monthly_cost_cap")
    assert "8 decimal places" in problem.message


def test_bad_identifier() -> None:
    text = edit("  - name: free", "  - name: Free Tier")
    problem = at(problems_of(text), "tiers[0].name")
    assert "lowercase name" in problem.message and "'Free Tier'" in problem.message


def test_text_expected_suggests_quotes() -> None:
    text = edit("unit: message", "unit: 12")
    problem = at(problems_of(text), "workflows[0].unit")
    assert problem.message.startswith("expected text, got 12")
    assert "quotes" in problem.message


def test_schema_version_newer_than_supported() -> None:
    text = edit("schema_version: 1", "schema_version: 2") + "future_feature: true\n"
    problems = problems_of(text)
    assert len(problems) == 1  # the unknown key is probably a newer feature: not reported
    problem = problems[0]
    assert problem.path == "schema_version"
    assert (problem.line, problem.column) == (1, 17)
    assert "newer than this archgen supports" in problem.message
    assert "upgrade archgen" in problem.message


def test_schema_version_zero() -> None:
    problem = at(problems_of(edit("schema_version: 1", "schema_version: 0")), "schema_version")
    assert problem.message == "schema_version must be at least 1, got 0"


# --------------------------------------------------------------------------- YAML-level


def test_duplicate_key() -> None:
    text = edit("    latency_ms: 500\n", "    latency_ms: 500\n    latency_ms: 600\n")
    problem = at(problems_of(text), "models[0].latency_ms")
    assert problem.line == line_of(text, "latency_ms: 600")
    assert problem.message == f"duplicate key 'latency_ms' (first set on line {problem.line - 1})"


def test_yaml_syntax_error_is_located() -> None:
    text = edit("allowed_models: [small]", "allowed_models: [small")
    problems = problems_of(text)
    assert len(problems) == 1
    assert problems[0].message.startswith("YAML syntax error")
    assert problems[0].line is not None
    assert problems[0].line >= line_of(text, "allowed_models: [small")


def test_tabs_get_a_hint() -> None:
    text = edit("  name: Test App", "\tname: Test App")
    problems = problems_of(text)
    assert problems[0].line == 3
    assert "tabs are not allowed" in problems[0].message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the spec is empty"),
        ("# only a comment\n", "the spec is empty"),
        ("null\n", "got null"),
        ("- a\n- b\n", "got a list"),
        ("42\n", "got 42"),
        ("just text\n", "got 'just text'"),
    ],
)
def test_the_root_must_be_a_mapping(text: str, expected: str) -> None:
    problems = problems_of(text)
    assert len(problems) == 1
    assert expected in problems[0].message
    assert problems[0].line == 1


def test_multiple_documents_are_rejected() -> None:
    problems = problems_of(BASE + "---\nproduct: {name: Other}\n")
    assert "single document" in problems[0].message


def test_alias_bomb_is_stopped_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    started = time.perf_counter()
    problems = problems_of("\n".join(lines) + "\n")
    assert time.perf_counter() - started < 5
    assert "more than" in problems[0].message and "values" in problems[0].message


def test_recursive_alias() -> None:
    problems = problems_of("product: &p {name: x, self: *p}\n")
    assert any("recursive alias" in p.message for p in problems)


def test_anchors_and_merge_keys_work() -> None:
    text = edit(
        "tiers:\n  - name: free\n    monthly_price: 0\n    monthly_cost_cap: 1\n",
        "tiers:\n  - &base\n    name: free\n    monthly_price: 0\n    monthly_cost_cap: 1\n",
    )
    text = edit(
        "  - name: pro\n    monthly_price: 20\n    monthly_cost_cap: 5\n",
        "  - <<: *base\n    name: pro\n    monthly_price: 20\n",
        text,
    )
    spec = parse_spec(text, SOURCE)
    assert spec.tiers[1].name == "pro"
    assert spec.tiers[1].monthly_cost_cap == Decimal(1)


def test_huge_int_is_a_problem_not_a_crash() -> None:
    text = edit("context_window: 128000", "context_window: " + "9" * 5000)
    problem = at(problems_of(text), "models[0].context_window")
    assert "number too long" in problem.message


def test_python_tags_are_never_constructed() -> None:
    text = edit("unit: message", "unit: !!python/object/apply:os.system ['echo hi']")
    problem = at(problems_of(text), "workflows[0].unit")
    assert "unsupported YAML tag" in problem.message


def test_explicit_core_tags() -> None:
    spec = parse_spec(edit("unit: message", "unit: !!str true"), SOURCE)
    assert spec.workflows[0].unit == "true"
    problem = at(
        problems_of(edit("latency_ms: 500", "latency_ms: !!int abc")), "models[0].latency_ms"
    )
    assert "not a valid integer" in problem.message


def test_deep_nesting() -> None:
    problems = problems_of("product: " + "[" * 500 + "]" * 500 + "\n")
    assert problems[0].line is not None


def test_nul_character() -> None:
    problems = problems_of(BASE + "\x00")
    assert "character YAML does not allow" in problems[0].message
    assert problems[0].line == BASE.count("\n") + 1


# --------------------------------------------------------------------------- files


def test_load_spec_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(BASE, encoding="utf-8")
    assert load_spec(path) == parse_spec(BASE, "anything")


def test_load_spec_accepts_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    assert load_spec(path).framework is Framework.fastapi


def test_problems_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(edit("quality: 0.5", "quality: ten"), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert {p.file for p in info.value.problems} == {str(path)}


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_bytes(b"product:\n  name: caf\xe9\n")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    (problem,) = info.value.problems
    assert (problem.line, problem.column) == (2, 12)
    assert "not UTF-8" in problem.message


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_unreadable_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "nope.yaml"
    if kind == "directory":
        path.mkdir()
    with pytest.raises(SpecError) as info:
        load_spec(path)
    (problem,) = info.value.problems
    assert problem.file == str(path)
    assert problem.message.startswith("cannot read the spec file")


def test_binary_garbage(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(SpecError):
        load_spec(path)


def test_values_copied_into_generated_code_reject_characters_that_need_escaping() -> None:
    text = edit("unit: message", 'unit: "msg\\"); import os #"')
    text = edit("providers: {openai: gpt-4.1-nano}", "providers: {openai: 'gpt<x>'}", text)
    text = edit(
        "allowed_models: [small]\n", "allowed_models: [small]\n    stripe_price_id: 'p\"1'\n", text
    )

    problems = problems_of(text)

    for path in ("workflows[0].unit", "models[0].providers.openai", "tiers[0].stripe_price_id"):
        problem = at(problems, path)
        assert problem.line is not None
        assert "ASCII letters" in problem.message  # says what is allowed, not a regex
