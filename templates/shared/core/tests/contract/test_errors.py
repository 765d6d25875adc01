"""Every failure answers with the one JSON error shape and the right status."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from app.core.catalog import MODELS, WORKFLOWS
from tests.contract.helpers import assert_error, chat_body
from tests.contract.world import MAIN_TIER, SMALL_TIER, Contract, smallest_context_workflow


def test_400_malformed_json(contract: Contract, client: httpx.Client) -> None:
    response = client.post(
        "/v1/chat",
        content=b'{"messages": [',
        headers={**contract.key("owner").headers(), "Content-Type": "application/json"},
    )
    assert_error(response, 400, "malformed_json")


def test_401_missing_key(client: httpx.Client) -> None:
    error = assert_error(client.post("/v1/chat", json=chat_body()), 401, "missing_api_key")
    assert "Bearer" in error["message"]


def test_401_unknown_key(client: httpx.Client) -> None:
    headers = {"Authorization": "Bearer sk_not-a-real-key"}
    response = client.get("/v1/models", headers=headers)
    assert_error(response, 401, "invalid_api_key")
    assert response.headers["www-authenticate"] == "Bearer"


def test_401_malformed_authorization(contract: Contract, client: httpx.Client) -> None:
    headers = {"Authorization": f"Basic {contract.key('owner').token}"}
    assert_error(client.get("/v1/usage", headers=headers), 401, "invalid_authorization")


def test_402_cap_reached_before_any_call(contract: Contract, client: httpx.Client) -> None:
    response = client.post("/v1/chat", json=chat_body(), headers=contract.key("broke").headers())
    error = assert_error(response, 402)
    assert error["code"] in ("cap_exceeded", "credits_exhausted")


def test_403_owner_and_operator_only(contract: Contract, client: httpx.Client) -> None:
    member = contract.key("member").headers()
    assert_error(client.get("/v1/keys", headers=member), 403, "owner_only")
    owner = contract.key("owner").headers()
    response = client.post("/v1/credits", json={"amount_usd": "5"}, headers=owner)
    assert_error(response, 403, "operator_only")
    response = client.post("/v1/prompts", json={"name": "x", "text": "y"}, headers=owner)
    assert_error(response, 403, "operator_only")


def test_403_model_the_tier_does_not_allow(contract: Contract, client: httpx.Client) -> None:
    extra = [m for m in MAIN_TIER.allowed_models if m not in SMALL_TIER.allowed_models]
    if not extra:
        return  # one tier only: nothing to refuse
    response = client.post(
        "/v1/chat", json=chat_body(model=extra[0]), headers=contract.key("small").headers()
    )
    assert_error(response, 403, "model_not_allowed")


def test_404_unknown_workflow_model_prompt_and_route(
    contract: Contract, client: httpx.Client
) -> None:
    owner = contract.key("owner").headers()
    response = client.post("/v1/chat", json=chat_body(workflow="no_such_flow"), headers=owner)
    assert_error(response, 404, "unknown_workflow")
    response = client.post("/v1/chat", json=chat_body(model="no-such-model"), headers=owner)
    assert_error(response, 404, "unknown_model")
    assert "no-such-model" not in MODELS
    response = client.post(
        "/v1/prompts",
        json={"name": "no_such_prompt", "text": "x"},
        headers=contract.key("operator").headers(),
    )
    assert_error(response, 404, "unknown_prompt")
    assert_error(client.get("/v1/nothing-here", headers=owner), 404, "not_found")


def test_405_wrong_method(contract: Contract, client: httpx.Client) -> None:
    assert_error(client.delete("/v1/credits", headers=contract.key("owner").headers()), 405)


def test_413_declared_body_too_large(contract: Contract, client: httpx.Client) -> None:
    body = b"x" * (contract.max_body_bytes + 1)
    response = client.post(
        "/v1/chat",
        content=body,
        headers={**contract.key("owner").headers(), "Content-Type": "application/json"},
    )
    error = assert_error(response, 413, "body_too_large")
    assert error["details"]["max_bytes"] == contract.max_body_bytes


def test_413_chunked_body_too_large(contract: Contract, client: httpx.Client) -> None:
    piece = b"x" * 8192
    count = contract.max_body_bytes // len(piece) + 2

    def chunks() -> Iterator[bytes]:
        # A generator body has no length: httpx sends it chunked.
        for _ in range(count):
            yield piece

    response = client.post(
        "/v1/chat",
        content=chunks(),
        headers={**contract.key("owner").headers(), "Content-Type": "application/json"},
    )
    assert_error(response, 413, "body_too_large")


def test_413_context_larger_than_the_workflow_allows(
    contract: Contract, client: httpx.Client
) -> None:
    workflow = WORKFLOWS[smallest_context_workflow()]
    text = "word " * (workflow.max_context_tokens + 1000)
    response = client.post(
        "/v1/chat",
        json=chat_body(text, workflow=workflow.name),
        headers=contract.key("owner").headers(),
    )
    assert_error(response, 413, "context_too_large")


def test_415_wrong_content_type(contract: Contract, client: httpx.Client) -> None:
    response = client.post(
        "/v1/chat",
        content=b"messages=hello",
        headers={
            **contract.key("owner").headers(),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert_error(response, 415, "unsupported_media_type")


def test_422_invalid_fields_are_all_named(contract: Contract, client: httpx.Client) -> None:
    response = client.post(
        "/v1/chat",
        json={"messages": [{"role": "robot", "content": ""}], "temperature": 9},
        headers=contract.key("owner").headers(),
    )
    error = assert_error(response, 422, "invalid_fields")
    fields = {problem["field"] for problem in error["fields"]}
    assert {"messages.0.role", "messages.0.content", "temperature"} <= fields


def test_422_missing_body(contract: Contract, client: httpx.Client) -> None:
    response = client.post(
        "/v1/chat",
        content=b"",
        headers={**contract.key("owner").headers(), "Content-Type": "application/json"},
    )
    error = assert_error(response, 422, "invalid_fields")
    assert error["fields"][0]["field"] == "body"


def test_422_a_body_that_is_not_an_object(contract: Contract, client: httpx.Client) -> None:
    headers = {**contract.key("owner").headers(), "Content-Type": "application/json"}
    for body in (b"null", b"[]", b'"text"'):
        error = assert_error(client.post("/v1/chat", content=body, headers=headers), 422)
        assert [f["field"] for f in error["fields"]] == ["body"], error


def test_429_rate_limited_with_retry_after(contract: Contract, client: httpx.Client) -> None:
    headers = contract.key("slow").headers()
    statuses = [client.post("/v1/chat", json=chat_body(), headers=headers) for _ in range(3)]
    assert [r.status_code for r in statuses[:2]] == [200, 200], [r.text for r in statuses]
    limited = statuses[2]
    assert_error(limited, 429, "rate_limited")
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["ratelimit-limit"] == "2"
    assert limited.headers["ratelimit-remaining"] == "0"
    assert statuses[0].headers["ratelimit-remaining"] == "1"
    # Reading usage is not a model call: it reports the bucket without counting.
    usage = client.get("/v1/usage", headers=headers)
    assert usage.status_code == 200 and usage.headers["ratelimit-remaining"] == "0"


def test_checks_run_in_the_same_order_in_both_apps(
    contract: Contract, client: httpx.Client
) -> None:
    # Body syntax, then the key, then the content type, then the fields.
    json_type = {"Content-Type": "application/json"}
    assert_error(client.post("/v1/chat", content=b"{", headers=json_type), 400)
    assert_error(client.post("/v1/chat", content=b"x", headers={"Content-Type": "text/plain"}), 401)
    owner = contract.key("owner").headers()
    response = client.post(
        "/v1/chat", content=b"x", headers={**owner, "Content-Type": "text/plain"}
    )
    assert_error(response, 415)


def test_debug_flags_in_bodies_are_ignored(contract: Contract, client: httpx.Client) -> None:
    body = chat_body(debug=True, test=True, mock_response="pwned", provider="evil", cost_usd=0)
    response = client.post("/v1/chat", json=body, headers=contract.key("member").headers())
    assert response.status_code == 200, response.text
    assert "pwned" not in response.text
