"""`archgen new` on a real terminal (a pseudo-terminal): asks for the whole spec,
re-asks a bad answer with the validator's message, writes a canonical spec, renders."""

from __future__ import annotations

import sys
from pathlib import Path

import pexpect
from ruamel.yaml import YAML
from typer.testing import CliRunner

from archgen.cli import app


def _spawn(tmp_path: Path, *args: str) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        ["-m", "archgen", "new", *args],
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=120,
        dimensions=(40, 200),
    )


def _answer(child: pexpect.spawn, *steps: tuple[str, str]) -> None:
    for prompt, answer in steps:
        child.expect(prompt)
        child.sendline(answer)


def test_asks_for_the_whole_spec_and_writes_a_valid_one(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "--no-verify", "--out", str(tmp_path / "out"))
    _answer(
        child,
        ("Start from blueprint", "ai-saas"),
        ("Product name", "Tiny [bold]Bot[/bold]"),
        ("description", "A tiny bot."),
        ("Framework", "flask"),
        ("Providers", "openai, gogle"),  # a typo is asked again, nothing lost
        ("unknown provider gogle: choose from openrouter", "openai, anthropic"),
        ("Billing mode", "prepaid_credits"),
        ("Tiers", "free, team"),
        # free: keep the blueprint's answers
        ("monthly price", ""),
        ("monthly cost cap", ""),
        ("requests per minute", ""),
        ("allowed models", ""),
        ("Stripe price lookup key", ""),
        # team: a new tier, defaults from the blueprint's first; bad answers re-asked
        ("monthly price", "lots"),
        ("Input should be a valid decimal", "49"),
        ("monthly cost cap", "15"),
        ("requests per minute", "0"),
        ("greater than 0", "120"),
        ("allowed models", "gpt-4.1-mini, gpt-9"),
        ("unknown model gpt-9", "gpt-4.1-mini, claude-haiku-4-5"),
        ("Stripe price lookup key", "tiny team"),  # not a lookup key: asked again
        ("Stripe price lookup key", "tiny_team"),
        ("Workflows", "summarize"),
        ("unit", "digest"),
        ("minimum model quality", "1.5"),
        ("less than or equal to 1", "0.6"),
        ("max context tokens", ""),
        ("max output tokens", ""),
        ("soft daily cost", ""),
        ("prompt name", ""),
    )
    child.expect("tiny-bold-bot-bold.yaml")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0, child.before
    written = tmp_path / "tiny-bold-bot-bold.yaml"
    validated = CliRunner().invoke(app, ["validate", str(written)])
    assert validated.exit_code == 0, validated.output
    spec = YAML(typ="safe").load(written.read_text())
    assert spec["product"]["name"] == "Tiny [bold]Bot[/bold]"
    assert spec["framework"] == "flask"
    assert spec["providers"] == ["openai", "anthropic"]
    assert spec["billing"]["mode"] == "prepaid_credits"
    assert spec["billing"]["credit_packs"] == []  # the blueprint's mode differs: none kept
    assert {p for m in spec["models"] for p in m["providers"]} <= {"openai", "anthropic"}
    free, team = spec["tiers"]
    assert free["name"] == "free" and free["requests_per_minute"] == 10
    assert free["allowed_models"] == ["gpt-4.1-nano"]  # the blueprint's, served here
    assert team["name"] == "team"
    assert (team["monthly_price"], team["monthly_cost_cap"]) == (49, 15)
    assert team["requests_per_minute"] == 120
    assert team["allowed_models"] == ["gpt-4.1-mini", "claude-haiku-4-5"]
    assert team["stripe_lookup_key"] == "tiny_team" and "stripe_lookup_key" not in free
    (workflow,) = spec["workflows"]
    assert workflow["unit"] == "digest" and workflow["min_quality"] == 0.6
    assert workflow["max_context_tokens"] == 32000
    assert (tmp_path / "out" / "app" / "blueprints" / "health_bp.py").is_file()


def test_a_spec_that_breaks_a_rule_is_asked_again_not_written(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "--no-verify", "--out", str(tmp_path / "out"))
    keep = [("monthly price", ""), ("monthly cost cap", ""), ("requests per minute", "")]
    _answer(
        child,
        ("Start from blueprint", "ai-saas"),
        ("Product name", "Picky"),
        ("description", ""),
        ("Framework", ""),
        ("Providers", "openai"),
        ("Billing mode", "none"),
        ("Tiers", "free"),
        *keep,
        ("allowed models", "gpt-4.1-nano"),
        ("Workflows", "summarize"),
        ("unit", ""),
        ("minimum model quality", "0.99"),  # no allowed model is that good
        ("max context tokens", ""),
        ("max output tokens", ""),
        ("soft daily cost", ""),
        ("prompt name", ""),
    )
    child.expect("Answer the tiers and workflows again")
    assert not (tmp_path / "picky.yaml").exists()
    _answer(
        child,
        ("Tiers", ""),
        *keep,
        ("allowed models", ""),
        ("Workflows", ""),
        ("unit", ""),
        ("minimum model quality", "0.5"),
        ("max context tokens", ""),
        ("max output tokens", ""),
        ("soft daily cost", ""),
        ("prompt name", ""),
    )
    child.expect("picky.yaml")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0, child.before
    spec = YAML(typ="safe").load((tmp_path / "picky.yaml").read_text())
    assert spec["workflows"][0]["min_quality"] == 0.5
