"""The OpenAI-compatible API, driven by the official ``openai`` SDK: an existing
client works by changing only its base URL and key."""

from __future__ import annotations

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from app.core.catalog import DEFAULT_WORKFLOW, WORKFLOWS
from tests.contract.helpers import assert_error
from tests.contract.world import MAIN_TIER, Contract, pinned_model

MESSAGES: list[ChatCompletionMessageParam] = [
    {"role": "user", "content": "Say hello to the contract suite."}
]


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
    messages: list[ChatCompletionMessageParam] = [
        {"role": "user", "content": "Stream a hello to the contract suite."}
    ]
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


TOOL = {
    "type": "function",
    "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
}


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("n", 2),
        ("tools", [TOOL]),
        ("tool_choice", "auto"),
        ("response_format", {"type": "json_object"}),
        ("logprobs", True),
        ("top_logprobs", 3),
        ("top_p", 0.5),
    ],
)
def test_parameters_this_api_cannot_honour_are_refused_by_name(
    contract: Contract, param: str, value: object
) -> None:
    # Silently answering without them would be a different answer than the client asked for.
    with pytest.raises(openai.BadRequestError) as raised:
        sdk(contract).chat.completions.create(
            model="auto", messages=MESSAGES, extra_body={param: value}
        )
    error = raised.value.body
    assert isinstance(error, dict)
    assert error["code"] == "unsupported_parameter"
    assert error["param"] == param
    assert error["type"] == "invalid_request_error"
    assert param in error["message"]
    # Streams are refused the same way, before the first byte.
    with pytest.raises(openai.BadRequestError) as streamed:
        sdk(contract).chat.completions.create(
            model="auto", messages=MESSAGES, stream=True, extra_body={param: value}
        )
    assert streamed.value.body["param"] == param  # type: ignore[index]


def test_empty_content_and_non_text_parts_are_refused_by_name(
    contract: Contract, client: httpx.Client
) -> None:
    headers = contract.key("member").headers()
    cases = [
        ([{"role": "user", "content": ""}], "empty_content", "messages[0].content"),
        (
            [{"role": "system", "content": "x"}, {"role": "user", "content": []}],
            "empty_content",
            "messages[1].content",
        ),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}],
            "unsupported_parameter",
            "messages[0].content[0].type",
        ),
    ]
    for messages, code, param in cases:
        response = client.post(
            "/v1/chat/completions", json={"model": "auto", "messages": messages}, headers=headers
        )
        error = assert_error(response, 400, code)
        assert error["param"] == param
    with pytest.raises(openai.BadRequestError) as raised:
        sdk(contract).chat.completions.create(
            model="auto", messages=[{"role": "user", "content": ""}]
        )
    assert raised.value.body["param"] == "messages[0].content"  # type: ignore[index]


def test_the_off_values_of_unserved_parameters_are_accepted(
    contract: Contract, client: httpx.Client
) -> None:
    completion = sdk(contract).chat.completions.create(
        model="auto", messages=MESSAGES, n=1, logprobs=False, response_format={"type": "text"}
    )
    assert len(completion.choices) == 1
    body = {
        "model": "auto",
        "messages": MESSAGES,
        **dict.fromkeys(("n", "tools", "tool_choice", "response_format", "logprobs"), None),
        "seed": 7,
        "user": "someone",
    }
    response = client.post(
        "/v1/chat/completions", json=body, headers=contract.key("member").headers()
    )
    assert response.status_code == 200, response.text
