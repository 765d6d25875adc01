"""Finding and listing workspaces, for operators (``python -m app workspaces``, the API's
``workspace`` fields). An operator names a workspace by its id or by its name."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select

from app.models import Entitlement as EntitlementRow
from app.models import Workspace
from app.services.usage.tenancy import TenantDatabase


class WorkspaceNotFound(LookupError):
    """No workspace has that id or name (or several share the name)."""


@dataclass(frozen=True, slots=True)
class WorkspaceInfo:
    """A workspace and the plan in force."""

    id: uuid.UUID
    name: str
    tier: str | None  # None only for a workspace whose entitlement was removed by hand
    created_at: datetime


async def list_workspaces(
    db: TenantDatabase, *, where: ColumnElement[bool] | None = None
) -> list[WorkspaceInfo]:
    """Every workspace (or those matching ``where``), oldest first, with its current
    tier: an operator's view across tenants."""
    query = (
        select(Workspace.id, Workspace.name, Workspace.created_at, EntitlementRow.tier)
        .outerjoin(
            EntitlementRow,
            (EntitlementRow.workspace_id == Workspace.id) & EntitlementRow.ends_at.is_(None),
        )
        .order_by(Workspace.created_at, Workspace.name)
    )
    if where is not None:
        query = query.where(where)
    async with db.system() as session:
        rows = (await session.execute(query)).all()
    return [WorkspaceInfo(id=i, name=n, tier=t, created_at=c) for i, n, c, t in rows]


async def find_workspace(db: TenantDatabase, ref: str) -> WorkspaceInfo:
    """The workspace ``ref`` names: its id, else its (unique) name."""
    ref = ref.strip()
    try:
        wanted: uuid.UUID | None = uuid.UUID(ref)
    except ValueError:
        wanted = None
    if wanted is not None:
        by_id = await list_workspaces(db, where=Workspace.id == wanted)
        if by_id:
            return by_id[0]
    found = await list_workspaces(db, where=Workspace.name == ref)
    if len(found) > 1:
        raise WorkspaceNotFound(f"{len(found)} workspaces are named {ref!r}; use its id")
    if not found:
        raise WorkspaceNotFound(f"there is no workspace {ref!r}")
    return found[0]
