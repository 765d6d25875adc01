"""Managing API keys after creation: list, issue for a user, revoke, rotate.

Shared by ``python -m app keys list|revoke|rotate`` and ``/v1/keys``. A listed key
never carries its secret or hash; the plaintext exists only in what ``issue_key``
and ``rotate_key`` return. Revocation is a timestamp on the row, and every request
reads the row (there is no in-process key cache), so a revoked key fails on the
next request in every worker. Rotation may leave the old key a grace period: its
``revoked_at`` is then set in the future and it works until that moment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from app.models import ApiKey, User
from app.models.base import utcnow
from app.services.accounts.keys import IssuedKey
from app.services.accounts.roles import Role, as_role
from app.services.accounts.service import Accounts
from app.services.usage.tenancy import TenantDatabase

# The longest grace a rotated key may keep (a forgotten deploy must not keep it forever).
MAX_GRACE = timedelta(days=7)


class KeyNotFound(LookupError):
    """No key has that id (or prefix) where the caller may look."""


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """An API key as listed: who it acts for and when it worked, never its secret."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    prefix: str
    user_id: uuid.UUID | None
    user: str | None  # the user's email, or the product's own user id
    role: Role
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def revoked(self, now: datetime | None = None) -> bool:
        """Whether the key no longer works (at ``now``; a rotated key's grace may run)."""
        return self.revoked_at is not None and self.revoked_at <= (now or utcnow())


def _info(key: ApiKey, email: str | None, external_id: str | None) -> KeyInfo:
    return KeyInfo(
        id=key.id,
        workspace_id=key.workspace_id,
        name=key.name,
        prefix=key.prefix,
        user_id=key.user_id,
        user=email or external_id,
        role=as_role(key.role),
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )


async def list_keys(db: TenantDatabase, workspace_id: uuid.UUID | None) -> list[KeyInfo]:
    """The workspace's keys (every workspace's when None: operators), revoked ones
    included, oldest first."""
    query = (
        select(ApiKey, User.email, User.external_id)
        .outerjoin(User, User.id == ApiKey.user_id)
        .order_by(ApiKey.created_at, ApiKey.id)
    )
    if workspace_id is not None:
        async with db.tenant(workspace_id) as session:
            query = query.where(ApiKey.workspace_id == workspace_id)
            rows = (await session.execute(query)).all()
    else:
        # Every workspace's keys: the operator's view across tenants.
        async with db.system() as session:
            rows = (await session.execute(query)).all()
    return [_info(key, email, external_id) for key, email, external_id in rows]


async def find_key(db: TenantDatabase, ref: str, workspace_id: uuid.UUID | None) -> KeyInfo:
    """The key ``ref`` names (its id, or its listed prefix) in ``workspace_id``, or in
    any workspace when that is None (operators). ``KeyNotFound`` otherwise."""
    ref = ref.strip()
    try:
        wanted: uuid.UUID | None = uuid.UUID(ref)
    except ValueError:
        wanted = None
    match = ApiKey.id == wanted if wanted is not None else ApiKey.prefix == ref
    query = (
        select(ApiKey, User.email, User.external_id)
        .outerjoin(User, User.id == ApiKey.user_id)
        .where(match)
        .limit(2)
    )
    if workspace_id is not None:
        query = query.where(ApiKey.workspace_id == workspace_id)
        async with db.tenant(workspace_id) as session:
            rows = (await session.execute(query)).all()
    else:
        # Across workspaces: the key's workspace is what we are finding out.
        async with db.system() as session:
            rows = (await session.execute(query)).all()
    if len(rows) != 1:
        raise KeyNotFound(f"there is no key {ref!r}" if not rows else f"{ref!r} is ambiguous")
    key, email, external_id = rows[0]
    return _info(key, email, external_id)


async def find_or_add_user(
    db: TenantDatabase, workspace_id: uuid.UUID, user: str
) -> tuple[uuid.UUID, bool]:
    """The id of ``user`` in the workspace (an email when it contains ``@``, else the
    product's own user id), added when missing; and whether it was added."""
    email, external_id = (user, None) if "@" in user else (None, user)
    async with db.tenant(workspace_id) as session:
        user_id = await session.scalar(
            select(User.id).where(
                User.workspace_id == workspace_id,
                User.email == email if email else User.external_id == external_id,
            )
        )
    if user_id is not None:
        return user_id, False
    added = await Accounts(db).add_user(workspace_id, email=email, external_id=external_id)
    return added.id, True


async def issue_key(
    db: TenantDatabase, workspace_id: uuid.UUID, *, user: str, role: Role, name: str | None = None
) -> tuple[IssuedKey, KeyInfo]:
    """A new key for ``user`` (added to the workspace when missing) with ``role``."""
    user_id, _ = await find_or_add_user(db, workspace_id, user)
    issued = await Accounts(db).issue_api_key(
        workspace_id, name=(name or f"{role} key for {user}")[:100], user_id=user_id, role=role
    )
    return issued, await find_key(db, str(issued.id), workspace_id)


async def revoke_key(db: TenantDatabase, key: KeyInfo, *, at: datetime | None = None) -> KeyInfo:
    """Stop accepting ``key`` from ``at`` (default: now). Revoking again never moves an
    earlier revocation later; it may cut a rotation's grace short."""
    when = at or utcnow()
    async with db.tenant(key.workspace_id) as session:
        await session.execute(
            update(ApiKey)
            .where(
                ApiKey.workspace_id == key.workspace_id,
                ApiKey.id == key.id,
                or_(ApiKey.revoked_at.is_(None), ApiKey.revoked_at > when),
            )
            .values(revoked_at=when)
            .execution_options(synchronize_session=False)
        )
    return await find_key(db, str(key.id), key.workspace_id)


@dataclass(frozen=True, slots=True)
class Rotation:
    """A rotated key: the new one (``issued.plaintext`` is its only copy) and the old."""

    issued: IssuedKey
    new: KeyInfo
    old: KeyInfo


async def rotate_key(
    db: TenantDatabase, key: KeyInfo, *, grace: timedelta = timedelta(0)
) -> Rotation:
    """A new key with ``key``'s workspace, user, role and name; ``key`` stops working
    now, or after ``grace`` (at most ``MAX_GRACE``) so clients can switch over."""
    if key.revoked():
        raise ValueError("the key is already revoked; create a new one instead")
    if grace < timedelta(0) or grace > MAX_GRACE:
        raise ValueError(f"the grace period must be between 0 and {MAX_GRACE.days} days")
    issued = await Accounts(db).issue_api_key(
        key.workspace_id, name=key.name, user_id=key.user_id, role=key.role
    )
    old = await revoke_key(db, key, at=utcnow() + grace)
    return Rotation(issued, await find_key(db, str(issued.id), key.workspace_id), old)
