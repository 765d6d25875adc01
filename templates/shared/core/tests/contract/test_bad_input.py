"""Edges of bad input answer 400/403/422 JSON, never a 500, and never a huge body:
lone surrogates, pathological nesting, repeated tenant headers, and errors that
would echo (or expand) what the client sent."""

from __future__ import annotations

import httpx

from app.core.catalog import DEFAULT_WORKFLOW, WORKFLOWS
from app.services.api.errors import MAX_HEADER_BYTES, MAX_LISTED_FIELDS, MAX_MESSAGE_CHARS
from tests.contract.helpers import assert_error
from tests.contract.world import Contract

# The largest error body any of these may produce: a few listed fields, bounded text.
MAX_ERROR_BYTES = 16 * 1024


def json_headers(contract: Contract, key: str = "owner") -> dict[str, str]:
    return {**contract.key(key).headers(), "Content-Type": "application/json"}


def test_a_lone_surrogate_is_a_400_not_a_500(contract: Contract, client: httpx.Client) -> None:
    raw = '{"model": "auto", "messages": [{"role": "user", "content": "\\ud800"}]}'
    for path in ("/v1/chat", "/v1/chat/completions"):
        response = client.post(path, content=raw, headers=json_headers(contract))
        assert response.status_code in (400, 422), (path, response.text)
        assert_error(response, response.status_code)


def test_json_nested_past_the_parser_is_a_400(contract: Contract, client: httpx.Client) -> None:
    response = client.post("/v1/chat", content=b"[" * 100_000, headers=json_headers(contract))
    assert_error(response, 400, "malformed_json")


def test_a_repeated_tenant_header_is_refused(contract: Contract, client: httpx.Client) -> None:
    key = contract.key("owner")
    other = contract.key("other")
    for values in ((other.workspace_id, key.workspace_id), (key.workspace_id, other.workspace_id)):
        headers = [("Authorization", f"Bearer {key.token}")]
        headers += [("X-Workspace-Id", value) for value in values]
        assert_error(client.get("/v1/usage", headers=headers), 403, "tenant_mismatch")


def test_a_422_lists_a_bounded_number_of_fields(contract: Contract, client: httpx.Client) -> None:
    # 100 messages (under any list cap), each with two invalid fields.
    body = {"messages": [{"role": "nobody", "content": 1} for _ in range(100)]}
    response = client.post("/v1/chat", json=body, headers=json_headers(contract))
    error = assert_error(response, 422, "invalid_fields")
    assert len(response.content) < MAX_ERROR_BYTES
    assert len(error["fields"]) == MAX_LISTED_FIELDS
    assert len(error["message"]) <= MAX_MESSAGE_CHARS


def test_an_error_echoing_expanded_input_is_bounded(
    contract: Contract, client: httpx.Client
) -> None:
    # Each alias level repeats the last ten times: a few hundred bytes that expand
    # to 100,000 strings when echoed whole (a refusal of aliases is bounded too).
    levels = ["&a [" + ", ".join(["xxxxxxxxxx"] * 10) + "]"]
    for level, name in enumerate("bcde"):
        levels.append(f"&{name} [" + ", ".join([f"*{'abcde'[level]}"] * 10) + "]")
    text = "---\ndescription: [" + ", ".join(levels) + "]\n---\nHello.\n"
    assert len(text) < 512
    response = client.post(
        "/v1/prompts",
        # An existing prompt, so the text is parsed (an unknown name is a plain 404).
        json={"name": WORKFLOWS[DEFAULT_WORKFLOW].prompt, "text": text},
        headers=contract.key("operator").headers(),  # who may publish
    )
    assert 400 <= response.status_code < 500, response.text[:500]
    assert_error(response, response.status_code)
    assert len(response.content) < MAX_ERROR_BYTES


def test_oversized_headers_are_a_431_json(contract: Contract, client: httpx.Client) -> None:
    headers = {**contract.key("owner").headers(), "X-One": "a" * 5000, "X-Two": "b" * 5000}
    response = client.get("/v1/usage", headers=headers)
    error = assert_error(response, 431, "headers_too_large")
    assert error["details"]["max_bytes"] == MAX_HEADER_BYTES
