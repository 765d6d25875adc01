"""Shared helpers for the spec tests: a small valid spec and problem lookups."""

from __future__ import annotations

import pytest

from archgen.errors import Problem, SpecError
from archgen.spec import parse_spec

SOURCE = "spec.yaml"

# Small but complete: two models on different providers, two tiers, two workflows
# (the second only runnable on the pro tier's big model).
BASE = """\
schema_version: 1
product:
  name: Test App
providers: [openai, anthropic, google]
models:
  - id: small
    providers: {openai: gpt-4.1-nano}
    context_window: 128000
    quality: 0.5
    latency_ms: 500
  - id: big
    providers: {anthropic: claude-sonnet-4-5}
    context_window: 200000
    max_output_tokens: 8192
    quality: 0.9
    latency_ms: 2000
tiers:
  - name: free
    monthly_price: 0
    monthly_cost_cap: 1
    requests_per_minute: 10
    allowed_models: [small]
  - name: pro
    monthly_price: 20
    monthly_cost_cap: 5
    requests_per_minute: 100
    allowed_models: [small, big]
workflows:
  - name: chat
    unit: message
    min_quality: 0.4
    max_context_tokens: 8000
    prompt: chat
  - name: report
    unit: report
    min_quality: 0.8
    max_context_tokens: 100000
    max_output_tokens: 4000
    prompt: report
tco:
  tier_mix: {free: 0.9, pro: 0.1}
  requests_per_user_month: {free: 10, pro: 100}
"""


def edit(old: str, new: str, text: str = BASE, count: int = 1) -> str:
    """``text`` with ``old`` replaced (which must be there, so a stale test fails loudly)."""
    assert old in text, f"{old!r} not in the spec"
    return text.replace(old, new, count)


def line_of(text: str, needle: str, nth: int = 0) -> int:
    """1-based line of the ``nth`` line containing ``needle``."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    assert len(hits) > nth, f"{needle!r} found {len(hits)} times"
    return hits[nth]


def problems_of(text: str, source: str = SOURCE) -> list[Problem]:
    """The problems ``parse_spec`` raises for ``text`` (failing if it accepts it)."""
    with pytest.raises(SpecError) as info:
        parse_spec(text, source)
    problems = info.value.problems
    assert problems, "SpecError without problems"
    return problems


def at(problems: list[Problem], path: str) -> Problem:
    """The one problem at ``path``."""
    found = [p for p in problems if p.path == path]
    assert len(found) == 1, f"{path!r}: {found or [str(p) for p in problems]}"
    return found[0]
