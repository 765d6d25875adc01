"""The specs the update scenarios start from and change to (plain text edits, as a user makes)."""

from __future__ import annotations

from archgen.resources import blueprints_dir


def base_spec() -> str:
    """doc-qa as a FastAPI project (framework set in the text, not by --framework)."""
    text = (blueprints_dir() / "doc-qa.yaml").read_text(encoding="utf-8")
    assert "framework: flask" in text
    return text.replace("framework: flask", "framework: fastapi", 1)


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def changed_spec(text: str | None = None) -> str:
    """The agency's change: a provider, a tier, a workflow, and another billing mode."""
    text = base_spec() if text is None else text
    text = _replace(
        text,
        "providers: [anthropic, openai, google]",
        "providers: [anthropic, openai, google, deepseek]",
    )
    text = _replace(
        text,
        "models:\n",
        "models:\n"
        "  - id: deepseek-chat\n"
        "    providers: {deepseek: null}\n"
        "    context_window: 128000\n"
        "    quality: 0.76\n"
        "    latency_ms: 1800\n",
    )
    text = _replace(
        text,
        "tiers:\n",
        "tiers:\n"
        "  - name: team\n"
        "    monthly_price: 49\n"
        "    monthly_cost_cap: 15.00\n"
        "    requests_per_minute: 120\n"
        "    allowed_models: [deepseek-chat, gpt-4.1-mini]\n",
    )
    text = _replace(
        text,
        "workflows:\n",
        "workflows:\n"
        "  - name: translate\n"
        "    unit: translation\n"
        "    min_quality: 0.6\n"
        "    max_context_tokens: 16000\n"
        "    max_output_tokens: 2000\n"
        "    soft_daily_cost: 0.10\n"
        "    prompt: translate\n",
    )
    return _replace(text, "mode: prepaid_credits", "mode: hybrid")
