"""Dashboard sessions: signed, expiring, and ended by revoking the key behind them."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncEngine

from app.admin.session import SESSION_SECONDS, open_session, same_token, viewer_of
from app.services.accounts import Accounts
from app.services.usage.tenancy import TenantDatabase

ISSUED = 1_900_000_000.0


async def owner_key(accounts: Accounts, workspace_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    issued = await accounts.issue_api_key(workspace_id, name="dashboard", role="owner")
    return issued.id, issued.plaintext


async def test_a_session_names_the_key_without_holding_it(
    usage_engine: AsyncEngine, accounts: Accounts, workspace_id: uuid.UUID
) -> None:
    db = TenantDatabase(usage_engine)
    key_id, plaintext = await owner_key(accounts, workspace_id)
    token = await open_session(db, key_id, now=ISSUED)

    assert plaintext not in token and plaintext[len("sk_") :] not in token
    viewer = await viewer_of(db, token, now=ISSUED + 60)
    assert viewer is not None
    assert (viewer.api_key_id, viewer.workspace_id, viewer.role) == (key_id, workspace_id, "owner")


async def test_a_session_expires(
    usage_engine: AsyncEngine, accounts: Accounts, workspace_id: uuid.UUID
) -> None:
    db = TenantDatabase(usage_engine)
    key_id, _ = await owner_key(accounts, workspace_id)
    token = await open_session(db, key_id, now=ISSUED)

    assert await viewer_of(db, token, now=ISSUED + SESSION_SECONDS - 1) is not None
    assert await viewer_of(db, token, now=ISSUED + SESSION_SECONDS) is None
    assert await viewer_of(db, token, now=ISSUED - 1) is None  # issued in the future


async def test_an_altered_session_is_refused(
    usage_engine: AsyncEngine, accounts: Accounts, workspace_id: uuid.UUID
) -> None:
    db = TenantDatabase(usage_engine)
    key_id, _ = await owner_key(accounts, workspace_id)
    other_id, _ = await owner_key(accounts, workspace_id)
    version, key_hex, issued, signature = (await open_session(db, key_id, now=ISSUED)).split(".")

    later = f"{version}.{key_hex}.{int(ISSUED) + 3600}.{signature}"  # extended by hand
    swapped = f"{version}.{other_id.hex}.{issued}.{signature}"  # another key's id
    for forged in (later, swapped, "", "v1.x.1.y", "v2." + "a" * 300):
        assert await viewer_of(db, forged, now=ISSUED + 10) is None, forged


async def test_revoking_the_key_ends_the_session(
    usage_engine: AsyncEngine, accounts: Accounts, workspace_id: uuid.UUID
) -> None:
    db = TenantDatabase(usage_engine)
    key_id, _ = await owner_key(accounts, workspace_id)
    token = await open_session(db, key_id, now=ISSUED)

    await accounts.revoke_api_key(workspace_id, key_id)

    assert await viewer_of(db, token, now=ISSUED + 10) is None


def test_csrf_tokens_must_match() -> None:
    assert same_token("abc", "abc")
    assert not same_token("abc", "abd")
    assert not same_token("", "")
    assert not same_token(None, "abc")
