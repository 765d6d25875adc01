"""``python -m app billing setup|push|reconcile``: Stripe billing, for operators.

- ``setup``: creates or finds the meter, products and prices (by lookup key);
- ``push``: sends unsent usage from the billing outbox to the Stripe meter
  (exit 0 when the backlog is empty, 1 when rows remain; counts on stderr);
- ``reconcile --period YYYY-MM``: the ledger's totals per customer against
  Stripe's meter event summaries (exit 1 if any differ).

Every command needs ``STRIPE_SECRET_KEY`` (exit 2 without it, or when the spec's
billing mode is ``none``). See docs/billing.md.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import timedelta
from typing import Any

import stripe

from app.cli import add_group
from app.core.config import get_settings
from app.core.db import create_engine_for
from app.services.billing import (
    BillingNotConfigured,
    BillingNotEnabled,
    stripe_client,
    stripe_config,
)
from app.services.billing.push import PushOptions, push
from app.services.billing.reconcile import ReconcileError, reconcile
from app.services.billing.setup import setup
from app.services.usage.tenancy import TenantDatabase

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def register(subparsers: Any) -> None:
    """Add the ``billing`` group and its commands."""
    commands = add_group(
        subparsers,
        "billing",
        "Stripe: set up prices, push metered usage, reconcile",
        "Stripe billing (STRIPE_SECRET_KEY; STRIPE_API_BASE to use another API base URL). "
        "See docs/billing.md.",
    )
    commands.add_parser(
        "setup",
        help="create or find the meter, products and prices",
        description="Create the Stripe meter, products and prices the spec names (prices "
        "by lookup key) when missing; print what was created and what already existed. "
        "Running it again changes nothing.",
    ).set_defaults(handler=setup_cmd)
    pushing = commands.add_parser(
        "push",
        help="send unsent usage to the Stripe meter",
        description="Send unsent billing-outbox rows to the Stripe meter, oldest first. Exit "
        "0 when the backlog is empty, 1 when rows remain (counts on stderr).",
    )
    pushing.add_argument(
        "--limit", type=int, default=None, metavar="N", help="send at most N rows (default: all)"
    )
    pushing.add_argument(
        "--lease",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="how long claimed rows stay away from other pushes if this one dies (default: 120)",
    )
    pushing.set_defaults(handler=push_cmd)
    reconciling = commands.add_parser(
        "reconcile",
        help="compare the ledger with Stripe's meter totals",
        description="Compare each customer's metered usage in the ledger with Stripe's meter "
        "event summaries for one month; print the differences; exit 1 if any.",
    )
    reconciling.add_argument("--period", required=True, metavar="YYYY-MM", help="the month")
    reconciling.set_defaults(handler=reconcile_cmd)


def _client() -> stripe.StripeClient | None:
    """The Stripe client, or None after printing why billing cannot run."""
    try:
        return stripe_client(stripe_config(get_settings()))
    except (BillingNotEnabled, BillingNotConfigured) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


async def setup_cmd(args: argparse.Namespace) -> int:
    """Create or find everything the spec sells through Stripe."""
    client = _client()
    if client is None:
        return 2
    try:
        report = await setup(client)
    except stripe.StripeError as exc:
        print(f"error: Stripe refused: {exc.user_message or exc}", file=sys.stderr)
        return 1
    for line in report.created:
        print(f"created {line}")
    for line in report.existing:
        print(f"exists  {line}")
    print(
        f"{len(report.created)} created, {len(report.existing)} already existed", file=sys.stderr
    )
    return 0


async def push_cmd(args: argparse.Namespace) -> int:
    """Drain the outbox into the Stripe meter."""
    if (args.limit is not None and args.limit <= 0) or args.lease <= 0:
        print("error: --limit and --lease must be positive", file=sys.stderr)
        return 2
    client = _client()
    if client is None:
        return 2
    engine = create_engine_for(get_settings().database_url)
    try:
        options = PushOptions(limit=args.limit, lease=timedelta(seconds=args.lease))
        report = await push(TenantDatabase(engine), client, options)
    finally:
        await engine.dispose()
    print(report.summary(), file=sys.stderr)
    return 0 if report.remaining == 0 else 1


async def reconcile_cmd(args: argparse.Namespace) -> int:
    """Print each customer whose ledger and Stripe totals differ; exit 1 if any."""
    if not _PERIOD.match(args.period):
        print(f"error: --period must be YYYY-MM, not {args.period!r}", file=sys.stderr)
        return 2
    client = _client()
    if client is None:
        return 2
    engine = create_engine_for(get_settings().database_url)
    try:
        differences = await reconcile(TenantDatabase(engine), client, args.period)
    except ReconcileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except stripe.StripeError as exc:
        print(f"error: Stripe refused: {exc.user_message or exc}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    for d in differences:
        print(
            f"{d.customer} workspace={d.workspace_id} ledger={d.ledger} stripe={d.stripe} "
            f"difference={d.ledger - d.stripe} unsent={d.unsent}"
        )
    print(f"{len(differences)} customers differ in {args.period}", file=sys.stderr)
    return 1 if differences else 0
