"""The tenant comes only from the key: headers that disagree are refused, and one
workspace's key can never read, spend or cache-hit another's data."""

from __future__ import annotations

import uuid

import httpx

from app.core.catalog import DEFAULT_WORKFLOW, EXACT_CACHE_ENABLED, WORKFLOWS
from tests.contract.helpers import assert_error, chat_body
from tests.contract.world import Contract


def test_matching_tenant_and_user_headers_are_accepted(
    contract: Contract, client: httpx.Client
) -> None:
    key = contract.key("member")
    headers = {**key.headers(), "X-Workspace-Id": key.workspace_id, "X-User-Id": key.user_id}
    assert client.get("/v1/usage", headers=headers).status_code == 200


def test_a_tenant_header_naming_another_workspace_is_refused(
    contract: Contract, client: httpx.Client
) -> None:
    mine, theirs = contract.key("other"), contract.key("owner")
    for name in ("X-Workspace-Id", "X-Tenant-Id"):
        headers = {**mine.headers(), name: theirs.workspace_id}
        assert_error(client.get("/v1/usage", headers=headers), 403, "tenant_mismatch")
        response = client.post("/v1/chat", json=chat_body(), headers=headers)
        assert_error(response, 403, "tenant_mismatch")


def test_a_user_header_naming_someone_else_is_refused(
    contract: Contract, client: httpx.Client
) -> None:
    member, owner = contract.key("member"), contract.key("owner")
    headers = {**member.headers(), "X-User-Id": owner.user_id}
    assert_error(client.get("/v1/credits", headers=headers), 403, "user_mismatch")
    headers = {**member.headers(), "X-User-Id": "not-a-uuid"}
    assert_error(client.get("/v1/credits", headers=headers), 403, "user_mismatch")


def test_usage_of_another_workspace_cannot_be_read(
    contract: Contract, client: httpx.Client
) -> None:
    other, victim = contract.key("other"), contract.key("owner")
    for user in (victim.user_id, "owner@alpha.test", str(uuid.uuid4())):
        response = client.get("/v1/usage", params={"user": user}, headers=other.headers())
        assert_error(response, 404, "unknown_user")


def test_members_see_only_their_own_usage(contract: Contract, client: httpx.Client) -> None:
    member, owner = contract.key("member"), contract.key("owner")
    response = client.get("/v1/usage", params={"user": owner.user_id}, headers=member.headers())
    assert_error(response, 403, "owner_only")
    own = client.get("/v1/usage", params={"user": member.user_id}, headers=member.headers())
    assert own.status_code == 200
    # An owner may read any user of the workspace, by id or email, or all of it.
    for user in (member.user_id, "member@alpha.test", "all"):
        response = client.get("/v1/usage", params={"user": user}, headers=owner.headers())
        assert response.status_code == 200, response.text


def test_spending_in_one_workspace_never_shows_in_another(
    contract: Contract, client: httpx.Client
) -> None:
    before = client.get(
        "/v1/usage", params={"user": "all"}, headers=contract.key("other").headers()
    )
    credits_before = client.get("/v1/credits", headers=contract.key("other").headers()).json()
    response = client.post(
        "/v1/chat", json=chat_body("alpha only"), headers=contract.key("owner").headers()
    )
    assert response.status_code == 200
    after = client.get("/v1/usage", params={"user": "all"}, headers=contract.key("other").headers())
    credits_after = client.get("/v1/credits", headers=contract.key("other").headers()).json()
    assert before.json()["workflows"] == after.json()["workflows"]
    assert credits_before["balance_usd"] == credits_after["balance_usd"]


def test_another_workspace_never_hits_the_cache(contract: Contract, client: httpx.Client) -> None:
    body = chat_body(f"cache isolation probe {uuid.uuid4()}")
    owner, other = contract.key("owner").headers(), contract.key("other").headers()
    first = client.post("/v1/chat", json=body, headers=owner).json()
    again = client.post("/v1/chat", json=body, headers=owner).json()
    theirs = client.post("/v1/chat", json=body, headers=other).json()
    assert first["cached"] is False
    assert theirs["cached"] is False
    # Same workspace, same request: served from the cache when the workflow caches.
    assert again["cached"] is (EXACT_CACHE_ENABLED and WORKFLOWS[DEFAULT_WORKFLOW].cache)


def test_an_idempotency_key_is_per_workspace(contract: Contract, client: httpx.Client) -> None:
    key = {"Idempotency-Key": f"shared-{uuid.uuid4()}"}
    body = chat_body("idempotency probe")
    mine = client.post("/v1/chat", json=body, headers={**contract.key("owner").headers(), **key})
    replay = client.post("/v1/chat", json=body, headers={**contract.key("owner").headers(), **key})
    theirs = client.post("/v1/chat", json=body, headers={**contract.key("other").headers(), **key})
    assert mine.status_code == replay.status_code == theirs.status_code == 200
    assert replay.json()["id"] == mine.json()["id"]
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.headers["x-usage-event-id"] == mine.json()["id"]
    assert theirs.json()["id"] != mine.json()["id"]
    assert "idempotent-replayed" not in theirs.headers
