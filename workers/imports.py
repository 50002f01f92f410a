"""Spreadsheet imports, and the sweeper that rescues jobs whose worker died."""

from __future__ import annotations

import dramatiq

from app.db import Database
from app.imports import service
from app.jobs import MAX_JOB_ATTEMPTS, sweep_jobs
from app.storage import storage_for

SWEEP_ACTOR = "sweep_jobs"


def register(broker: dramatiq.Broker, database: Database) -> None:
    storage = storage_for(database.settings)

    def import_registrations(job_id: int) -> None:
        service.run_import(database, storage, job_id)

    def sweep() -> None:
        settings = database.settings
        with database.transaction() as session:
            sweep_jobs(session, stale_seconds=settings.job_stale_seconds, lost_seconds=settings.job_lost_seconds)

    dramatiq.actor(import_registrations, actor_name=service.ACTOR, broker=broker, max_retries=3,
                   min_backoff=500, max_backoff=10_000, time_limit=15 * 60 * 1000,
                   # run_import has put the job back in the queue, or failed it once its attempts ran out
                   retry_when=lambda retries, _error: retries < MAX_JOB_ATTEMPTS)
    dramatiq.actor(sweep, actor_name=SWEEP_ACTOR, broker=broker, max_retries=0)
