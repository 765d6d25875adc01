"""``python -m app workspaces list|set-tier``: workspaces and their plans, for operators.

- ``list [--json]``: every workspace with its id, name, tier and creation date;
- ``set-tier --workspace W --tier T``: move W to plan T outside Stripe (a new
  entitlement snapshot from now on; past calls keep their terms).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.cli import add_group
from app.core.catalog import TIERS
from app.core.config import get_settings
from app.core.db import create_engine_for
from app.services.accounts.plans import change_tier
from app.services.accounts.workspaces import WorkspaceNotFound, find_workspace, list_workspaces
from app.services.usage.tenancy import TenantDatabase


def register(subparsers: Any) -> None:
    """Add the ``workspaces`` group and its commands."""
    commands = add_group(
        subparsers,
        "workspaces",
        "list workspaces, change their plans",
        "List the workspaces (the tenants) and move one to another plan outside "
        "Stripe. Each plan change writes a new entitlement snapshot.",
    )
    listing = commands.add_parser(
        "list",
        help="list workspaces with their plans",
        description="List every workspace: id, name, tier and when it was created.",
    )
    listing.add_argument("--json", action="store_true", help="print JSON lines on stdout")
    listing.add_argument("--url", help="database URL (default: DATABASE_URL, then SQLite)")
    listing.set_defaults(handler=list_command)
    set_tier = commands.add_parser(
        "set-tier",
        help="move a workspace to another plan",
        description="Move a workspace to another plan from now on: the plan in force "
        "is closed and a new entitlement snapshot opens (past calls keep their terms). "
        "Setting the plan a workspace already has changes nothing.",
    )
    set_tier.add_argument("--workspace", required=True, help="the workspace's id or name")
    set_tier.add_argument("--tier", required=True, choices=sorted(TIERS), help="the new plan")
    set_tier.add_argument("--url", help="database URL (default: DATABASE_URL, then SQLite)")
    set_tier.set_defaults(handler=set_tier_command)


async def list_command(args: argparse.Namespace) -> int:
    """Print the workspaces: a table, or one JSON object a line with ``--json``."""
    engine = create_engine_for(args.url or get_settings().database_url)
    try:
        workspaces = await list_workspaces(TenantDatabase(engine))
    finally:
        await engine.dispose()
    rows = [
        {
            "id": str(w.id),
            "name": w.name,
            "tier": w.tier,
            "created_at": w.created_at.isoformat(timespec="seconds"),
        }
        for w in workspaces
    ]
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    table = [("id", "name", "tier", "created")] + [
        (r["id"] or "", r["name"] or "", r["tier"] or "-", r["created_at"] or "") for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
    return 0


async def set_tier_command(args: argparse.Namespace) -> int:
    """Change the plan; says what changed on stderr."""
    engine = create_engine_for(args.url or get_settings().database_url)
    try:
        db = TenantDatabase(engine)
        workspace = await find_workspace(db, args.workspace)
        change = await change_tier(db, workspace.id, args.tier)
    except WorkspaceNotFound as exc:
        print(f"workspaces set-tier: {exc}", file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
    if change.changed:
        print(
            f"workspace {workspace.name!r} moved from {change.previous_tier or 'no plan'} "
            f"to {change.tier} (a new entitlement snapshot from now on)",
            file=sys.stderr,
        )
    else:
        print(f"workspace {workspace.name!r} is already on {change.tier}", file=sys.stderr)
    return 0
