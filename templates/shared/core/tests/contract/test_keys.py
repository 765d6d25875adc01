"""``/v1/keys`` and the credits hole the issue names: keys are listed without their
secrets, shown once, revoked for the next request; an owner cannot fund itself."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app.core import migrate
from app.models import UsageEvent
from tests.contract.helpers import assert_error, chat_body
from tests.contract.world import Contract

LISTED = {
    "id",
    "workspace_id",
    "name",
    "prefix",
    "user_id",
    "user",
    "role",
    "created_at",
    "last_used_at",
    "revoked_at",
}


def usable_flag(contract: Contract, event_id: str) -> bool | None:
    """The ledger row's usable flag, read straight from the database."""
    engine = create_engine(migrate.sync_url(contract.database_url), poolclass=NullPool)
    try:
        with Session(engine) as session:
            row = session.get(UsageEvent, uuid.UUID(event_id))
            assert row is not None
            return row.usable
    finally:
        engine.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_owner_creates_lists_and_revokes_its_workspace_keys(
    contract: Contract, client: httpx.Client
) -> None:
    owner = contract.key("owner").headers()
    email = f"new-{uuid.uuid4().hex[:6]}@alpha.test"
    created = client.post("/v1/keys", json={"user": email, "role": "member"}, headers=owner)
    assert created.status_code == 201, created.text
    body = created.json()
    token = body.pop("key")
    assert token.startswith("sk_") and token.startswith(body["prefix"])
    assert set(body) == LISTED
    assert (body["user"], body["role"], body["revoked_at"]) == (email, "member", None)
    assert body["workspace_id"] == contract.key("owner").workspace_id
    assert client.get("/v1/models", headers=bearer(token)).status_code == 200

    listing = client.get("/v1/keys", headers=owner)
    assert listing.status_code == 200
    assert token not in listing.text  # never the secret
    listed = {k["id"]: k for k in listing.json()["data"]}
    assert set(listed[body["id"]]) == LISTED
    assert listed[body["id"]]["prefix"] == body["prefix"]
    assert all(k["workspace_id"] == body["workspace_id"] for k in listed.values())

    revoked = client.delete(f"/v1/keys/{body['id']}", headers=owner)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    # The very next request with the key fails.
    assert_error(client.get("/v1/models", headers=bearer(token)), 401, "invalid_api_key")
    again = client.delete(f"/v1/keys/{body['id']}", headers=owner)
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]  # unchanged


def test_operator_keys_come_only_from_the_command_line(
    contract: Contract, client: httpx.Client
) -> None:
    for key in ("owner", "operator"):
        response = client.post(
            "/v1/keys",
            json={"user": "ops@alpha.test", "role": "operator"},
            headers=contract.key(key).headers(),
        )
        error = assert_error(response, 422, "invalid_fields")
        assert error["fields"][0]["field"] == "role"


def test_owners_stay_in_their_workspace_operators_reach_any(
    contract: Contract, client: httpx.Client
) -> None:
    owner, operator = contract.key("owner").headers(), contract.key("operator").headers()
    beta = contract.key("other").workspace_id
    foreign = {"user": "x@beta.test", "workspace": beta}
    assert_error(client.post("/v1/keys", json=foreign, headers=owner), 403, "workspace_forbidden")
    unknown = {"user": "x@beta.test", "workspace": "no-such-workspace"}
    assert_error(client.post("/v1/keys", json=unknown, headers=owner), 403, "workspace_forbidden")
    made = client.post("/v1/keys", json=foreign, headers=operator)
    assert made.status_code == 201, made.text
    assert made.json()["workspace_id"] == beta
    # Another workspace's key is not found by an owner; an operator revokes it.
    assert_error(client.delete(f"/v1/keys/{made.json()['id']}", headers=owner), 404, "unknown_key")
    assert client.delete(f"/v1/keys/{made.json()['id']}", headers=operator).status_code == 200
    assert_error(client.get("/v1/models", headers=bearer(made.json()["key"])), 401)
    assert_error(client.delete(f"/v1/keys/{uuid.uuid4()}", headers=operator), 404, "unknown_key")
    assert_error(client.delete("/v1/keys/not-a-key", headers=owner), 404, "unknown_key")
    by_name = client.get("/v1/keys", params={"workspace": "contract-beta"}, headers=operator)
    assert by_name.status_code == 200 and by_name.json()["workspace_id"] == beta
    missing = client.get("/v1/keys", params={"workspace": "nope"}, headers=operator)
    assert_error(missing, 404, "unknown_workspace")


