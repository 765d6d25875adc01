"""The operator contract, the same for both apps: ``python -m app db upgrade`` and
``python -m app keys create`` (which prints only the new key, so scripts capture it)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from app.cli import main
from tests.contract.world import MAIN_TIER, SMALL_TIER, Contract

PROJECT = Path(__file__).absolute().parents[2]


def app_command(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """``python -m app ...`` as an operator runs it, with DATABASE_URL set."""
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_db_upgrade_then_keys_create_on_a_fresh_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'operator.db'}"
    upgraded = app_command("db", "upgrade", database_url=url)
    assert upgraded.returncode == 0, upgraded.stderr
    created = app_command(
        "keys", "create", "--workspace", "Acme", "--user", "ops@acme.test",
        "--tier", MAIN_TIER.name, "--role", "owner", database_url=url,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    lines = created.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("sk_"), created.stdout
    assert lines[0] not in created.stderr  # shown once, on stdout only


def keys_create(
    capsys: pytest.CaptureFixture[str], database_url: str, *args: str
) -> tuple[int, str, str]:
    """``keys create`` in this process (the subprocess test above covers ``python -m``)."""
    capsys.readouterr()
    code = main(["keys", "create", *args, "--url", database_url])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_created_key_works_and_only_missing_things_are_created(
    contract: Contract, client: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = f"ops-{uuid.uuid4().hex[:8]}"
    who = ("--workspace", workspace, "--user", "ops@ops.test")
    code, out, err = keys_create(
        capsys, contract.database_url, *who, "--tier", MAIN_TIER.name, "--role", "owner"
    )
    assert code == 0, err
    assert "created workspace" in err and "user" in err
    owner_key = out.strip()
    code, out, err = keys_create(capsys, contract.database_url, *who, "--tier", MAIN_TIER.name)
    assert code == 0, err
    assert not err.startswith("created")  # same workspace, same user: only a new key
    member_key = out.strip()
    assert owner_key != member_key

    owner = {"Authorization": f"Bearer {owner_key}"}
    member = {"Authorization": f"Bearer {member_key}"}
    assert client.get("/v1/keys", headers=owner).status_code == 200
    assert client.get("/v1/keys", headers=member).status_code == 403
    usage_owner = client.get("/v1/usage", headers=owner).json()
    usage_member = client.get("/v1/usage", headers=member).json()
    assert usage_owner["workspace_id"] == usage_member["workspace_id"]
    assert usage_owner["user_id"] == usage_member["user_id"]

    if SMALL_TIER.name != MAIN_TIER.name:
        code, out, err = keys_create(capsys, contract.database_url, *who, "--tier", SMALL_TIER.name)
        assert (code, out) == (2, "")
        assert "does not change plans" in err
