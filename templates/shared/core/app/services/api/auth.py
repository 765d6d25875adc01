"""Who is calling: a Bearer API key -> workspace, user, role and tier.

The tenant comes only from the key. A client may send ``X-Workspace-Id`` (or
``X-Tenant-Id``) and ``X-User-Id`` to state whom it believes it acts for; when a
value disagrees with the key, the request is refused (403), never followed.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.services.accounts import Accounts, Role
from app.services.accounts.permissions import Scope, permission
from app.services.accounts.roles import as_role
from app.services.api.errors import forbidden, unauthorized
from app.services.api.headers import ResponseMeta
from app.services.usage.entitlements import Entitlement

TENANT_HEADERS = ("x-workspace-id", "x-tenant-id")
USER_HEADERS = ("x-user-id",)


@dataclass(slots=True)
class Caller:
    """The authenticated caller of one request, and what its responses must carry."""

    workspace_id: uuid.UUID
    user_id: uuid.UUID | None
    api_key_id: uuid.UUID
    role: Role
    entitlement: Entitlement
    meta: ResponseMeta = field(default_factory=ResponseMeta)

    @property
    def tier(self) -> str:
        """The name of the caller's plan."""
        return self.entitlement.tier

    @property
    def sees_costs(self) -> bool:
        """Whether responses may show this caller dollar amounts (``view_costs``)."""
        return self.can("view_costs")

    def can(self, action: str) -> bool:
        """Whether the permission table lets the caller's role take ``action``."""
        return permission(action).scope(self.role) is not None

    def require(self, action: str) -> Scope:
        """How far the caller reaches with ``action``; 403 when its role may not take it."""
        rule = permission(action)
        scope = rule.scope(self.role)
        if scope is None:
            raise forbidden(
                rule.refusal_code,
                f"This {self.role} key may not do this ({action}); "
                f"allowed: {', '.join(rule.grants)}.",
            )
        return scope


def bearer_token(authorization: str | None) -> str:
    """The key in ``Authorization: Bearer <key>``; 401 when absent or malformed."""
    if not authorization or not authorization.strip():
        raise unauthorized(
            "missing_api_key", "Send your API key as an 'Authorization: Bearer <key>' header."
        )
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise unauthorized(
            "invalid_authorization", "The Authorization header must be 'Bearer <key>'."
        )
    return token


def _same_id(claimed: str, actual: uuid.UUID | None) -> bool:
    try:
        return actual is not None and uuid.UUID(claimed.strip()) == actual
    except ValueError:
        return False


def check_claims(caller: Caller, headers: Mapping[str, str]) -> None:
    """403 when a tenant or user header names anyone but the key's workspace and user."""
    lowered = {name.lower(): value for name, value in headers.items()}
    for name in TENANT_HEADERS:
        claimed = lowered.get(name)
        if claimed is not None and not _same_id(claimed, caller.workspace_id):
            raise forbidden(
                "tenant_mismatch",
                f"The {name} header does not match your API key's workspace; "
                "the workspace always comes from the key.",
            )
    for name in USER_HEADERS:
        claimed = lowered.get(name)
        if claimed is not None and not _same_id(claimed, caller.user_id):
            raise forbidden(
                "user_mismatch",
                f"The {name} header does not match your API key's user; "
                "the user always comes from the key.",
            )


async def authenticate(
    accounts: Accounts, authorization: str | None, headers: Mapping[str, str]
) -> Caller:
    """The caller behind the request's API key; 401 or 403 otherwise."""
    token = bearer_token(authorization)
    principal = await accounts.resolve_api_key(token)
    if principal is None:
        raise unauthorized("invalid_api_key", "This API key is not valid (unknown or revoked).")
    caller = Caller(
        workspace_id=principal.workspace_id,
        user_id=principal.user_id,
        api_key_id=principal.api_key_id,
        role=as_role(principal.role),
        entitlement=principal.entitlement,
    )
    check_claims(caller, headers)
    return caller