def test_bad_key_bodies_are_422(contract: Contract, client: httpx.Client) -> None:
    owner = contract.key("owner").headers()
    for body in ({}, {"user": ""}, {"user": "a@b.test", "role": "admin"}, {"user": 5}):
        assert_error(client.post("/v1/keys", json=body, headers=owner), 422, "invalid_fields")


def test_an_owner_cannot_grant_itself_credits(contract: Contract, client: httpx.Client) -> None:
    """The adversarial probe: an owner key asking for $1,000,000 for its own workspace,
    then calling past its cap. Refused with a 403; the balance does not move."""
    key = contract.key("owner")
    before = client.get("/v1/credits", headers=key.headers()).json()
    for body in (
        {"amount_usd": "1000000", "reason": "free money"},
        {"amount_usd": "1000000", "reason": "free money", "workspace": key.workspace_id},
        {"amount_usd": "1000000", "reference": "probe", "workspace": "contract-alpha"},
    ):
        response = client.post("/v1/credits", json=body, headers=key.headers())
        assert_error(response, 403, "operator_only")
    assert client.get("/v1/credits", headers=key.headers()).json() == before


def test_feedback_bodies_and_ids(contract: Contract, client: httpx.Client) -> None:
    owner = contract.key("owner").headers()
    call = client.post("/v1/chat", json=chat_body("feedback probe"), headers=owner)
    event = call.headers["x-usage-event-id"]
    url = f"/v1/usage/{event}/feedback"
    for bad in ({}, {"usable": "yes"}, {"usable": None}, {"usable": 1}):
        assert_error(client.post(url, json=bad, headers=owner), 422, "invalid_fields")
    assert client.post(url, json={"usable": False}, headers=owner).json()["usable"] is False
    assert usable_flag(contract, event) is False
    assert client.post(url, json={"usable": True}, headers=owner).status_code == 200
    assert usable_flag(contract, event) is True
    for wrong in (str(uuid.uuid4()), "not-an-id"):
        response = client.post(f"/v1/usage/{wrong}/feedback", json={"usable": True}, headers=owner)
        assert_error(response, 404, "unknown_event")
    plain = {**owner, "Content-Type": "text/plain"}
    assert_error(client.post(url, content=b"usable", headers=plain), 415)


def test_concurrent_grants_with_one_reference_grant_once(contract: Contract) -> None:
    operator, target = contract.key("operator"), contract.key("stream")
    reference = f"race-{uuid.uuid4().hex[:8]}"
    body = {"amount_usd": "3", "reference": reference, "workspace": target.workspace_id}

    def grant(_: int) -> httpx.Response:
        with httpx.Client(base_url=contract.base_url, timeout=20) as client:
            return client.post("/v1/credits", json=body, headers=operator.headers())

    with httpx.Client(base_url=contract.base_url, timeout=20) as client:
        before = Decimal(client.get("/v1/credits", headers=target.headers()).json()["balance_usd"])
        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(pool.map(grant, range(6)))
        after = Decimal(client.get("/v1/credits", headers=target.headers()).json()["balance_usd"])
    assert [a.status_code for a in answers] == [201] * 6, [a.text for a in answers]
    assert len({a.json()["grant_id"] for a in answers}) == 1
    assert after == before + 3
