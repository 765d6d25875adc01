"""The shipped blueprints: listed, found by name, valid, and what they promise."""

from __future__ import annotations

import pytest

from archgen.errors import UsageError
from archgen.spec import blueprint_path, list_blueprints, load_spec
from archgen.spec.models import BillingMode, Framework, Provider


def test_list_blueprints_sorted_with_summaries() -> None:
    blueprints = list_blueprints()
    names = [b.name for b in blueprints]
    assert names == sorted(names)
    assert {"ai-saas", "doc-qa", "support-agent"} <= set(names)
    for blueprint in blueprints:
        assert blueprint.path.is_file()
        assert blueprint.summary == load_spec(blueprint.path).product.description
        assert blueprint.summary


@pytest.mark.parametrize("name", ["ai-saas", "doc-qa", "support-agent", "doc-qa.yaml"])
def test_blueprint_path(name: str) -> None:
    path = blueprint_path(name)
    assert path.name == name.removesuffix(".yaml") + ".yaml"
    load_spec(path)  # every blueprint validates


def test_unknown_blueprint() -> None:
    with pytest.raises(UsageError) as info:
        blueprint_path("doc-q")
    message = info.value.message
    assert "unknown blueprint 'doc-q'" in message
    assert "(did you mean 'doc-qa'?)" in message
    assert "ai-saas, doc-qa, support-agent" in message


def test_doc_qa() -> None:
    spec = load_spec(blueprint_path("doc-qa"))
    assert spec.billing.mode is BillingMode.prepaid_credits
    assert spec.framework is Framework.flask
    assert spec.providers == [Provider.anthropic, Provider.openai, Provider.google]
    assert 2 <= len(spec.tiers) <= 3
    question = next(w for w in spec.workflows if w.name == "pdf_question")
    assert question.unit == "question"
    assert max(w.max_context_tokens for w in spec.workflows) >= 200_000  # long context


def test_support_agent() -> None:
    spec = load_spec(blueprint_path("support-agent"))
    assert spec.billing.mode is BillingMode.hybrid
    assert spec.providers == [
        Provider.openai,
        Provider.anthropic,
        Provider.deepseek,
        Provider.openrouter,
    ]
    assert [t.name for t in spec.tiers] == ["starter", "pro", "team"]
    reply = next(w for w in spec.workflows if w.name == "ticket_reply")
    assert reply.unit == "reply"


@pytest.mark.parametrize("name", ["doc-qa", "support-agent"])
def test_new_blueprints_are_priced_from_the_snapshot(name: str) -> None:
    spec = load_spec(blueprint_path(name))
    for model in spec.models:
        assert model.price is not None and model.price.id is not None
        assert model.price.id.startswith("genai-prices@"), model.id
