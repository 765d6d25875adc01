"""Plan changes: moving a workspace to another tier, from the operator CLI
(``python -m app workspaces set-tier``) or from billing (a paid plan change).

Each change closes the entitlement snapshot in force and opens a new one, so past
calls keep the terms they ran under (``app.services.usage.entitlements``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.core.catalog import TIERS
from app.services.accounts.service import Accounts
from app.services.usage.entitlements import Entitlement
from app.services.usage.tenancy import TenantDatabase


class UnknownTier(ValueError):
    """The catalog has no tier of that name."""


@dataclass(frozen=True, slots=True)
class PlanChange:
    """What ``change_tier`` did: ``changed`` is False when the workspace already had
    exactly these terms (then no snapshot is written)."""

    workspace_id: uuid.UUID
    previous_tier: str | None
    entitlement: Entitlement
    changed: bool

    @property
    def tier(self) -> str:
        """The tier in force now."""
        return self.entitlement.tier


async def change_tier(db: TenantDatabase, workspace_id: uuid.UUID, tier: str) -> PlanChange:
    """Put ``workspace_id`` on the catalog's ``tier`` from now on.

    Writes a new entitlement snapshot unless the one in force already holds the
    tier's current terms, so repeating a change (a retried webhook) writes nothing.
    A tier whose terms changed in the catalog since the snapshot gets a new one.
    """
    if tier not in TIERS:
        raise UnknownTier(f"unknown tier {tier!r}; the catalog has {', '.join(TIERS)}")
    accounts = Accounts(db)
    wanted = Entitlement.from_tier(tier)
    try:
        current: Entitlement | None = await accounts.entitlement(workspace_id)
    except LookupError:
        current = None
    if current is not None and current.to_json() == wanted.to_json():
        return PlanChange(workspace_id, current.tier, current, changed=False)
    entitlement = await accounts.change_tier(workspace_id, wanted)
    return PlanChange(workspace_id, current.tier if current else None, entitlement, changed=True)
