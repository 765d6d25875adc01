"""The prompt catalogue archgen writes into a generated project (``app/prompts``)."""

from __future__ import annotations

import json
import tomllib
from types import SimpleNamespace
from typing import Any

import yaml

from archgen.render import RenderedProject
from archgen.render.prompts import (
    EXPERIMENTS_FILE,
    LOCK_FILE,
    content_sha256,
    prompt_files,
)


def _context(*workflows: tuple[str, str, str]) -> SimpleNamespace:
    return SimpleNamespace(
        product={"name": 'Acme "AI"', "description": "Summaries: fast."},
        workflows=[{"name": n, "prompt": p, "unit": u} for n, p, u in workflows],
    )


def _front_matter(text: str) -> dict[str, Any]:
    assert text.startswith("---\n")
    return yaml.safe_load(text[4 : text.index("\n---\n", 3)])


def test_one_v1_per_distinct_prompt_plus_lock_and_experiments() -> None:
    files = prompt_files(
        _context(
            ("summarize", "summarize", "summary"),
            ("tldr", "summarize", "tl;dr"),
            ("report", "research", "report"),
        )
    )

    assert sorted(files) == sorted(
        [
            "app/prompts/research/v1.md",
            "app/prompts/summarize/v1.md",
            LOCK_FILE,
            EXPERIMENTS_FILE,
        ]
    )
    shared = files["app/prompts/summarize/v1.md"]
    assert "summarize, tldr" in _front_matter(shared)["description"]
    assert "summary or tl;dr" in shared


def test_front_matter_is_valid_yaml_whatever_the_names() -> None:
    files = prompt_files(_context(("summarize", "summarize", 'a "quoted": unit')))
    text = files["app/prompts/summarize/v1.md"]

    meta = _front_matter(text)
    assert set(meta) == {"description", "variables"}
    assert meta["variables"] == []
    assert 'Acme "AI".' in text and "Summaries" not in text
    assert "${" not in text.split("\n---\n", 1)[1]  # no placeholders: no variables to pass


def test_lock_publishes_every_v1_with_its_hash() -> None:
    files = prompt_files(_context(("a", "alpha", "x"), ("b", "beta", "y")))

    lock = json.loads(files[LOCK_FILE])
    assert lock["prompts"] == {
        name: {"v1": content_sha256(files[f"app/prompts/{name}/v1.md"])}
        for name in ("alpha", "beta")
    }


def test_experiments_pin_every_prompt_to_v1() -> None:
    files = prompt_files(_context(("a", "alpha", "x"), ("b", "beta", "y")))

    assert tomllib.loads(files[EXPERIMENTS_FILE]) == {
        "alpha": {"versions": {"v1": 100}},
        "beta": {"versions": {"v1": 100}},
    }


def test_content_hash_ignores_line_endings() -> None:
    assert content_sha256("a\nb\n") == content_sha256("a\r\nb\r\n") == content_sha256("a\rb\r")
    assert content_sha256("a\nb\n") != content_sha256("a\nb")


def test_prompt_files_are_deterministic() -> None:
    context = _context(("summarize", "summarize", "summary"))

    assert prompt_files(context) == prompt_files(context)


def test_rendered_projects_carry_the_catalogue(project: RenderedProject) -> None:
    spec = yaml.safe_load(project.files["archgen.yaml"])
    prompts = {w["prompt"] for w in spec["workflows"]}
    lock = json.loads(project.files[LOCK_FILE])

    assert set(lock["prompts"]) == prompts
    for name in prompts:
        text = project.files[f"app/prompts/{name}/v1.md"].decode()
        assert lock["prompts"][name]["v1"] == content_sha256(text)
    assert set(tomllib.loads(project.files[EXPERIMENTS_FILE].decode())) == prompts


def test_the_product_description_is_not_pasted_into_the_system_prompt() -> None:
    files = prompt_files(_context(("summarize", "summarize", "summary")))
    text = files["app/prompts/summarize/v1.md"]
    assert "Summaries: fast." not in text
    assert 'You are the assistant behind Acme "AI".' in text


def test_a_workflow_with_a_collection_is_told_to_answer_from_its_sources() -> None:
    context = _context(("ask", "ask", "answer"), ("triage", "triage", "ticket"))
    context.workflows[0]["collection"] = "docs"
    files = prompt_files(context)
    assert "numbered sources" in files["app/prompts/ask/v1.md"]
    assert "say so instead of guessing" in files["app/prompts/ask/v1.md"]
    assert "numbered sources" not in files["app/prompts/triage/v1.md"]
