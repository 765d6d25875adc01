"""``Accounts``: workspaces, their users, API keys and plan changes, each in its own
tenant-scoped transaction. Who a call is made for, and on which terms."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from app.core.catalog_types import TierInfo
from app.models import ApiKey, User, Workspace
from app.models import Entitlement as EntitlementRow
from app.models.base import new_id, utcnow
from app.services.accounts.keys import KEY_PREFIX, IssuedKey, hash_key
from app.services.accounts.roles import ROLES
from app.services.usage.entitlements import Entitlement
from app.services.usage.tenancy import TenantDatabase

_TOUCH_EVERY = timedelta(minutes=5)  # last_used_at precision: not a write per request


@dataclass(frozen=True, slots=True)
class Principal:
    """Who an API key acts for, with the entitlement in force."""

    workspace_id: uuid.UUID
    user_id: uuid.UUID | None
    api_key_id: uuid.UUID
    entitlement: Entitlement
    role: str = "member"


class Accounts:
    """Account operations, each in its own tenant-scoped transaction."""

    def __init__(self, db: TenantDatabase) -> None:
        self.db = db

    async def create_workspace(self, name: str, tier: TierInfo | str) -> Workspace:
        """A new workspace on ``tier`` (its entitlement snapshot starts now)."""
        workspace = Workspace(id=new_id(), name=name, created_at=utcnow())
        async with self.db.tenant(workspace.id) as session:
            session.add(workspace)
            await session.flush()
            session.add(self._entitlement_row(workspace.id, Entitlement.from_tier(tier)))
        return workspace

    async def add_user(
        self, workspace_id: uuid.UUID, *, email: str | None = None, external_id: str | None = None
    ) -> User:
        """A new user in ``workspace_id``."""
        user = User(workspace_id=workspace_id, email=email, external_id=external_id)
        async with self.db.tenant(workspace_id) as session:
            session.add(user)
        return user

    async def entitlement(self, workspace_id: uuid.UUID) -> Entitlement:
        """The entitlement in force for ``workspace_id``."""
        async with self.db.tenant(workspace_id) as session:
            snapshot = await session.scalar(
                select(EntitlementRow.snapshot).where(
                    EntitlementRow.workspace_id == workspace_id, EntitlementRow.ends_at.is_(None)
                )
            )
        if snapshot is None:
            raise LookupError(f"workspace {workspace_id} has no entitlement")
        return Entitlement.from_json(snapshot)

    async def change_tier(self, workspace_id: uuid.UUID, tier: TierInfo | str) -> Entitlement:
        """Move ``workspace_id`` to ``tier`` from now on; past calls keep their terms."""
        entitlement = Entitlement.from_tier(tier)
        now = utcnow()
        async with self.db.tenant(workspace_id) as session:
            await session.execute(
                update(EntitlementRow)
                .where(
                    EntitlementRow.workspace_id == workspace_id, EntitlementRow.ends_at.is_(None)
                )
                .values(ends_at=now)
                .execution_options(synchronize_session=False)
            )
            session.add(self._entitlement_row(workspace_id, entitlement, now))
        return entitlement

    async def issue_api_key(
        self,
        workspace_id: uuid.UUID,
        *,
        name: str,
        user_id: uuid.UUID | None = None,
        role: str = "member",
    ) -> IssuedKey:
        """A new API key for the workspace (or one of its users), with its role."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; expected one of {ROLES}")
        plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(
            id=new_id(),
            workspace_id=workspace_id,
            user_id=user_id,
            name=name,
            role=role,
            prefix=plaintext[:12],
            key_hash=hash_key(plaintext),
        )
        async with self.db.tenant(workspace_id) as session:
            session.add(key)
        return IssuedKey(id=key.id, prefix=key.prefix, plaintext=plaintext)

    async def revoke_api_key(self, workspace_id: uuid.UUID, key_id: uuid.UUID) -> None:
        """Stop accepting a key (the row stays, for the audit trail)."""
        async with self.db.tenant(workspace_id) as session:
            await session.execute(
                update(ApiKey)
                .where(ApiKey.workspace_id == workspace_id, ApiKey.id == key_id)
                .values(revoked_at=utcnow())
                .execution_options(synchronize_session=False)
            )

    async def resolve_api_key(self, plaintext: str) -> Principal | None:
        """Who ``plaintext`` acts for, or None for an unknown or revoked key.

        The lookup by hash runs system-wide (the workspace is what we are finding out);
        everything after it is scoped to the key's workspace.
        """
        if not plaintext.startswith(KEY_PREFIX):
            return None
        async with self.db.system() as session:
            key = await session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(plaintext)))
        now = utcnow()
        # A rotated key may work until its grace period ends: revoked_at in the future.
        if key is None or (key.revoked_at is not None and key.revoked_at <= now):
            return None
        entitlement = await self.entitlement(key.workspace_id)
        if key.last_used_at is None or now - key.last_used_at > _TOUCH_EVERY:
            async with self.db.tenant(key.workspace_id) as session:
                await session.execute(
                    update(ApiKey)
                    .where(ApiKey.workspace_id == key.workspace_id, ApiKey.id == key.id)
                    .values(last_used_at=now)
                    .execution_options(synchronize_session=False)
                )
        return Principal(key.workspace_id, key.user_id, key.id, entitlement, key.role)

    @staticmethod
    def _entitlement_row(
        workspace_id: uuid.UUID, entitlement: Entitlement, now: datetime | None = None
    ) -> EntitlementRow:
        return EntitlementRow(
            workspace_id=workspace_id,
            tier=entitlement.tier,
            snapshot=entitlement.to_json(),
            starts_at=now or utcnow(),
        )
