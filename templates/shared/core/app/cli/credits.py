"""``python -m app credits grant``: prepaid credits, granted by an operator.

Credits come only from an operator (this command, or ``POST /v1/credits`` with an
operator key) or from a paid Checkout; customer keys cannot grant them.
``grant --workspace W --amount USD [--reference R]`` is idempotent by reference:
granting again with the same reference changes nothing.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.cli import add_group
from app.core.config import get_settings
from app.core.db import create_engine_for
from app.models.base import utcnow
from app.services.accounts.workspaces import WorkspaceNotFound, find_workspace
from app.services.usage import credits
from app.services.usage.money import usd_text
from app.services.usage.tenancy import TenantDatabase

MAX_GRANT_USD = Decimal(1_000_000)  # the API's bound on one grant, too


def amount(text: str) -> Decimal:
    """A positive USD amount with at most six decimals (argparse type)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not an amount: {text!r}") from None
    if not value.is_finite() or value <= 0 or value > MAX_GRANT_USD:
        raise argparse.ArgumentTypeError(f"the amount must be above 0 and at most {MAX_GRANT_USD}")
    if value != value.quantize(Decimal("0.000001")):
        raise argparse.ArgumentTypeError("at most six decimals (micro-USD)")
    return value


def timestamp(text: str) -> datetime:
    """An ISO 8601 date and time with its UTC offset (argparse type)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 timestamp: {text!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("give the UTC offset, e.g. 2030-01-01T00:00:00+00:00")
    return value


def register(subparsers: Any) -> None:
    """Add the ``credits`` group and its commands."""
    commands = add_group(
        subparsers,
        "credits",
        "grant prepaid credits to a workspace",
        "Grant prepaid credits to any workspace (operators only; customers pay "
        "through Checkout). The grant's id is printed on stdout.",
    )
    grant = commands.add_parser(
        "grant",
        help="grant credits; prints the grant's id on stdout",
        description="Grant AMOUNT USD of credits to a workspace and print the grant's id "
        "on stdout. With --reference (e.g. an invoice or ticket id) it is idempotent: "
        "granting again with the same reference changes nothing.",
    )
    grant.add_argument("--workspace", required=True, help="the workspace's id or name")
    grant.add_argument("--amount", required=True, type=amount, help="USD, e.g. 25 or 9.99")
    grant.add_argument("--reference", help="a unique reference: granting it twice is a no-op")
    grant.add_argument("--reason", default="operator grant", help="why (default: operator grant)")
    grant.add_argument("--expires-at", type=timestamp, help="ISO 8601 time the credits expire")
    grant.add_argument("--url", help="database URL (default: DATABASE_URL, then SQLite)")
    grant.set_defaults(handler=grant_command)


async def grant_command(args: argparse.Namespace) -> int:
    """Grant the credits; the grant id goes to stdout, the balance to stderr."""
    engine = create_engine_for(args.url or get_settings().database_url)
    try:
        db = TenantDatabase(engine)
        workspace = await find_workspace(db, args.workspace)
        now = utcnow()
        async with db.tenant(workspace.id) as session:
            row = await credits.grant(
                session,
                db.dialect,
                workspace_id=workspace.id,
                amount_usd=args.amount,
                reason=args.reason[:200],
                now=now,
                expires_at=args.expires_at,
                reference=args.reference,
            )
            balance = await credits.balance(session, workspace_id=workspace.id, now=now)
    except (WorkspaceNotFound, ValueError) as exc:
        print(f"credits grant: {exc}", file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
    if row.created_at != now:  # a grant found by its reference, made by an earlier run
        print(
            f"reference {args.reference!r} was already granted to {workspace.name!r} "
            f"({usd_text(row.amount_micros)} USD): nothing changed",
            file=sys.stderr,
        )
    else:
        print(f"granted {args.amount} USD to {workspace.name!r}", file=sys.stderr)
    print(f"balance: {usd_text(balance.balance_micros)} USD", file=sys.stderr)
    print(row.id)
    return 0
