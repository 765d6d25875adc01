"""Hostile prompt files: refused quickly, with errors no longer than a few lines."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.services.prompts import PromptFormatError, PromptVariableError, parse_prompt

PATH = Path("app/prompts/greet/v1.md")

# The "billion laughs": ~400 bytes that stand for 9**9 strings once aliases are expanded.
LAUGHS = (
    "---\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "variables: [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "---\n"
    "Hi.\n"
)


def refused(text: str) -> str:
    """The error ``text`` gets; it must come fast and stay short."""
    started = time.perf_counter()
    with pytest.raises(PromptFormatError) as caught:
        parse_prompt(text, name="greet", version=1, path=PATH)
    assert time.perf_counter() - started < 2  # generous: the machine may be busy
    message = str(caught.value)
    assert len(message) < 600, message[:1000]
    assert str(PATH) in message
    return message


def test_yaml_aliases_and_anchors_are_refused_before_anything_is_built() -> None:
    assert len(LAUGHS.encode()) < 450
    assert "anchors and aliases" in refused(LAUGHS)
    assert "anchors and aliases" in refused("---\ndescription: &d x\n---\nHi.\n")
    # A merge key needs an alias, so it is refused the same way.
    assert "anchors and aliases" in refused("---\nvariables: {<<: *base}\n---\nHi.\n")


def test_deep_nesting_and_huge_front_matter_are_refused() -> None:
    assert "nested deeper" in refused("---\nvariables: " + "[" * 10_000 + "\n---\nHi.\n")
    huge = "---\ndescription: " + "x" * 40_000 + "\n---\nHi.\n"
    assert "front matter is larger" in refused(huge)


def test_errors_quote_a_bounded_excerpt_of_the_input() -> None:
    long_value = "w" * 5_000
    assert long_value[:200] not in refused(f"---\ntemperature: {long_value}\n---\nHi.\n")
    many = "\n".join(f"k{i}_{'z' * 100}: 1" for i in range(100))
    assert "and 95 more" in refused(f"---\n{many}\n---\nHi.\n")
    names = " ".join("${v" + str(i) + "}" for i in range(2_000))
    assert "more" in refused(f"---\nvariables: [v0]\n---\n{names}\n")
    bad_names = "[" + ", ".join(f"'bad name {i} {'q' * 300}'" for i in range(50)) + "]"
    refused(f"---\nvariables: {bad_names}\n---\nHi.\n")


def test_rendering_errors_are_bounded_too() -> None:
    prompt = parse_prompt(
        "---\nvariables: [who]\n---\nHi ${who}.\n", name="greet", version=1, path=PATH
    )
    unknown = {f"x{i}{'y' * 200}": "v" for i in range(1_000)}
    with pytest.raises(PromptVariableError) as caught:
        prompt.render({"who": "Ada", **unknown})
    assert len(str(caught.value)) < 800
