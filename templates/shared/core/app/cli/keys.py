"""``python -m app keys create|demo``: API keys for operators and scripts.

- ``create --workspace W --user U --tier T [--role owner|member]`` creates what is
  missing (the workspace on tier T, the user U) and a new key, and prints only the
  key on stdout, so a script can capture it: ``KEY=$(python -m app keys create ...)``;
- ``demo``: the same for the demo workspace ``make run`` seeds (an owner key, and
  demo credits when the product sells prepaid credits).
"""

from __future__ import annotations

import argparse
import sys
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
from app.services.usage.tenancy import TenantDatabase


def register(subparsers: Any) -> None:
    """Add the ``keys`` group and its commands."""
    commands = add_group(
        subparsers,
        "keys",
        "create API keys (and their workspace and user)",
        "Create API keys. The key alone is printed on stdout, so a script "
        "can capture it: KEY=$(python -m app keys create ...). It is stored hashed and "
        "never shown again.",
    )
    create = commands.add_parser(
        "create",
        help="create a key; prints only the key on stdout",
        description="Create an API key, and the workspace and user if missing. "
        "Prints only the new key on stdout; it is stored hashed and never shown again.",
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
