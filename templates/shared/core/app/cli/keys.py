"""``python -m app keys create|demo|list|revoke|rotate``: API keys for operators.

- ``create --workspace W --user U --tier T [--role operator|owner|member]`` creates
  what is missing (the workspace on tier T, the user U) and a new key, and prints
  only the key on stdout, so a script can capture it: ``KEY=$(python -m app keys
  create ...)``. Operator keys are made only here (the founder's own workspace);
- ``demo``: the same for the demo workspace ``make run`` seeds (an owner key, and
  demo credits when the product sells prepaid credits);
- ``list [--workspace W] [--json]``: keys with their prefix, user, role and dates,
  never a secret;
- ``revoke KEY``: the key (its id or prefix) fails from the next request on;
- ``rotate KEY [--grace-minutes N]``: a new key for the same user and role (printed
  alone on stdout); the old one stops now, or after the grace period.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from app.cli import add_group
from app.core.catalog import TIERS
from app.core.config import get_settings
from app.core.db import create_engine_for
from app.services.accounts import (
    DEMO_TIER,
    DEMO_WORKSPACE,
    ROLES,
    KeyRequestError,
    create_demo_key,
    create_key,
)
from app.services.accounts.keyring import (
    MAX_GRACE,
    KeyInfo,
    KeyNotFound,
    find_key,
    list_keys,
    revoke_key,
    rotate_key,
)
from app.services.accounts.workspaces import WorkspaceNotFound, find_workspace
from app.services.usage.tenancy import TenantDatabase


def register(subparsers: Any) -> None:
    """Add the ``keys`` group and its commands."""
    commands = add_group(
        subparsers,
        "keys",
        "create, list, revoke and rotate API keys",
        "Create, list, revoke and rotate API keys. A new key alone is printed on "
        "stdout, so a script can capture it: KEY=$(python -m app keys create ...). It "
        "is stored hashed and never shown again.",
    )
    create = commands.add_parser(
        "create",
        help="create a key; prints only the key on stdout",
        description="Create an API key, and the workspace and user if missing. "
        "Prints only the new key on stdout; it is stored hashed and never shown again. "
        "Operator keys (every workspace: plans, credits, prompts, keys) are created "
        "only here, in the founder's own workspace.",
    )
    create.add_argument("--workspace", required=True, help="workspace name")
    create.add_argument("--user", required=True, help="user email, or the product's user id")
    create.add_argument("--tier", required=True, choices=sorted(TIERS), help="the plan")
    create.add_argument("--role", choices=ROLES, default="member", help="default: member")
    create.add_argument("--url", help="database URL (default: DATABASE_URL, then SQLite)")
    create.set_defaults(handler=create_command)
    demo = commands.add_parser(
        "demo",
        help="a new owner key for the demo workspace; prints only the key on stdout",
        description=f"Create the demo workspace ({DEMO_WORKSPACE!r}, tier {DEMO_TIER}) "
        "if missing, and print a new owner key for it.",
    )
    demo.add_argument("--url", help="database URL (default: DATABASE_URL, then SQLite)")
    demo.set_defaults(handler=demo_command)
    listing = commands.add_parser(
        "list",
        help="list keys (never their secrets)",
        description="List API keys, revoked ones included: id, prefix, workspace, user, "
        "role, created, last used (to within five minutes) and revoked. Never a secret.",
    )
    listing.add_argument("--workspace", help="only this workspace (its id or name)")
    listing.add_argument("--json", action="store_true", help="print JSON lines on stdout")
    listing.add_argument("--url", help="database URL (default: DATABASE_URL, then SQLite)")
    listing.set_defaults(handler=list_command)
    revoke = commands.add_parser(
        "revoke",
        help="revoke a key: it fails from the next request on",
        description="Revoke a key (its id, or the prefix the list shows). It fails from "
        "the next request on, in every worker. Revoking it again changes nothing.",
    )
    revoke.add_argument("key", help="the key's id or prefix")
    revoke.add_argument("--url", help="database URL (default: DATABASE_URL, then SQLite)")
    revoke.set_defaults(handler=revoke_command)
    rotate = commands.add_parser(
        "rotate",
        help="replace a key; prints only the new key on stdout",
        description="Create a new key for the same workspace, user and role, print it "
        "alone on stdout, and revoke the old key: at once, or after --grace-minutes "
        "so clients can switch over (the old key works until then).",
    )
    rotate.add_argument("key", help="the key's id or prefix")
    rotate.add_argument(
        "--grace-minutes",
        type=int,
        default=0,
        help=f"how long the old key keeps working (default 0, at most {MAX_GRACE.days} days)",
    )
    rotate.add_argument("--url", help="database URL (default: DATABASE_URL, then SQLite)")
    rotate.set_defaults(handler=rotate_command)


async def create_command(args: argparse.Namespace) -> int:
    """Create the key; the key alone goes to stdout, the rest to stderr."""
    engine = create_engine_for(args.url or get_settings().database_url)
    try:
        created = await create_key(
            TenantDatabase(engine),
            workspace=args.workspace,
            user=args.user,
            tier=args.tier,
            role=args.role,
        )
    except KeyRequestError as exc:
        print(f"keys create: {exc}", file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
    made = [
        f"workspace {args.workspace!r} ({created.tier})" if created.created_workspace else "",
        f"user {args.user!r}" if created.created_user else "",
    ]
    made = [part for part in made if part]
    print(
        (f"created {' and '.join(made)}; " if made else "")
        + f"new {created.role} key for {args.user!r} in {args.workspace!r} (shown once):",
        file=sys.stderr,
    )
    print(created.plaintext)
    return 0


async def demo_command(args: argparse.Namespace) -> int:
    """Seed the demo workspace and print a new key for it (stdout), with a hint (stderr)."""
    engine = create_engine_for(args.url or get_settings().database_url)
    try:
        created = await create_demo_key(TenantDatabase(engine))
    except KeyRequestError as exc:
        print(f"keys demo: {exc}", file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
    print(
        f"demo API key for workspace {DEMO_WORKSPACE!r} (tier {created.tier}, owner), "
        "shown once below. Try:\n"
        '  curl -H "Authorization: Bearer KEY" http://127.0.0.1:8000/v1/models',
        file=sys.stderr,
    )
    print(created.plaintext)
    return 0


@asynccontextmanager
async def _database(args: argparse.Namespace) -> AsyncIterator[TenantDatabase]:
    engine = create_engine_for(args.url or get_settings().database_url)
    try:
        yield TenantDatabase(engine)
    finally:
        await engine.dispose()


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "-"


def key_line(key: KeyInfo) -> dict[str, str | None]:
    """A key as ``keys list --json`` prints it."""
    return {
        "id": str(key.id),
        "prefix": key.prefix,
        "workspace_id": str(key.workspace_id),
        "name": key.name,
        "user": key.user,
        "user_id": str(key.user_id) if key.user_id else None,
        "role": key.role,
        "created_at": key.created_at.isoformat(),
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


async def list_command(args: argparse.Namespace) -> int:
    """Print the keys: a table, or one JSON object a line with ``--json``."""
    async with _database(args) as db:
        try:
            workspace = await find_workspace(db, args.workspace) if args.workspace else None
        except WorkspaceNotFound as exc:
            print(f"keys list: {exc}", file=sys.stderr)
            return 2
        keys = await list_keys(db, workspace.id if workspace else None)
    if args.json:
        for key in keys:
            print(json.dumps(key_line(key)))
        return 0
    header = ("id", "prefix", "workspace", "user", "role", "created", "last used", "revoked")
    rows = [header] + [
        (
            str(k.id),
            k.prefix,
            str(k.workspace_id),
            k.user or "-",
            k.role,
            _when(k.created_at),
            _when(k.last_used_at),
            _when(k.revoked_at),
        )
        for k in keys
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    return 0


async def revoke_command(args: argparse.Namespace) -> int:
    """Revoke the key; says when it stopped working, on stderr."""
    async with _database(args) as db:
        try:
            key = await revoke_key(db, await find_key(db, args.key, None))
        except KeyNotFound as exc:
            print(f"keys revoke: {exc}", file=sys.stderr)
            return 2
    print(f"revoked key {key.prefix}... ({key.id}) as of {_when(key.revoked_at)}", file=sys.stderr)
    return 0


async def rotate_command(args: argparse.Namespace) -> int:
    """Rotate the key; the new key alone goes to stdout, the rest to stderr."""
    async with _database(args) as db:
        try:
            old = await find_key(db, args.key, None)
            rotation = await rotate_key(db, old, grace=timedelta(minutes=args.grace_minutes))
        except (KeyNotFound, ValueError) as exc:
            print(f"keys rotate: {exc}", file=sys.stderr)
            return 2
    print(
        f"new {rotation.new.role} key for {rotation.new.user or 'the workspace'} "
        f"(shown once); the old key {old.prefix}... stops at "
        f"{_when(rotation.old.revoked_at)}:",
        file=sys.stderr,
    )
    print(rotation.issued.plaintext)
    return 0
