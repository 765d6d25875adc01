"""``POST /v1/chat``: a workflow run, plain and streamed (SSE), and a client that leaves."""

from __future__ import annotations

import time
import uuid

import httpx
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app.core import migrate
from app.core.catalog import DEFAULT_WORKFLOW, EXACT_CACHE_ENABLED, WORKFLOWS
from app.models import UsageEvent
from tests.contract.helpers import assert_error, chat_body, parse_sse
from tests.contract.world import Contract, pinned_model
from tests.fakes.upstream import Answer, Failure


def test_a_workflow_run_answers_in_its_units(contract: Contract, client: httpx.Client) -> None:
    response = client.post("/v1/chat", json=chat_body(), headers=contract.key("member").headers())

    assert response.status_code == 200, response.text
    body = response.json()
    workflow = WORKFLOWS[DEFAULT_WORKFLOW]
    assert body["object"] == "chat.result"
    assert body["workflow"] == workflow.name
    assert body["text"]
    assert body["prompt_version"].startswith(f"{workflow.prompt}@v")
    assert body["usage"]["unit"] == workflow.unit
    assert body["usage"]["units"] == 1
    assert body["usage"]["cost_usd"] is None  # members never see provider cost
    uuid.UUID(body["id"])


def test_owners_see_the_cost(contract: Contract, client: httpx.Client) -> None:
    response = client.post(
        "/v1/chat", json=chat_body("owner cost"), headers=contract.key("owner").headers()
    )
    assert response.status_code == 200
    assert response.json()["usage"]["cost_usd"] is not None


def test_prompt_variables_alone_are_a_request(contract: Contract, client: httpx.Client) -> None:
    # The default prompts declare no variables: an empty mapping renders the prompt as is.
    response = client.post(
        "/v1/chat", json={"variables": {}}, headers=contract.key("member").headers()
    )
    assert response.status_code == 200, response.text
    response = client.post(
        "/v1/chat", json={"variables": {"nope": "x"}}, headers=contract.key("member").headers()
    )
    assert_error(response, 422, "invalid_variables")


def test_every_response_carries_rate_limit_headers(
    contract: Contract, client: httpx.Client
) -> None:
    headers = contract.key("member").headers()
    for response in (
        client.post("/v1/chat", json=chat_body("headers"), headers=headers),
        client.get("/v1/usage", headers=headers),
        client.post("/v1/chat", json=chat_body(workflow="nope"), headers=headers),
    ):
        assert response.headers["ratelimit-limit"].isdigit(), response.headers
        assert response.headers["ratelimit-remaining"].isdigit()
        assert response.headers["ratelimit-reset"].isdigit()
        assert response.headers["ratelimit-policy"].endswith(";w=60")


def test_a_stream_sends_deltas_then_usage_and_cost(
    contract: Contract, client: httpx.Client
) -> None:
    with client.stream(
        "POST",
        "/v1/chat",
        json=chat_body("stream me", stream=True),
        headers=contract.key("owner").headers(),
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = parse_sse(response.iter_lines())

    names = [event.event for event in events]
    assert names[-1] == "end", names
    assert set(names[:-1]) == {"delta"}
    text = "".join(event.json()["text"] for event in events[:-1])
    end = events[-1].json()
    assert text
    assert end["usage"]["units"] == 1
    assert end["usage"]["output_tokens"] > 0
    assert end["usage"]["cost_usd"] is not None
    uuid.UUID(end["id"])


def test_a_streamed_answer_is_cached_for_the_next_request(
    contract: Contract, client: httpx.Client
) -> None:
    body = chat_body(f"stream then cache {uuid.uuid4()}")
    headers = contract.key("owner").headers()
    with client.stream("POST", "/v1/chat", json={**body, "stream": True}, headers=headers) as r:
        streamed = "".join(
            e.json()["text"] for e in parse_sse(r.iter_lines()) if e.event == "delta"
        )
    again = client.post("/v1/chat", json=body, headers=headers).json()
    assert again["text"] == streamed
    assert again["cached"] is (EXACT_CACHE_ENABLED and WORKFLOWS[DEFAULT_WORKFLOW].cache)


def test_a_refused_stream_is_a_plain_json_error(contract: Contract, client: httpx.Client) -> None:
    response = client.post(
        "/v1/chat", json=chat_body(stream=True), headers=contract.key("broke").headers()
    )
    assert_error(response, 402)


def _ledger(contract: Contract, workspace_id: str) -> list[UsageEvent]:
    engine = create_engine(migrate.sync_url(contract.database_url), poolclass=NullPool)
    try:
        with Session(engine) as session:
            rows = session.scalars(
                select(UsageEvent)
                .where(UsageEvent.workspace_id == uuid.UUID(workspace_id))
                .order_by(UsageEvent.created_at)
            ).all()
    finally:
        engine.dispose()
    return list(rows)


def test_an_upstream_cut_mid_stream_ends_with_an_error_event(
    contract: Contract, client: httpx.Client
) -> None:
    model = pinned_model()
    contract.upstream_calls(model)[0].push(Answer("one two three four five six", cut_after=2))
    body = chat_body("cut me", stream=True, model=model)
    with client.stream(
        "POST", "/v1/chat", json=body, headers=contract.key("stream").headers()
    ) as response:
        assert response.status_code == 200
        events = parse_sse(response.iter_lines())

    assert [e.event for e in events] == ["delta", "delta", "error"], events
    error = events[-1].json()["error"]
    assert error["status"] == 502
    assert error["code"] == "stream_interrupted"


def test_every_provider_failing_is_a_502_without_secrets(
    contract: Contract, client: httpx.Client
) -> None:
    model = pinned_model()
    for fake in contract.upstream_calls(model):
        fake.push(Failure("server_error"))
    response = client.post(
        "/v1/chat", json=chat_body("fail me", model=model), headers=contract.key("owner").headers()
    )

    error = assert_error(response, 502, "all_providers_failed")
    assert [a["outcome"] for a in error["attempts"]] == ["server_error"] * len(
        contract.upstream_calls(model)
    )
    assert "sk-fake" not in response.text and "127.0.0.1" not in response.text


def test_a_client_that_leaves_mid_stream_cancels_the_call(
    contract: Contract, client: httpx.Client
) -> None:
    key = contract.key("stream")
    model = pinned_model()
    # A long answer: whichever server runs, the stream is still going when the client leaves.
    words = tuple(f"w{i} " for i in range(20_000))
    contract.upstream_calls(model)[0].push(Answer("".join(words), chunks=words))
    body = chat_body("Tell me a long story.", stream=True, model=model)
    with client.stream("POST", "/v1/chat", json=body, headers=key.headers()) as response:
        assert response.status_code == 200
        assert next(response.iter_lines()).startswith("event: delta")
        # Leave after the first event: closing the response drops the connection.

    deadline = time.monotonic() + 10
    last: UsageEvent | None = None
    while time.monotonic() < deadline:
        rows = [row for row in _ledger(contract, key.workspace_id) if row.model == model]
        last = rows[-1] if rows else None
        if last is not None and last.outcome == "cancelled":
            break
        time.sleep(0.05)
    assert last is not None, "no ledger row"
    assert last.outcome == "cancelled", (last.outcome, last.error)
    # The partial usage: some of the answer, far from all of it.
    assert 0 < (last.output_tokens or 0) < len(words)
