"""Dashboard sessions: a signed cookie that names an API key without holding it.

Logging in checks the key once; the session cookie then carries the key's id,
when it was issued and an HMAC over both, keyed by the key's stored hash (which
never leaves the database). Every request looks the key up again, so revoking or
rotating the key ends its sessions at once, in every worker. CSRF: a random token
in its own cookie that every form echoes in a hidden field (double submit),
with SameSite=Strict on both cookies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from app.models import ApiKey, Workspace
from app.services.accounts.roles import as_role
from app.services.usage.tenancy import TenantDatabase

SESSION_COOKIE = "admin_session"
CSRF_COOKIE = "admin_csrf"
SESSION_SECONDS = 12 * 3600
_VERSION = "v1"


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking at the dashboard: the key behind the session."""

    api_key_id: uuid.UUID
    workspace_id: uuid.UUID
    workspace: str
    role: str


def _signature(key_hash: str, key_id: uuid.UUID, issued: int) -> str:
    digest = hmac.new(
        key_hash.encode(), f"admin-session|{key_id}|{issued}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def new_csrf_token() -> str:
    """A fresh CSRF token."""
    return secrets.token_urlsafe(32)


def same_token(sent: str | None, expected: str | None) -> bool:
    """Whether a form's CSRF token matches the cookie's (constant time)."""
    return bool(sent and expected) and hmac.compare_digest(str(sent), str(expected))


async def _key_row(db: TenantDatabase, key_id: uuid.UUID) -> tuple[ApiKey, str] | None:
    # The key's workspace is what we are finding out: a system-wide lookup by id.
    async with db.system() as session:
        row = (
            await session.execute(
                select(ApiKey, Workspace.name)
                .join(Workspace, Workspace.id == ApiKey.workspace_id)
                .where(ApiKey.id == key_id)
            )
        ).first()
    return None if row is None else (row[0], row[1])


async def open_session(db: TenantDatabase, key_id: uuid.UUID, now: float | None = None) -> str:
    """The session cookie's value for a key that just logged in."""
    found = await _key_row(db, key_id)
    if found is None:
        raise LookupError("the key is gone")
    issued = int(now if now is not None else time.time())
    return f"{_VERSION}.{key_id.hex}.{issued}.{_signature(found[0].key_hash, key_id, issued)}"


async def viewer_of(
    db: TenantDatabase, cookie: str | None, now: float | None = None
) -> Viewer | None:
    """The viewer behind a session cookie; None when absent, forged, expired or revoked."""
    if not cookie or len(cookie) > 200:
        return None
    parts = cookie.split(".")
    if len(parts) != 4 or parts[0] != _VERSION or not parts[2].isdigit():
        return None
    try:
        key_id = uuid.UUID(hex=parts[1])
    except ValueError:
        return None
    issued = int(parts[2])
    moment = now if now is not None else time.time()
    if not issued <= moment < issued + SESSION_SECONDS:
        return None
    found = await _key_row(db, key_id)
    if found is None:
        return None
    key, workspace = found
    if key.revoked_at is not None:
        return None
    if not hmac.compare_digest(parts[3], _signature(key.key_hash, key_id, issued)):
        return None
    return Viewer(key.id, key.workspace_id, workspace, as_role(key.role))
