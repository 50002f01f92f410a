"""A no-op background job that proves the task queue works end to end."""

from __future__ import annotations

import os
import socket

from sqlmodel import Session

from app.accounts.models import User
from app.auth.permissions import require_operator
from app.jobs import Job, JobKind, JobStatus, create_job, finish_job, start_job

ACTOR = "health_check"


def request_health_check(session: Session, *, user: User | None) -> Job:
    """Queue a health job; `user` None is the CLI acting as the system."""
    if user is not None:
        require_operator(user)
    return create_job(
        session, kind=JobKind.HEALTH_CHECK, actor_name=ACTOR, created_by=user.id if user else None
    )


def run_health_check(session: Session, *, job_id: int) -> None:
    job = session.get(Job, job_id)
    if job is None or job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        return  # idempotent: a redelivered message finds the work done
    start_job(session, job, total=1)
    job.processed = 1
    finish_job(session, job, result={"host": socket.gethostname(), "pid": os.getpid()})
