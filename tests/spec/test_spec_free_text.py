"""Free text in the spec (product name, description): what validation refuses, and where.

Everything refused here would otherwise break, or inject into, a generated file; what
is accepted is escaped per format at render time (tests/render/test_hostile_spec_text.py).
"""

from __future__ import annotations

import pytest
from spec_helpers import BASE, at, edit, line_of, problems_of

from archgen.errors import SpecError
from archgen.spec import parse_spec
from archgen.spec.schema import spec_json_schema

# The exploit from issue 15: this name used to validate and put a variable assignment
# into the generated Makefile, which `make` then ran.
MAKEFILE_EXPLOIT = "Evil\nPYTHON = echo PWNED ...\n#"


def yaml_scalar(value: str) -> str:
    """``value`` as a double-quoted YAML scalar: printable ASCII as is, the rest escaped."""
    return (
        '"'
        + "".join(c if " " <= c <= "~" and c not in '"\\' else f"\\U{ord(c):08x}" for c in value)
        + '"'
    )


def _with(field: str, value: str, text: str = BASE) -> str:
    """``text`` with product.<field> set to ``value``."""
    if field == "name":
        return edit("  name: Test App", f"  name: {yaml_scalar(value)}", text)
    return edit("product:\n", f"product:\n  description: {yaml_scalar(value)}\n", text)


def test_the_reported_makefile_exploit_is_refused_with_its_location() -> None:
    text = _with("name", MAKEFILE_EXPLOIT)

    problem = at(problems_of(text), "product.name")

    assert problem.file == "spec.yaml"
    assert problem.line == line_of(text, "  name: ")
    assert "must be one line" in problem.message
    assert "U+000A" in problem.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Acme\r\nAI", "carriage return U+000D"),
        ("Acme\rAI", "U+000D"),
        ("Acme\u2028AI", "U+2028"),
        ("Acme\tAI", "a tab U+0009"),
        ("Acme\x1b[31mAI", "control character U+001B"),
        ("Acme\x7fAI", "U+007F"),
        ("Acme\x85AI", "U+0085"),
        ("Acme \u202eIA", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("Acme\u2066AI", "U+2066"),
        ("Acme\ufeffAI", "U+FEFF"),
        ("Acme\ue000AI", "U+E000"),
    ],
)
@pytest.mark.parametrize("field", ["name", "description"])
def test_control_line_break_and_invisible_characters_are_refused(
    field: str, value: str, expected: str
) -> None:
    text = _with(field, value)

    problem = at(problems_of(text), f"product.{field}")

    assert problem.line is not None
    assert expected in problem.message
    # The message never carries the raw character to the terminal.
    assert all(c not in str(problem) for c in "\r\x1b\x7f\u202e\u2066")


@pytest.mark.parametrize("field", ["name", "description"])
@pytest.mark.parametrize("value", ["Ask {{ question }} here", "{{x}}", "a {{  user_name }}"])
def test_double_brace_placeholders_are_refused_where_text_reaches_prompt_files(
    field: str, value: str
) -> None:
    problem = at(problems_of(_with(field, value)), f"product.{field}")

    assert "prompt files" in problem.message
    assert "{{" in problem.message


def test_html_tags_are_refused_in_the_name_only() -> None:
    problem = at(problems_of(_with("name", "Acme</title><script>x()</script>")), "product.name")
    assert "'<' or '>'" in problem.message

    spec = parse_spec(_with("description", "Fast <b>and</b> cheap"), "spec.yaml")
    assert spec.product.description == "Fast <b>and</b> cheap"


@pytest.mark.parametrize(
    "value",
    [
        "Acme ${x} $${y} {{ not a placeholder }} {x} {{",
        "Café Помощник 日本語 عربي \U0001f600 \U0001d400",
        # Zero-width (non-)joiners spell words (Persian "half-space") and emoji.
        "\u0646\u06cc\u0645\u200c\u0641\u0627\u0635\u0644\u0647 \U0001f469\u200d\U0001f4bb",
        "Evil \\",
        "`code` *bold* _it_ [link](x) | # $5 & co; 'quotes' \"double\"",
        "PYTHON = echo PWNED $(shell id) ; rm -rf / #",
    ],
)
def test_printable_text_is_accepted_as_written(value: str) -> None:
    spec = parse_spec(_with("description", value, _with("name", value)), "spec.yaml")

    assert spec.product.name == value
    assert spec.product.description == value


def test_leading_and_trailing_whitespace_is_trimmed_not_refused() -> None:
    spec = parse_spec(_with("name", "\n  Acme AI \n"), "spec.yaml")

    assert spec.product.name == "Acme AI"


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("  - id: small", "  - id: sm\u00e5ll", "models[0].id"),
        ("  - id: small", "  - id: s\U0001d400", "models[0].id"),
        ("{openai: gpt-4.1-nano}", "{openai: gpt-\u0430}", "models[0].providers.openai"),
        ("unit: message", "unit: m\u00e9ssage", "workflows[0].unit"),
        ("name: free", "name: fr\u00e9e", "tiers[0].name"),
    ],
)
def test_identifiers_and_ids_are_ascii(old: str, new: str, path: str) -> None:
    problem = at(problems_of(edit(old, new)), path)

    assert problem.line is not None
    assert "must be" in problem.message


def test_messages_show_hidden_characters_escaped() -> None:
    text = edit("unit: message", 'unit: "msg\\u202e\\u001b[2J"')

    problem = at(problems_of(text), "workflows[0].unit")

    assert "\\u202e\\x1b[2J" in problem.message
    assert "\x1b" not in problem.message and "\u202e" not in problem.message


def test_the_schema_documents_the_allowed_characters() -> None:
    defs = spec_json_schema()["$defs"]

    name = defs["Product"]["properties"]["name"]["description"]
    description = defs["Product"]["properties"]["description"]["description"]
    assert "One line of printable Unicode text" in name and "'<' or '>'" in name
    assert "One line of printable Unicode text" in description
    unit = defs["Workflow"]["properties"]["unit"]
    assert "ASCII letters" in unit["description"]
    assert "ASCII" in defs["Model"]["properties"]["id"]["description"]
    assert "ASCII" in defs["Tier"]["properties"]["name"]["description"]


def test_every_refusal_is_a_spec_error_never_a_crash() -> None:
    for value in ("\x00", "\ud800", "a\u0085b", "\U000e0001"):
        with pytest.raises(SpecError) as info:
            parse_spec(_with("name", value), "spec.yaml")
        assert all(p.line is not None for p in info.value.problems)


def test_problem_paths_and_messages_never_carry_raw_control_characters() -> None:
    text = edit("  name: Test App", '  name: Test App\n  "na\\u202eme\\x1b[2J": 1')

    [problem] = problems_of(text)

    assert problem.path == "product['na\\u202eme\\x1b[2J']"
    assert "unknown key 'na\\u202eme\\x1b[2J'" in problem.message
    assert str(problem).isprintable()
