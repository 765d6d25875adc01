"""Observability through the real server: the request id on every response, one
structured log line per request, and Prometheus metrics for operator keys only."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

import httpx
import pytest

from app.core.flavour import run
from app.core.logging import JsonFormatter
from app.services.accounts import Accounts
from app.services.usage import TenantDatabase
from app.core.db import create_engine_for
from tests.contract.helpers import chat_body
from tests.contract.world import ROOMY, Contract, Key, pinned_model

ID_HEADER = "X-Request-ID"


async def _create_operator(database_url: str) -> Key:
    engine = create_engine_for(database_url)
    try:
        accounts = Accounts(TenantDatabase(engine))
        workspace = await accounts.create_workspace(f"ops-{uuid.uuid4().hex[:8]}", ROOMY)
        user = await accounts.add_user(workspace.id, email="operator@ops.test")
        issued = await accounts.issue_api_key(
            workspace.id, name="metrics", user_id=user.id, role="operator"
        )
        return Key(issued.plaintext, str(workspace.id), str(user.id), "operator", ROOMY.name)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def operator(contract: Contract) -> Key:
    return run(lambda: _create_operator(contract.database_url))


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


# -- X-Request-ID --------------------------------------------------------------------


def test_a_valid_request_id_is_returned_as_sent(client: httpx.Client) -> None:
    response = client.get("/healthz", headers={ID_HEADER: "req-42.a:b_C"})
    assert response.headers[ID_HEADER] == "req-42.a:b_C"


@pytest.mark.parametrize(
    "sent", [b"x" * 129, b"has space", b'quote"d', b"semi;colon", "é".encode()]
)
def test_an_unacceptable_request_id_is_replaced(client: httpx.Client, sent: bytes) -> None:
    response = client.get("/healthz", headers={ID_HEADER.encode(): sent})
    made = response.headers[ID_HEADER]
    assert made.encode() != sent
    assert re.fullmatch(r"[0-9a-f]{32}", made)


def test_every_response_carries_a_request_id_errors_included(
    contract: Contract, client: httpx.Client
) -> None:
    owner = contract.key("owner")
    as_json = {**owner.headers(), "Content-Type": "application/json"}
    too_big = b"x" * (contract.max_body_bytes + 1)
    responses = [
        client.get("/v1/usage"),  # 401
        client.get("/no/such/route"),  # 404
        client.post("/v1/chat", content=b"{", headers=as_json),  # 400
        client.post("/v1/chat", content=too_big, headers=owner.headers()),  # 413
    ]
    ids = [r.headers.get(ID_HEADER) for r in responses]
    assert [r.status_code for r in responses] == [401, 404, 400, 413]
    assert all(ids) and len(set(ids)) == len(ids), ids


# -- the request's log line ----------------------------------------------------------


def test_one_log_line_per_request_with_ids_and_no_secrets(
    contract: Contract, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    owner = contract.key("owner")
    prompt = f"secret prompt {uuid.uuid4().hex}"
    with caplog.at_level(logging.INFO, logger="app.access"):
        response = client.post(
            "/v1/chat",
            json=chat_body(prompt, model=pinned_model()),
            headers={**owner.headers(), ID_HEADER: "trace-1234"},
        )
        assert response.status_code == 200, response.text
        # The line is written once the response is complete: wait for it.
        lines = _wait_for(caplog, "trace-1234")
    assert len(lines) == 1
    fields = json.loads(JsonFormatter().format(lines[0]))
    assert fields["request_id"] == "trace-1234"
    assert fields["method"] == "POST"
    assert fields["route"] == "/v1/chat"
    assert fields["status"] == 200
    assert fields["latency_ms"] > 0
    assert fields["workspace_id"] == owner.workspace_id
    assert fields["event_id"] == response.headers["X-Usage-Event-Id"]
    text = json.dumps(fields)
    assert owner.token not in text and prompt not in text


def test_unmatched_paths_are_logged_by_one_route_label(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="app.access"):
        client.get(f"/random/{uuid.uuid4().hex}", headers={ID_HEADER: "unmatched-1"})
        lines = _wait_for(caplog, "unmatched-1")
    assert lines[0].__dict__["fields"]["route"] == "<unmatched>"
    assert lines[0].__dict__["fields"]["status"] == 404


def _wait_for(caplog: pytest.LogCaptureFixture, request_id: str) -> list[logging.LogRecord]:
    deadline = time.monotonic() + 5
    while True:
        lines = [
            r
            for r in caplog.records
            if r.name == "app.access" and r.__dict__.get("fields", {}).get("request_id") == request_id
        ]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)


# -- /metrics ------------------------------------------------------------------------


def test_metrics_need_an_operator_key(contract: Contract, client: httpx.Client) -> None:
    assert client.get("/metrics").status_code == 401
    refused = client.get("/metrics", headers=contract.key("owner").headers())
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "operator_only"


def test_metrics_count_requests_calls_spend_and_backlogs(
    contract: Contract, client: httpx.Client, operator: Key
) -> None:
    owner = contract.key("owner")

    def scrape() -> str:
        response = client.get("/metrics", headers=operator.headers())
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/plain")
        return response.text

    before = scrape()
    answered = client.post(
        "/v1/chat", json=chat_body(model=pinned_model()), headers=owner.headers()
    )
    assert answered.status_code == 200, answered.text
    provider = answered.json()["provider"]
    after = scrape()

    route = {"route": "/v1/chat", "method": "POST", "status": "200"}
    # A request is counted once its response is complete, just after the client has it.
    deadline = time.monotonic() + 5
    while sample(after, "app_http_requests_total", **route) == sample(
        before, "app_http_requests_total", **route
    ) and time.monotonic() < deadline:
        time.sleep(0.05)
        after = scrape()
    assert sample(after, "app_http_requests_total", **route) == (
        sample(before, "app_http_requests_total", **route) + 1
    )
    calls = {"provider": provider, "outcome": "ok"}
    assert sample(after, "app_provider_calls_total", **calls) > sample(
        before, "app_provider_calls_total", **calls
    )
    tier = {"tier": owner.tier}
    assert sample(after, "app_spend_usd_total", **tier) > sample(
        before, "app_spend_usd_total", **tier
    )
    tokens = {"tier": owner.tier, "kind": "output"}
    assert sample(after, "app_tokens_total", **tokens) > sample(
        before, "app_tokens_total", **tokens
    )
    for gauge in (
        "app_reservations_pending",
        "app_reservations_oldest_age_seconds",
        "app_billing_outbox_unsent",
        "app_billing_outbox_oldest_age_seconds",
    ):
        assert re.search(rf"^{gauge} \d", after, re.MULTILINE), gauge
    assert sample(after, "app_circuit_breaker_state", provider=provider, state="closed") == 1.0


def test_readyz_reports_the_database_at_the_migration_head(client: httpx.Client) -> None:
    body = client.get("/readyz").json()
    assert body["migrations"]["ok"] is True
    assert body["migrations"]["current"] == body["migrations"]["expected"]
