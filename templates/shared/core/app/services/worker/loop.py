"""The worker loop: each job on its interval, until asked to stop.

A failing job is logged and tried again at its next interval; it never stops the
others. Stopping (SIGTERM) is noticed within half a second between jobs, and by
the jobs themselves between units of work (the outbox push between rows), so the
batch in hand is finished or safely abandoned (its claims are released).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from app.core.flavour import sleep
from app.services.worker.jobs import Job, WorkerContext

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.5


async def run_worker(
    jobs: Sequence[Job],
    context: WorkerContext,
    *,
    once: bool = False,
    every_seconds: float | None = None,
) -> None:
    """Run ``jobs`` until ``context`` is stopping (``once``: one round, then return).

    ``every_seconds`` overrides every job's interval (for development and tests).
    """
    due = dict.fromkeys((job.name for job in jobs), 0.0)
    while not context.stopping():
        for job in jobs:
            if context.stopping() or time.monotonic() < due[job.name]:
                continue
            try:
                summary = await job.run(context)
            except Exception:
                logger.exception("worker job %s failed; it runs again later", job.name)
            else:
                logger.info("%s: %s", job.name, summary)
            due[job.name] = time.monotonic() + (every_seconds or job.every_seconds)
        if once:
            return
        await sleep(TICK_SECONDS)
    logger.info("worker stopped")
