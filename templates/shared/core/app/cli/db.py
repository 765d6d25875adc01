"""``python -m app db upgrade|current|sweep``: the database, for operators.

- ``upgrade``: applies the migrations to ``DATABASE_URL`` (or ``--url``);
- ``current``: prints the revision the database is at;
- ``sweep``: closes calls a crashed process left pending (releasing what they held
  on the cap and credits) and expires credit grants; run it every few minutes.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from typing import Any

from app.cli import add_group
from app.core import migrate
from app.core.config import get_settings
from app.core.db import create_engine_for
from app.models.base import utcnow
from app.services.usage.sweep import sweep
from app.services.usage.tenancy import TenantDatabase


def register(subparsers: Any) -> None:
    """Add the ``db`` group and its commands."""
    commands = add_group(
        subparsers,
        "db",
        "migrate the database, sweep abandoned calls",
        "Migrate the database (DATABASE_URL, or --url; SQLite ./app.db by "
        "default) and close the calls a crashed process left pending.",
    )

    def add(name: str, handler: Any, help_text: str, description: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = commands.add_parser(
            name, help=help_text, description=description
        )
        parser.add_argument("--url", help="database URL (default: DATABASE_URL, then SQLite)")
        parser.set_defaults(handler=handler)
        return parser

    upgrade = add(
        "upgrade",
        upgrade_db,
        "apply the migrations (to the latest by default)",
        "Apply the migrations up to REVISION (the latest by default) and print the "
        "revision the database is then at, on stderr.",
    )
    upgrade.add_argument(
        "revision", nargs="?", default="heads", help="target revision (default: heads)"
    )
    add(
        "current",
        current_revision,
        "print the database's migration revision",
        "Print the revision the database is at on stdout (none before the first upgrade).",
    )
    sweeping = add(
        "sweep",
        sweep_db,
        "close abandoned calls, expire credit grants",
        "Close the calls a crashed process left pending, releasing what they held on the "
        "cost cap and credits, and expire due credit grants. Run it every few minutes.",
    )
    sweeping.add_argument(
        "--older-than-minutes",
        type=float,
        default=15.0,
        metavar="MINUTES",
        help="a call pending for longer than this is abandoned (default: 15)",
    )


def _url(args: argparse.Namespace) -> str:
    return str(args.url or get_settings().database_url)


async def upgrade_db(args: argparse.Namespace) -> int:
    """Migrate the database up to ``args.revision``."""
    url = _url(args)
    migrate.upgrade(url, args.revision)
    print(f"database at revision {migrate.current(url)}", file=sys.stderr)
    return 0


async def current_revision(args: argparse.Namespace) -> int:
    """Print the current revision on stdout (``none`` before the first upgrade)."""
    print(migrate.current(_url(args)) or "none")
    return 0


async def sweep_db(args: argparse.Namespace) -> int:
    """Close calls pending longer than ``--older-than-minutes``; expire due grants."""
    engine = create_engine_for(_url(args))
    try:
        report = await sweep(
            TenantDatabase(engine),
            older_than=timedelta(minutes=args.older_than_minutes),
            now=utcnow(),
        )
    finally:
        await engine.dispose()
    print(
        f"closed {report.calls_abandoned} abandoned calls, "
        f"expired {report.credits_expired_micros} micro-USD of credits",
        file=sys.stderr,
    )
    return 0
