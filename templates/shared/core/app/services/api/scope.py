"""Which workspace a request acts on: the caller's own, or the one an operator names.

Endpoints whose permission reaches ``any`` workspace (operators) take a
``workspace`` (an id or a name); everyone else may name only their own.
"""

from __future__ import annotations

import uuid

from app.services.accounts.workspaces import WorkspaceNotFound, find_workspace
from app.services.api.auth import Caller
from app.services.api.errors import forbidden, not_found
from app.services.usage.tenancy import TenantDatabase


async def target_workspace(
    db: TenantDatabase, caller: Caller, action: str, ref: str | None
) -> uuid.UUID:
    """The workspace ``action`` acts on; 403 when the caller's role may not take the
    action or may not reach the named workspace, 404 when an operator names none."""
    scope = caller.require(action)
    if ref is None:
        return caller.workspace_id
    try:
        found: uuid.UUID | None = (await find_workspace(db, ref)).id
    except WorkspaceNotFound:
        found = None
    if scope != "any":
        # One's own only; whether another exists is nobody else's business (403 either way).
        if found != caller.workspace_id:
            raise forbidden(
                "workspace_forbidden",
                "This key acts on its own workspace only; only operators name another.",
            )
        return caller.workspace_id
    if found is None:
        raise not_found(
            "unknown_workspace", "There is no workspace with that id or name.", param="workspace"
        )
    return found
