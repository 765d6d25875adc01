"""The background worker (``python -m app worker``): periodic jobs, one loop.

Jobs are listed in ``app.services.worker.jobs.JOBS``; adding one is one line.
"""

from app.services.worker.jobs import JOBS, Job, WorkerContext
from app.services.worker.loop import run_worker

__all__ = ["JOBS", "Job", "WorkerContext", "run_worker"]
