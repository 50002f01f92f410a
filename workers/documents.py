"""Actors for proof PDFs and ID photos: thin wrappers around app.documents."""

from __future__ import annotations

from datetime import timedelta

import dramatiq
import sqlalchemy as sa

from app.db import Database
from app.documents import batch, pdf_rules, service
from app.storage import storage_for

SWEEP_ACTOR = "sweep_document_checks"


def _transient(retries: int, error: BaseException) -> bool:
    # A database or storage hiccup is worth another try; a bad file never raises.
    return retries < 3 and isinstance(error, sa.exc.OperationalError | OSError | ConnectionError)


def register(broker: dramatiq.Broker, database: Database) -> None:
    storage = storage_for(database.settings)

    def check_attachment(attachment_id: int) -> None:
        service.check_attachment(database, storage, attachment_id)

    def check_photo(photo_id: int) -> None:
        service.check_photo(database, storage, photo_id)

    def check_photo_batch(job_id: int) -> None:
        batch.run_photo_batch(database, storage, job_id)

    def sweep_document_checks() -> None:
        # A check still PENDING this long after its upload and its last attempt lost its message or its
        # worker (checks are idempotent); DOCUMENT_CHECK_MAX_ATTEMPTS bounds how often it is tried.
        settings = database.settings
        with database.transaction() as session:
            service.sweep_pending_checks(session, older_than=timedelta(seconds=settings.document_check_lost_seconds),
                                         max_attempts=settings.document_check_max_attempts)

    # The PDF parser runs in a child process with its own limit; this one backs it up.
    dramatiq.actor(check_attachment, actor_name=service.CHECK_ATTACHMENT_ACTOR, broker=broker,
                   max_retries=3, retry_when=_transient, min_backoff=1000, max_backoff=30_000,
                   time_limit=int((pdf_rules.CHECK_SECONDS + 60) * 1000))
    dramatiq.actor(check_photo, actor_name=service.CHECK_PHOTO_ACTOR, broker=broker,
                   max_retries=3, retry_when=_transient, min_backoff=1000, max_backoff=30_000, time_limit=60_000)
    # A batch that dies is re-queued by the job sweeper (app.jobs.sweep_jobs), not by broker retries.
    dramatiq.actor(check_photo_batch, actor_name=batch.ACTOR, broker=broker, max_retries=0,
                   time_limit=30 * 60 * 1000)
    dramatiq.actor(sweep_document_checks, actor_name=SWEEP_ACTOR, broker=broker, max_retries=0)
