"""The worker's periodic jobs. Add a job with one line in ``JOBS``.

A job is an async function taking the ``WorkerContext`` and returning a one-line
summary for the log. Jobs must be safe to run in several workers at once (claim
rows, or rely on idempotent updates) and should check ``context.stopping()``
between units of work so SIGTERM stops them quickly.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from app.core.catalog import BILLING_MODE
from app.core.config import Settings
from app.models.base import utcnow
from app.services.billing import stripe_client, stripe_config
from app.services.billing.push import METERED_MODES, PushOptions, push
from app.services.usage.sweep import sweep
from app.services.usage.tenancy import TenantDatabase


@dataclass
class WorkerContext:
    """What jobs share: settings, the database, the stop signal, per-job resources."""

    settings: Settings
    db: TenantDatabase
    stop: threading.Event = field(default_factory=threading.Event)
    # Clients a job keeps between runs (e.g. the Stripe client), by name.
    resources: dict[str, Any] = field(default_factory=dict)

    def stopping(self) -> bool:
        """True once SIGTERM (or SIGINT) asked the worker to stop."""
        return self.stop.is_set()


class JobFunction(Protocol):
    """What a job runs: one round of its work; returns a summary for the log."""

    async def __call__(self, context: WorkerContext) -> str: ...


@dataclass(frozen=True, slots=True)
class Job:
    """A named function the worker runs every ``every_seconds``."""

    name: str
    every_seconds: float
    run: JobFunction
    # Whether this product runs the job at all (e.g. only with metered billing).
    enabled: bool = True


async def sweep_abandoned(context: WorkerContext) -> str:
    """Close calls a crashed process left pending; expire due credit grants."""
    report = await sweep(context.db, older_than=timedelta(minutes=15), now=utcnow())
    return (
        f"closed {report.calls_abandoned} abandoned calls, "
        f"expired {report.credits_expired_micros} micro-USD of credits"
    )


async def billing_push(context: WorkerContext) -> str:
    """Send unsent usage to the Stripe meter (see ``app.services.billing.push``)."""
    client = context.resources.get("stripe")
    if client is None:
        client = context.resources["stripe"] = stripe_client(stripe_config(context.settings))
    report = await push(context.db, client, PushOptions(stopping=context.stopping))
    return report.summary()


JOBS: tuple[Job, ...] = (
    Job("sweep", 60.0, sweep_abandoned),
    Job("billing-push", 30.0, billing_push, enabled=BILLING_MODE in METERED_MODES),
)
