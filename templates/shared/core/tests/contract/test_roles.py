"""Every cell of the permission table, over HTTP: each role against each action, in
its own workspace and (where a scope allows) another. Refused means a 403 JSON error
with the table's code; adding an action to the table without a probe here fails."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest

from app.services.accounts.permissions import PERMISSIONS, Scope, scope_of
from app.services.accounts.roles import ROLES, Role
from tests.contract.helpers import assert_error, chat_body
from tests.contract.world import Contract

# The seeded key acting for each role; "other" is an owner of another workspace.
KEY_OF: dict[Role, str] = {"operator": "operator", "owner": "owner", "member": "member"}
UNKNOWN_PROMPT = "no_such_prompt_for_roles"

Probe = Callable[[Contract, httpx.Client, Role, Scope | None], None]


def refused(response: httpx.Response, action: str) -> None:
    assert_error(response, 403, PERMISSIONS[action].refusal_code)


def headers(contract: Contract, role: Role) -> dict[str, str]:
    return contract.key(KEY_OF[role]).headers()


def event_of(contract: Contract, client: httpx.Client, key: str) -> str:
    """The ledger id of a fresh call made with ``key``."""
    response = client.post(
        "/v1/chat", json=chat_body(f"roles probe {key}"), headers=contract.key(key).headers()
    )
    assert response.status_code == 200, response.text
    return response.headers["x-usage-event-id"]


def probe_call_models(c: Contract, client: httpx.Client, role: Role, scope: Scope | None) -> None:
    response = client.get("/v1/models", headers=headers(c, role))
    if scope is None:
        refused(response, "call_models")
    else:
        assert response.status_code == 200, response.text
        assert event_of(c, client, KEY_OF[role])


def probe_view_usage(c: Contract, client: httpx.Client, role: Role, scope: Scope | None) -> None:
    own = client.get("/v1/usage", headers=headers(c, role))
    everyone = client.get("/v1/usage", params={"user": "all"}, headers=headers(c, role))
    if scope is None:
        refused(own, "view_usage")
        return
    assert own.status_code == 200, own.text
    assert own.json()["user_id"] == c.key(KEY_OF[role]).user_id
    if scope == "self":
        assert_error(everyone, 403, "owner_only")
    else:
        assert everyone.status_code == 200 and everyone.json()["user_id"] is None


def probe_view_costs(c: Contract, client: httpx.Client, role: Role, scope: Scope | None) -> None:
    # Amounts are left out, not refused: the same answer, without dollars.
    report = client.get("/v1/usage", headers=headers(c, role)).json()
    shown = [w["cost_usd"] is not None for w in report["workflows"]]
    shown.append(report["cap"]["limit_usd"] is not None)
    assert set(shown) == {scope is not None}


def probe_give_feedback(c: Contract, client: httpx.Client, role: Role, scope: Scope | None) -> None:
    mine = event_of(c, client, KEY_OF[role])
    answer = client.post(
        f"/v1/usage/{mine}/feedback", json={"usable": True}, headers=headers(c, role)
    )
    if scope is None:
        refused(answer, "give_feedback")
        return
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"event_id": mine, "usable": True}
    # A call of another user in the workspace: members may not mark it (404, not found
    # for them); owners and operators may.
    colleague = "owner" if role == "member" else "member"
    if role != "operator":
        theirs = event_of(c, client, colleague)
        answer = client.post(
            f"/v1/usage/{theirs}/feedback", json={"usable": False}, headers=headers(c, role)
        )
        if scope == "self":
            assert_error(answer, 404, "unknown_event")
        else:
            assert answer.status_code == 200, answer.text
    # Another workspace's call is never found, whatever the scope says about workspaces.
    foreign = event_of(c, client, "other")
    answer = client.post(
        f"/v1/usage/{foreign}/feedback", json={"usable": False}, headers=headers(c, role)
    )
    assert_error(answer, 404, "unknown_event")


def probe_view_credits(c: Contract, client: httpx.Client, role: Role, scope: Scope | None) -> None:
    response = client.get("/v1/credits", headers=headers(c, role))
    if scope is None:
        refused(response, "view_credits")
    else:
        assert response.status_code == 200, response.text
        assert response.json()["workspace_id"] == c.key(KEY_OF[role]).workspace_id


def probe_grant_credits(c: Contract, client: httpx.Client, role: Role, scope: Scope | None) -> None:
    other = c.key("other").workspace_id
    before = client.get("/v1/credits", headers=c.key("other").headers()).json()["balance_usd"]
    grant = {"amount_usd": "0.5", "workspace": other, "reason": f"roles {role}"}
    response = client.post("/v1/credits", json=grant, headers=headers(c, role))
    after = client.get("/v1/credits", headers=c.key("other").headers()).json()["balance_usd"]
    if scope is None:
        refused(response, "grant_credits")
        assert after == before
    else:
        assert scope == "any"
        assert response.status_code == 201, response.text
        assert Decimal(after) == Decimal(before) + Decimal("0.5")


def probe_list_prompts(c: Contract, client: httpx.Client, role: Role, scope: Scope | None) -> None:
    response = client.get("/v1/prompts", headers=headers(c, role))
    if scope is None:
        refused(response, "list_prompts")
    else:
        assert response.status_code == 200, response.text


def probe_publish_prompts(
    c: Contract, client: httpx.Client, role: Role, scope: Scope | None
) -> None:
    # A prompt that does not exist: allowed roles get past the role check to the 404,
    # and nothing is published either way.
    body = {"name": UNKNOWN_PROMPT, "text": "Answer plainly.\n"}
    response = client.post("/v1/prompts", json=body, headers=headers(c, role))
    if scope is None:
        refused(response, "publish_prompts")
    else:
        assert_error(response, 404, "unknown_prompt")


def probe_manage_keys(c: Contract, client: httpx.Client, role: Role, scope: Scope | None) -> None:
    own = client.get("/v1/keys", headers=headers(c, role))
    other = c.key("other").workspace_id
    foreign = client.get("/v1/keys", params={"workspace": other}, headers=headers(c, role))
    if scope is None:
        refused(own, "manage_keys")
        refused(foreign, "manage_keys")
        return
    assert own.status_code == 200, own.text
    assert own.json()["workspace_id"] == c.key(KEY_OF[role]).workspace_id
    if scope == "any":
        assert foreign.status_code == 200, foreign.text
        assert {k["id"] for k in foreign.json()["data"]} and foreign.json()["workspace_id"] == other
    else:
        assert_error(foreign, 403, "workspace_forbidden")


def probe_view_metrics(c: Contract, client: httpx.Client, role: Role, scope: Scope | None) -> None:
    response = client.get("/metrics", headers=headers(c, role))
    if scope is None:
        refused(response, "view_metrics")
    else:
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/plain")


def probe_manage_billing(
    c: Contract, client: httpx.Client, role: Role, scope: Scope | None
) -> None:
    response = client.post("/v1/billing/portal", headers=headers(c, role))
    if scope is None:
        refused(response, "manage_billing")
    else:
        # Past the role check: a session, or what this project's billing mode answers.
        assert response.status_code != 403, response.text
        assert response.status_code < 500, response.text


def probe_view_reports(c: Contract, client: httpx.Client, role: Role, scope: Scope | None) -> None:
    response = client.get("/v1/reports/margins", headers=headers(c, role))
    if scope is None:
        refused(response, "view_reports")
        return
    assert response.status_code == 200, response.text
    named = {row["workspace_id"] for row in response.json()["workspaces"]}
    if scope == "any":
        assert c.key("other").workspace_id in named
    else:
        assert named <= {c.key(KEY_OF[role]).workspace_id}


PROBES: dict[str, Probe] = {
    "call_models": probe_call_models,
    "view_usage": probe_view_usage,
    "view_costs": probe_view_costs,
    "give_feedback": probe_give_feedback,
    "view_credits": probe_view_credits,
    "grant_credits": probe_grant_credits,
    "list_prompts": probe_list_prompts,
    "publish_prompts": probe_publish_prompts,
    "manage_keys": probe_manage_keys,
    "manage_billing": probe_manage_billing,
    "view_reports": probe_view_reports,
    "view_metrics": probe_view_metrics,
}


def test_every_action_of_the_table_has_a_probe() -> None:
    assert set(PROBES) == set(PERMISSIONS)


@pytest.mark.parametrize(
    ("action", "role"), [(action, role) for action in PERMISSIONS for role in ROLES]
)
def test_each_cell_of_the_permission_table(
    contract: Contract, client: httpx.Client, action: str, role: Role
) -> None:
    PROBES[action](contract, client, role, scope_of(role, action))
