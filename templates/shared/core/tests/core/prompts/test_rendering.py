"""The prompt file format and strict variable rendering."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.catalog import DEFAULT_WORKFLOW, WORKFLOWS
from app.services.prompts import (
    PromptFormatError,
    PromptVariableError,
    PromptVersion,
    parse_prompt,
)

PATH = Path("app/prompts/greet/v1.md")


def parse(text: str) -> PromptVersion:
    return parse_prompt(text, name="greet", version=1, path=PATH)


def test_required_and_default_variables_render_strictly() -> None:
    prompt = parse(
        "---\nvariables: {who: null, tone: warm}\n---\nGreet ${who} in a ${ tone } way.\n"
    )

    assert prompt.render({"who": "Ada"}) == "Greet Ada in a warm way."
    assert prompt.render({"who": "Ada", "tone": "dry"}) == "Greet Ada in a dry way."
    assert prompt.render({"who": 3}) == "Greet 3 in a warm way."
    with pytest.raises(PromptVariableError, match=r"needs variable.*who"):
        prompt.render()
    with pytest.raises(PromptVariableError, match=r"does not declare.*mood"):
        prompt.render({"who": "Ada", "mood": "x"})
    with pytest.raises(PromptVariableError, match="text or a number"):
        prompt.render({"who": None})


def test_substituted_values_are_never_expanded_again() -> None:
    prompt = parse("---\nvariables: [who, tone]\n---\n${who} / ${tone} / $${who} costs $5\n")

    assert prompt.render({"who": "${tone}", "tone": "x"}) == "${tone} / x / ${who} costs $5"


def test_invalid_files_are_rejected_with_the_file_named() -> None:
    cases = {
        "Hi ${who}": "undeclared",
        "---\nvariables: [who]\n---\nHi " + "{" * 2 + " who }}.": "double-brace",
        "---\nvariables: [who]\n---\nHi.": "never used",
        "---\ncolour: red\n---\nHi.": "unknown front matter key",
        "---\ndescription: x\nHi.": "never closed",
        "---\nvariables: [who]\n---\n": "empty",
        "---\ntemperature: warm\n---\nHi.": "temperature",
        "---\n[1, 2]\n---\nHi.": "mapping",
    }
    for text, message in cases.items():
        with pytest.raises(PromptFormatError, match=message) as caught:
            parse(text)
        assert str(PATH) in str(caught.value)


def test_a_file_without_front_matter_is_all_body() -> None:
    prompt = parse("Just instructions.\n")

    assert prompt.body == "Just instructions."
    assert prompt.variables == ()
    assert prompt.ref == "greet@v1"


def test_hints_shape_the_request_within_the_workflow_limits() -> None:
    workflow = WORKFLOWS[DEFAULT_WORKFLOW]
    prompt = parse(
        "---\ntemperature: 0.3\nmax_output_tokens: 100000000\nmodel: hinted\n---\nBe brief.\n"
    )

    request = prompt.chat_request("text", workflow=workflow)
    assert request.max_output_tokens == workflow.max_output_tokens
    assert request.temperature == 0.3
    assert request.model == "hinted"
    assert [m.role for m in request.messages] == ["system", "user"]
    assert prompt.chat_request("text", workflow=workflow, model="chosen").model == "chosen"
