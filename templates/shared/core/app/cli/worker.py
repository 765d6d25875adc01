"""``python -m app worker``: the one background process.

Runs the periodic jobs of ``app.services.worker.jobs.JOBS`` (the sweep of
abandoned calls; with metered billing, the push of usage to Stripe) until SIGTERM
or SIGINT, then finishes or releases the work in hand and exits 0. Several workers
may run at once: the jobs claim their rows.
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

from app.core.config import get_settings
from app.core.db import create_engine_for
from app.services.billing import BillingNotConfigured, BillingNotEnabled, stripe_config
from app.services.usage.tenancy import TenantDatabase
from app.services.worker import JOBS, WorkerContext, run_worker

# Jobs that need Stripe's settings before the worker starts.
_STRIPE_JOBS = ("billing-push",)


def register(subparsers: Any) -> None:
    """Add the ``worker`` command (a command of its own, not a group)."""
    enabled = [job.name for job in JOBS if job.enabled]
    parser = subparsers.add_parser(
        "worker",
        help="run the background jobs until stopped",
        description=f"Run the background jobs ({', '.join(enabled)}) on their intervals until "
        "SIGTERM or SIGINT. Several workers may run at once.",
    )
    parser.add_argument(
        "--jobs",
        default=",".join(enabled),
        metavar="NAMES",
        help=f"comma-separated jobs to run (default: {','.join(enabled)})",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=None,
        metavar="SECONDS",
        help="run every job this often instead of its own interval",
    )
    parser.add_argument("--once", action="store_true", help="run each job once, then exit")
    parser.set_defaults(handler=worker_cmd)


async def worker_cmd(args: argparse.Namespace) -> int:
    """Run the chosen jobs until stopped; exit 2 when they cannot run as configured."""
    names = [n.strip() for n in str(args.jobs).split(",") if n.strip()]
    known = {job.name: job for job in JOBS if job.enabled}
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        print(
            f"error: unknown job {', '.join(unknown) or '(none)'}; jobs: {', '.join(known)}",
            file=sys.stderr,
        )
        return 2
    if args.interval is not None and args.interval <= 0:
        print("error: --interval must be positive", file=sys.stderr)
        return 2
    settings = get_settings()
    if any(n in _STRIPE_JOBS for n in names):
        try:
            stripe_config(settings)
        except (BillingNotEnabled, BillingNotConfigured) as exc:
            print(
                f"error: {exc}; or run without it: --jobs "
                f"{','.join(n for n in names if n not in _STRIPE_JOBS) or 'sweep'}",
                file=sys.stderr,
            )
            return 2
    engine = create_engine_for(settings.database_url)
    context = WorkerContext(settings=settings, db=TenantDatabase(engine))

    def stop(signum: int, _frame: object) -> None:
        print(f"worker: {signal.Signals(signum).name}, stopping", file=sys.stderr)
        context.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"worker: running {', '.join(names)}", file=sys.stderr)
    try:
        await run_worker(
            [known[n] for n in names], context, once=args.once, every_seconds=args.interval
        )
    finally:
        await engine.dispose()
    return 0
