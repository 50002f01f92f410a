"""Background jobs: a row that tells the truth, and messages sent after commit."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, select

from app.accounts.models import Role, User
from app.clock import now
from app.db import after_commit
from app.errors import NotFound
from app.models_base import enum_column, json_column, timestamp


class JobKind(StrEnum):
    HEALTH_CHECK = "HEALTH_CHECK"
    REGISTRATION_IMPORT = "REGISTRATION_IMPORT"
    PHOTO_BATCH = "PHOTO_BATCH"
    PDF_CHECK = "PDF_CHECK"


class JobStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class Job(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: JobKind = enum_column(JobKind, name="job_kind")
    status: JobStatus = enum_column(JobStatus, name="job_status", index=True)
    session_id: int | None = Field(default=None, foreign_key="examsession.id")
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    total: int = Field(default=0)
    processed: int = Field(default=0)
    result: dict | None = json_column()
    error: str | None = Field(default=None, max_length=1000)
    error_report_key: str | None = Field(default=None, max_length=200)
    # The stored upload the job works on, and what the user chose for it.
    input_key: str | None = Field(default=None, max_length=200)
    input_name: str | None = Field(default=None, max_length=255)
    input_sha256: str | None = Field(default=None, max_length=64, index=True)
    options: dict | None = json_column()
    attempts: int = Field(default=0)
    created_at: datetime = timestamp()
    started_at: datetime | None = timestamp(nullable=True)
    # Touched while a worker makes progress; a RUNNING job whose heartbeat stops is swept.
    heartbeat_at: datetime | None = timestamp(nullable=True)
    finished_at: datetime | None = timestamp(nullable=True)


def enqueue(session: Session, actor_name: str, **kwargs: Any) -> None:
    """Queue a message for `actor_name`, sent only once the transaction commits.

    The sender comes from the Database the session belongs to; the composition
    root installs it (see workers.broker).
    """
    sender = session.info.get("sender")
    if sender is None:
        raise RuntimeError("no task broker configured for this database")
    after_commit(session, lambda: sender(actor_name, kwargs))


def create_job(session: Session, *, kind: JobKind, actor_name: str, **fields: Any) -> Job:
    job = Job(kind=kind, status=JobStatus.QUEUED, **fields)
    session.add(job)
    session.flush()
    enqueue(session, actor_name, job_id=job.id)
    return job


def start_job(session: Session, job: Job, *, total: int = 0) -> None:
    job.status = JobStatus.RUNNING
    job.started_at = now()
    job.total = total
    session.add(job)


def finish_job(session: Session, job: Job, *, result: dict | None = None, error: str | None = None) -> None:
    job.status = JobStatus.FAILED if error else JobStatus.SUCCEEDED
    job.result = result
    job.error = error
    job.processed = job.total if not error else job.processed
    job.finished_at = now()
    session.add(job)


def get_visible_job(session: Session, *, user: User, job_id: int) -> Job:
    """A job the user started, or one of a unit in their jurisdiction."""
    from app.auth.scope import owned_by_visible_unit

    visible = sa.or_(
        Job.created_by == user.id,
        sa.and_(Job.unit_id.is_not(None), owned_by_visible_unit(Job.unit_id, user)),
        sa.literal(user.role == Role.SUPERADMIN),
    )
    job = session.exec(select(Job).where(Job.id == job_id, visible)).first()
    if job is None:
        raise NotFound("任务")
    return job


class PeriodicRun(SQLModel, table=True):
    """One row per periodic task per time slot: whoever inserts it first runs the task."""

    name: str = Field(primary_key=True, max_length=50)
    slot: int = Field(primary_key=True)  # e.g. unix time // interval
    started_at: datetime = timestamp()


# Which actor runs each kind of job, for the sweeper; features register theirs.
ACTOR_FOR_KIND: dict[JobKind, str] = {JobKind.HEALTH_CHECK: "health_check"}
MAX_JOB_ATTEMPTS = 3


def claim_job(database, job_id: int) -> Job | None:  # noqa: ANN001
    """QUEUED -> RUNNING for this worker; None when another has it or it is finished."""
    with database.transaction() as session:
        claimed = session.execute(
            sa.update(Job).where(Job.id == job_id, Job.status == JobStatus.QUEUED)
            .values(status=JobStatus.RUNNING, attempts=Job.attempts + 1, started_at=now(), heartbeat_at=now(),
                    processed=0, error=None)
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            return None
        return session.get(Job, job_id)


def heartbeat(database, job: Job, *, processed: int | None = None, total: int | None = None) -> None:  # noqa: ANN001
    """Progress for the user and a sign of life for the sweeper, in its own short transaction."""
    values: dict[str, Any] = {"heartbeat_at": now()}
    if processed is not None:
        values["processed"] = processed
    if total is not None:
        values["total"] = total
    with database.transaction() as session:
        session.execute(sa.update(Job).where(Job.id == job.id, Job.status == JobStatus.RUNNING,
                                             Job.attempts == job.attempts).values(**values)
                        .execution_options(synchronize_session=False))


def sweep_jobs(session: Session, *, stale_seconds: float, lost_seconds: float) -> dict[str, int]:
    """Re-queue jobs whose worker died or whose message was lost; give up after a few attempts."""
    moment = now()
    stale, lost = timedelta(seconds=stale_seconds), timedelta(seconds=lost_seconds)
    counts = {"requeued": 0, "failed": 0}
    stuck = session.exec(select(Job).where(sa.or_(
        sa.and_(Job.status == JobStatus.RUNNING, Job.heartbeat_at < moment - stale),
        sa.and_(Job.status == JobStatus.QUEUED, Job.created_at < moment - lost,
                sa.or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < moment - lost)),
    ))).all()
    for job in stuck:
        actor = ACTOR_FOR_KIND.get(job.kind)
        if actor is None:
            continue
        if job.attempts >= MAX_JOB_ATTEMPTS:
            values = {"status": JobStatus.FAILED, "finished_at": moment,
                      "error": f"处理该文件的后台进程多次意外中断（已尝试{job.attempts}次），请重新上传；如仍失败请联系客服"}
            counts["failed"] += 1
        else:
            values = {"status": JobStatus.QUEUED, "heartbeat_at": moment}
            counts["requeued"] += 1
        moved = session.execute(sa.update(Job).where(Job.id == job.id, Job.status == job.status,
                                                     Job.attempts == job.attempts).values(**values)
                                .execution_options(synchronize_session=False))
        if moved.rowcount == 1 and values["status"] == JobStatus.QUEUED:
            enqueue(session, actor, job_id=job.id)
    return counts
