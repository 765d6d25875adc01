"""Key endpoints: ``GET /v1/keys``, ``POST /v1/keys``, ``DELETE /v1/keys/{id}``.

Owners manage their own workspace's keys, operators any workspace's (``workspace``:
an id or a name). Operator keys are made only from the command line, so no key
here can create one. A listed key never shows its secret; a new one shows it once.
"""

from __future__ import annotations

from app.schemas.keys import ApiKeyInfo, ApiKeyList, CreatedApiKey, CreateKeyBody
from app.services.accounts.keyring import (
    KeyInfo,
    KeyNotFound,
    find_key,
    issue_key,
    list_keys,
    revoke_key,
)
from app.services.api.auth import Caller
from app.services.api.calls import MeteredCalls
from app.services.api.errors import not_found
from app.services.api.scope import target_workspace

MANAGE_KEYS = "manage_keys"


def key_info(key: KeyInfo) -> ApiKeyInfo:
    """A key as the API lists it."""
    return ApiKeyInfo(
        id=str(key.id),
        workspace_id=str(key.workspace_id),
        name=key.name,
        prefix=key.prefix,
        user_id=str(key.user_id) if key.user_id else None,
        user=key.user,
        role=key.role,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )


class KeysApi(MeteredCalls):
    """A workspace's API keys: list, create (shown once), revoke."""

    async def keys(self, caller: Caller, workspace: str | None) -> ApiKeyList:
        """The keys of the caller's workspace (operators: of ``workspace``)."""
        workspace_id = await target_workspace(self.runtime.db, caller, MANAGE_KEYS, workspace)
        listed = await list_keys(self.runtime.db, workspace_id)
        return ApiKeyList(workspace_id=str(workspace_id), data=[key_info(k) for k in listed])

    async def create_key(self, caller: Caller, body: CreateKeyBody) -> CreatedApiKey:
        """A new owner or member key for a user of the workspace; the key is in this
        answer only."""
        workspace_id = await target_workspace(self.runtime.db, caller, MANAGE_KEYS, body.workspace)
        issued, key = await issue_key(
            self.runtime.db, workspace_id, user=body.user, role=body.role, name=body.name
        )
        return CreatedApiKey(**key_info(key).model_dump(), key=issued.plaintext)

    async def revoke_key(self, caller: Caller, key_id: str) -> ApiKeyInfo:
        """Revoke a key of the caller's workspace (operators: of any); it fails from the
        next request on. Revoking a revoked key changes nothing."""
        scope = caller.require(MANAGE_KEYS)
        try:
            key = await find_key(
                self.runtime.db, key_id, None if scope == "any" else caller.workspace_id
            )
        except KeyNotFound:
            raise not_found("unknown_key", "There is no such key.") from None
        return key_info(await revoke_key(self.runtime.db, key))
