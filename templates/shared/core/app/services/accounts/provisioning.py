"""Creating API keys for operators: ``python -m app keys create`` and the demo seed.

Creates what is missing (the workspace on its tier, the user) and always a new
key, whose plaintext exists only in the returned value: shown once, stored hashed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from app.core.catalog import BILLING_MODE, TIERS
from app.models import Workspace
from app.models.base import utcnow
from app.services.accounts.keyring import find_or_add_user
from app.services.accounts.roles import Role
from app.services.accounts.service import Accounts
from app.services.usage import credits
from app.services.usage.tenancy import TenantDatabase

# The demo seed (``python -m app keys demo``, run by ``make run``).
DEMO_WORKSPACE = "demo"
DEMO_USER = "demo@example.com"
# The tier with the most models, so the demo shows what the product can do.
DEMO_TIER = max(TIERS.values(), key=lambda t: len(t.allowed_models)).name
DEMO_CREDITS_USD = Decimal(5)


class KeyRequestError(ValueError):
    """The request cannot be met as given (an operator error: exit code 2)."""


@dataclass(frozen=True, slots=True)
class CreatedKey:
    """What ``create_key`` did; ``plaintext`` is the only copy of the key."""

    plaintext: str
    workspace_id: uuid.UUID
    user_id: uuid.UUID
    role: Role
    tier: str
    created_workspace: bool
    created_user: bool


async def create_key(
    db: TenantDatabase, *, workspace: str, user: str, tier: str, role: Role = "member"
) -> CreatedKey:
    """A new key for ``user`` in ``workspace`` (both found by name, created if missing).

    ``user`` is an email when it contains ``@``, else the product's own user id.
    A workspace that exists on another tier is an error: keys never change plans.
    """
    if tier not in TIERS:
        raise KeyRequestError(f"unknown tier {tier!r}; the catalog has {', '.join(TIERS)}")
    accounts = Accounts(db)
    # By name across every workspace: the tenant is what we are looking up.
    async with db.system() as session:
        matches = (
            await session.scalars(select(Workspace).where(Workspace.name == workspace))
        ).all()
    if len(matches) > 1:
        raise KeyRequestError(
            f"{len(matches)} workspaces are named {workspace!r}; rename one first"
        )
    created_workspace = not matches
    if matches:
        found = matches[0]
        current = (await accounts.entitlement(found.id)).tier
        if current != tier:
            raise KeyRequestError(
                f"workspace {workspace!r} is on tier {current}, not {tier}; "
                "keys create does not change plans"
            )
    else:
        found = await accounts.create_workspace(workspace, tier)
    user_id, created_user = await find_or_add_user(db, found.id, user)
    issued = await accounts.issue_api_key(
        found.id, name=f"{role} key for {user}"[:100], user_id=user_id, role=role
    )
    return CreatedKey(
        plaintext=issued.plaintext,
        workspace_id=found.id,
        user_id=user_id,
        role=role,
        tier=tier,
        created_workspace=created_workspace,
        created_user=created_user,
    )


async def create_demo_key(db: TenantDatabase) -> CreatedKey:
    """A new owner key for the demo workspace (created on first use, on ``DEMO_TIER``).

    With prepaid credits, the workspace also gets its demo credits, once.
    """
    created = await create_key(
        db, workspace=DEMO_WORKSPACE, user=DEMO_USER, tier=DEMO_TIER, role="owner"
    )
    if BILLING_MODE == "prepaid_credits":
        async with db.tenant(created.workspace_id) as session:
            await credits.grant(
                session,
                db.dialect,
                workspace_id=created.workspace_id,
                amount_usd=DEMO_CREDITS_USD,
                reason="demo credits",
                now=utcnow(),
                reference="demo-seed",  # granted once, however often the demo is seeded
            )
    return created
