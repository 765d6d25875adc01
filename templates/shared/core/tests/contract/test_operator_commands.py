"""``python -m app keys list|revoke|rotate``, ``workspaces list|set-tier`` and ``credits
grant`` against the contract server's database: what they change, the server sees on
the next request (a separate process for the revocation, as in production)."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app.cli import main
from app.core import migrate
from app.models import Entitlement
from tests.contract.helpers import assert_error
from tests.contract.test_operator import app_command
from tests.contract.world import MAIN_TIER, SMALL_TIER, Contract


def cli(capsys: pytest.CaptureFixture[str], contract: Contract, *argv: str) -> tuple[int, str, str]:
    """A command run in this process against the contract database."""
    capsys.readouterr()
    code = main([*argv, "--url", contract.database_url])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def new_key(
    capsys: pytest.CaptureFixture[str], contract: Contract, workspace: str, role: str = "member"
) -> str:
    code, out, err = cli(
        capsys, contract, "keys", "create", "--workspace", workspace,
        "--user", f"{role}@{workspace}.test", "--tier", MAIN_TIER.name, "--role", role,
    )  # fmt: skip
    assert code == 0, err
    return out.strip()


def models(client: httpx.Client, token: str) -> httpx.Response:
    return client.get("/v1/models", headers={"Authorization": f"Bearer {token}"})


def listed(
    capsys: pytest.CaptureFixture[str], contract: Contract, workspace: str
) -> list[dict[str, str]]:
    code, out, err = cli(capsys, contract, "keys", "list", "--workspace", workspace, "--json")
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def test_an_operator_key_reaches_every_workspace(
    contract: Contract, client: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    token = new_key(capsys, contract, f"founders-{uuid.uuid4().hex[:6]}", role="operator")
    response = client.get(
        "/v1/keys", params={"workspace": contract.key("other").workspace_id},
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    assert response.status_code == 200, response.text


def test_keys_list_shows_keys_never_secrets(
    contract: Contract, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = f"list-{uuid.uuid4().hex[:6]}"
    token = new_key(capsys, contract, workspace)
    (key,) = listed(capsys, contract, workspace)
    assert token.startswith(key["prefix"])
    assert key["role"] == "member" and key["user"] == f"member@{workspace}.test"
    assert key["revoked_at"] is None and key["created_at"]
    code, out, _ = cli(capsys, contract, "keys", "list")
    assert code == 0 and key["id"] in out and token not in out
    assert all(k.token not in out for k in contract.keys.values())
    code, _, err = cli(capsys, contract, "keys", "list", "--workspace", "no-such-workspace")
    assert code == 2 and "no workspace" in err


def test_keys_revoke_in_another_process_stops_the_next_request(
    contract: Contract, client: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = f"revoke-{uuid.uuid4().hex[:6]}"
    token = new_key(capsys, contract, workspace)
    assert models(client, token).status_code == 200
    (key,) = listed(capsys, contract, workspace)
    revoked = app_command("keys", "revoke", key["prefix"], database_url=contract.database_url)
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout == ""
    assert_error(models(client, token), 401, "invalid_api_key")
    (key,) = listed(capsys, contract, workspace)
    assert key["revoked_at"] is not None
    code, _, err = cli(capsys, contract, "keys", "revoke", str(uuid.uuid4()))
    assert code == 2 and "no key" in err


def test_keys_rotate_now_and_with_a_grace_period(
    contract: Contract, client: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = f"rotate-{uuid.uuid4().hex[:6]}"
    first = new_key(capsys, contract, workspace, role="owner")
    (old,) = listed(capsys, contract, workspace)
    code, out, err = cli(capsys, contract, "keys", "rotate", old["id"])
    assert code == 0, err
    second = out.strip()
    assert second.startswith("sk_") and second not in err
    assert_error(models(client, first), 401, "invalid_api_key")
    assert models(client, second).status_code == 200
    keys = {k["id"]: k for k in listed(capsys, contract, workspace)}
    (new,) = [k for k in keys.values() if k["id"] != old["id"]]
    assert (new["role"], new["user"]) == ("owner", old["user"])
    # With a grace period the old key works until it ends.
    code, out, err = cli(capsys, contract, "keys", "rotate", new["id"], "--grace-minutes", "30")
    assert code == 0, err
    third = out.strip()
    assert models(client, second).status_code == 200
    assert models(client, third).status_code == 200
    keys = {k["id"]: k for k in listed(capsys, contract, workspace)}
    assert keys[new["id"]]["revoked_at"] is not None  # scheduled
    # Revoking cuts the grace short; a revoked key cannot be rotated.
    code, _, err = cli(capsys, contract, "keys", "revoke", new["id"])
    assert code == 0, err
    assert_error(models(client, second), 401, "invalid_api_key")
    code, _, err = cli(capsys, contract, "keys", "rotate", new["id"])
    assert code == 2 and "revoked" in err
    code, _, err = cli(
        capsys, contract, "keys", "rotate", keys[new["id"]]["id"], "--grace-minutes", "-1"
    )
    assert code == 2


def snapshots(contract: Contract, workspace_id: str) -> int:
    engine = create_engine(migrate.sync_url(contract.database_url), poolclass=NullPool)
    try:
        with Session(engine) as session:
            count = session.scalar(
                select(func.count()).where(Entitlement.workspace_id == uuid.UUID(workspace_id))
            )
            return int(count or 0)
    finally:
        engine.dispose()


def test_workspaces_list_and_set_tier(
    contract: Contract, client: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = f"plans-{uuid.uuid4().hex[:6]}"
    token = new_key(capsys, contract, workspace)
    code, out, err = cli(capsys, contract, "workspaces", "list", "--json")
    assert code == 0, err
    rows = {row["name"]: row for row in map(json.loads, out.splitlines())}
    assert rows[workspace]["tier"] == MAIN_TIER.name
    assert rows["contract-alpha"]["id"] == contract.key("owner").workspace_id
    workspace_id = rows[workspace]["id"]
    assert snapshots(contract, workspace_id) == 1

    code, _, err = cli(
        capsys,
        contract,
        "workspaces",
        "set-tier",
        "--workspace",
        workspace,
        "--tier",
        SMALL_TIER.name,
    )
    assert code == 0, err
    # Same tier again: nothing new (a retried change writes no snapshot).
    code, _, err = cli(
        capsys,
        contract,
        "workspaces",
        "set-tier",
        "--workspace",
        workspace_id,
        "--tier",
        SMALL_TIER.name,
    )
    assert code == 0 and "already" in err
    expected = 2 if SMALL_TIER.name != MAIN_TIER.name else 1
    assert snapshots(contract, workspace_id) == expected
    served = {m["id"] for m in models(client, token).json()["data"]} - {"auto"}
    assert served == set(SMALL_TIER.allowed_models) & served
    code, out, _ = cli(capsys, contract, "workspaces", "list")
    assert code == 0 and workspace in out and SMALL_TIER.name in out
    code, _, err = cli(
        capsys, contract, "workspaces", "set-tier", "--workspace", "nope", "--tier", MAIN_TIER.name
    )
    assert code == 2 and "no workspace" in err


def test_credits_grant_is_idempotent_by_reference(
    contract: Contract, client: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    key = contract.key("small")
    before = client.get("/v1/credits", headers=key.headers()).json()["balance_usd"]
    reference = f"invoice-{uuid.uuid4().hex[:8]}"
    grant = (
        "credits",
        "grant",
        "--workspace",
        key.workspace_id,
        "--amount",
        "7.25",
        "--reference",
        reference,
    )
    code, first, err = cli(capsys, contract, *grant)
    assert code == 0, err
    code, second, err = cli(capsys, contract, *grant)
    assert code == 0 and "nothing changed" in err
    assert first == second and uuid.UUID(first.strip())
    after = client.get("/v1/credits", headers=key.headers()).json()["balance_usd"]
    assert float(after) == pytest.approx(float(before) + 7.25)
    for bad in ("0", "-5", "abc", "1.0000001"):
        with pytest.raises(SystemExit) as exited:
            main(["credits", "grant", "--workspace", key.workspace_id, "--amount", bad])
        assert exited.value.code == 2
    code, _, err = cli(capsys, contract, "credits", "grant", "--workspace", "nope", "--amount", "1")
    assert code == 2 and "no workspace" in err
