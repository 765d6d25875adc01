"""Plan changes (``change_tier``) and key management (``keyring``) on a real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core.catalog import TIERS
from app.models import Entitlement as EntitlementRow
from app.services.accounts import Accounts
from app.services.accounts.keyring import (
    KeyNotFound,
    find_key,
    issue_key,
    list_keys,
    revoke_key,
    rotate_key,
)
from app.services.accounts.plans import UnknownTier, change_tier
from app.services.accounts.workspaces import WorkspaceNotFound, find_workspace
from app.services.usage import Entitlement

FIRST, LAST = next(iter(TIERS)), list(TIERS)[-1]


async def snapshot_count(accounts: Accounts, workspace_id: object) -> int:
    async with accounts.db.system() as session:
        count = await session.scalar(
            select(func.count()).where(EntitlementRow.workspace_id == workspace_id)
        )
    return int(count or 0)


async def test_each_plan_change_writes_a_snapshot_and_a_repeat_writes_none(
    accounts: Accounts,
) -> None:
    workspace = await accounts.create_workspace("Plans", FIRST)

    change = await change_tier(accounts.db, workspace.id, LAST)

    assert (change.previous_tier, change.tier) == (FIRST, LAST)
    assert change.changed == (FIRST != LAST)
    assert await accounts.entitlement(workspace.id) == Entitlement.from_tier(LAST)
    assert await snapshot_count(accounts, workspace.id) == (2 if FIRST != LAST else 1)
    again = await change_tier(accounts.db, workspace.id, LAST)
    assert not again.changed and again.entitlement == change.entitlement
    assert await snapshot_count(accounts, workspace.id) == (2 if FIRST != LAST else 1)
    back = await change_tier(accounts.db, workspace.id, FIRST)
    assert back.tier == FIRST
    with pytest.raises(UnknownTier):
        await change_tier(accounts.db, workspace.id, "no-such-tier")


async def test_workspaces_are_found_by_id_or_unique_name(accounts: Accounts) -> None:
    workspace = await accounts.create_workspace("Findable Inc", FIRST)
    assert (await find_workspace(accounts.db, str(workspace.id))).name == "Findable Inc"
    assert (await find_workspace(accounts.db, " Findable Inc ")).id == workspace.id
    await accounts.create_workspace("Findable Inc", FIRST)
    with pytest.raises(WorkspaceNotFound, match="2 workspaces"):
        await find_workspace(accounts.db, "Findable Inc")
    with pytest.raises(WorkspaceNotFound):
        await find_workspace(accounts.db, "nobody")


async def test_keys_are_listed_revoked_and_rotated(accounts: Accounts) -> None:
    workspace = await accounts.create_workspace("Keyring", FIRST)
    issued, key = await issue_key(accounts.db, workspace.id, user="ada@keyring.test", role="owner")
    assert (key.user, key.role, key.revoked_at) == ("ada@keyring.test", "owner", None)
    assert [k.id for k in await list_keys(accounts.db, workspace.id)] == [key.id]
    assert (await find_key(accounts.db, key.prefix, None)).id == key.id
    other = await accounts.create_workspace("Elsewhere", FIRST)
    with pytest.raises(KeyNotFound):
        await find_key(accounts.db, str(key.id), other.id)

    rotation = await rotate_key(accounts.db, key, grace=timedelta(minutes=10))
    assert (rotation.new.role, rotation.new.user_id) == (key.role, key.user_id)
    assert rotation.old.revoked_at is not None and not rotation.old.revoked()
    assert await accounts.resolve_api_key(issued.plaintext) is not None  # in its grace
    assert await accounts.resolve_api_key(rotation.issued.plaintext) is not None

    revoked = await revoke_key(accounts.db, rotation.old)
    assert revoked.revoked() and revoked.revoked_at is not None
    assert rotation.old.revoked_at is not None and revoked.revoked_at < rotation.old.revoked_at
    assert await accounts.resolve_api_key(issued.plaintext) is None
    # Revoking again never moves the revocation later.
    assert (await revoke_key(accounts.db, revoked)).revoked_at == revoked.revoked_at
    with pytest.raises(ValueError, match="revoked"):
        await rotate_key(accounts.db, revoked)
    with pytest.raises(ValueError, match="grace"):
        await rotate_key(accounts.db, rotation.new, grace=timedelta(days=30))
