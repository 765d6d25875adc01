"""The OpenAI-compatible API, driven by the official ``openai`` SDK: an existing
client works by changing only its base URL and key."""

from __future__ import annotations

import httpx
import openai
import pytest

from app.core.catalog import DEFAULT_WORKFLOW, WORKFLOWS
from tests.contract.helpers import assert_error
from tests.contract.world import MAIN_TIER, Contract, pinned_model

MESSAGES = [{"role": "user", "content": "Say hello to the contract suite."}]


def sdk(contract: Contract, key: str = "member") -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{contract.base_url}/v1",
        api_key=contract.key(key).token,
        max_retries=0,
        timeout=20,
    )


def test_models_lists_auto_and_what_the_tier_allows(contract: Contract) -> None:
    ids = [model.id for model in sdk(contract).models.list()]
    assert ids[0] == "auto"
    assert set(ids[1:]) == set(MAIN_TIER.allowed_models)


def test_a_plain_completion(contract: Contract) -> None:
    completion = sdk(contract).chat.completions.create(model="auto", messages=MESSAGES)

    assert completion.object == "chat.completion"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.completion_tokens > 0
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )


def test_a_streamed_completion(contract: Contract) -> None:
    # A question of its own: a cache hit would rightly report zero tokens.
    messages = [{"role": "user", "content": "Stream a hello to the contract suite."}]
    stream = sdk(contract).chat.completions.create(
        model="auto", messages=messages, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_a_named_model_and_a_workflow_from_metadata_or_header(contract: Contract) -> None:
    client = sdk(contract)
    other = next((w for w in WORKFLOWS if w != DEFAULT_WORKFLOW), DEFAULT_WORKFLOW)
    model = pinned_model(other)
    completion = client.chat.completions.create(
        model=model, messages=MESSAGES, metadata={"workflow": other}
    )
    assert completion.model == model
    completion = client.chat.completions.create(
        model="auto", messages=MESSAGES, extra_headers={"X-Workflow": other}
    )
    assert completion.choices[0].message.content


def test_sdk_errors_are_typed(contract: Contract) -> None:
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(
            base_url=f"{contract.base_url}/v1", api_key="sk_wrong", max_retries=0
        ).models.list()
    with pytest.raises(openai.NotFoundError) as raised:
        sdk(contract).chat.completions.create(model="no-such-model", messages=MESSAGES)
    assert raised.value.body["code"] == "unknown_model"  # type: ignore[index]
    with pytest.raises(openai.APIStatusError) as refused:
        sdk(contract, "broke").chat.completions.create(model="auto", messages=MESSAGES)
    assert refused.value.status_code == 402


def test_unknown_workflow_header(contract: Contract, client: httpx.Client) -> None:
    response = client.post(
        "/v1/chat/completions",
        json={"model": "auto", "messages": MESSAGES},
        headers={**contract.key("member").headers(), "X-Workflow": "nope"},
    )
    assert_error(response, 404, "unknown_workflow")
