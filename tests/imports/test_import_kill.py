"""A worker killed with -9 in the middle of an import leaves no partial rows, and the job completes later."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import sqlalchemy as sa

from app.accounts.models import Role
from app.db import Database
from app.imports.service import request_import
from app.jobs import Job, JobStatus
from app.storage import storage_for
from tests.factories import candidate, make_exam_session, make_unit, make_user
from tests.imports.support import child_processes, filled_template, person_row, wait_gone
from workers.broker import TaskQueue

ROWS = 6000


def job_state(database: Database, job_id: int) -> tuple[str, int, int]:
    with database.session() as session:
        job = session.get(Job, job_id)
        return job.status, job.processed, job.attempts


def registrations(database: Database, unit_id: int) -> int:
    with database.engine.connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM registration WHERE unit_id = :u"),
                                  {"u": unit_id}).scalar_one()


def worker(settings, namespace: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url,
           "BROKER_NAMESPACE": namespace, "STORAGE_DIR": str(settings.storage_dir),
           "JOB_STALE_SECONDS": "5", "PERIODIC_INTERVALS": json.dumps({"sweep_jobs": 1}),
           "PERIODIC_TICK_SECONDS": "0.5"}
    return subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--threads", "2"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_killed_import_worker_leaves_nothing_half_done(postgres_backend, redis_namespace):
    settings = postgres_backend.settings.model_copy(update={"broker_namespace": redis_namespace + "-import"})
    database = Database(settings)
    queue = TaskQueue(database)  # sends only: the subprocesses do the work
    unit = make_unit(database, name="南宁市兴宁区综合行政执法局")
    admin = make_user(database, role=Role.UNIT_ADMIN, unit=unit)
    exam = make_exam_session(database)
    data = filled_template([person_row(candidate(sessionId=exam.id), unit.name) for _ in range(ROWS)])
    with database.transaction() as session:
        job = request_import(session, storage=storage_for(settings), user=session.merge(admin), session_id=exam.id,
                             data=data, file_name="大批量.xlsx")

    first = worker(settings, settings.broker_namespace)
    try:
        deadline = time.monotonic() + 60
        while job_state(database, job.id)[0] != JobStatus.RUNNING:
            assert time.monotonic() < deadline, "the worker never started the job"
            time.sleep(0.02)
        children = child_processes(first.pid)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        wait_gone(children, "the killed worker")  # a reader child would hold the import's transaction open
        status, _, attempts = job_state(database, job.id)
        assert registrations(database, unit.id) in (0, ROWS)  # never part of the file
        if status == JobStatus.SUCCEEDED:
            return  # the kill came after the commit: nothing to recover, nothing doubled
        assert status == JobStatus.RUNNING and attempts == 1

        second = worker(settings, settings.broker_namespace)
        try:
            deadline = time.monotonic() + 120
            while job_state(database, job.id)[0] != JobStatus.SUCCEEDED:
                assert time.monotonic() < deadline, f"job not recovered: {job_state(database, job.id)}"
                time.sleep(0.2)
        finally:
            second.terminate()
            second.wait(timeout=20)
        assert registrations(database, unit.id) == ROWS
        assert job_state(database, job.id)[2] == 2
    finally:
        if first.poll() is None:
            first.kill()
        queue.close()
        database.dispose()

