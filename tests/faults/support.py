"""The production shape under faults: private PostgreSQL and Redis, `examreg worker` processes, the
fake Aliyun SMS service, and a load of import jobs and SMS whose end state can be counted exactly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import func, select

from app.accounts.models import Role
from app.db import Database
from app.imports.service import request_import
from app.jobs import Job, JobStatus, PeriodicRun
from app.migrate import migrate
from app.settings import Settings
from app.sms.models import SmsMessage, SmsStatus
from app.sms.service import queue_sms
from app.sms.templates import SmsTemplate
from app.storage import storage_for
from tests.api import wait_until
from tests.factories import candidate, make_exam_session, make_unit, make_user
from tests.fakes.aliyun_sms import FakeAliyunSms
from tests.imports.support import filled_template, person_row
from tests.private_servers import PrivatePostgres, PrivateRedis
from tests.sms_support import aliyun_settings
from workers.broker import TaskQueue

# Short thresholds so that recovery takes seconds, not the production minutes.
FAST_RECOVERY = {
    "JOB_STALE_SECONDS": "3", "JOB_LOST_SECONDS": "2", "DOCUMENT_CHECK_LOST_SECONDS": "2",
    "SMS_REQUEST_TIMEOUT_SECONDS": "1", "SMS_SENDING_LEASE_SECONDS": "3.5", "SMS_PENDING_GRACE_SECONDS": "2",
    "SMS_RETRY_FIRST_SECONDS": "0.2", "SMS_RETRY_LONGEST_SECONDS": "2",
    "PERIODIC_INTERVALS": json.dumps({"sweep_jobs": 1, "sweep_sms_outbox": 1, "sweep_document_checks": 1,
                                      "send_review_reminders": 0}),
    "PERIODIC_TICK_SECONDS": "0.2",
}
FINAL_JOB = {JobStatus.SUCCEEDED, JobStatus.FAILED}
FINAL_SMS = {SmsStatus.SENT, SmsStatus.FAILED, SmsStatus.UNCERTAIN}


@dataclass
class Load:
    job_ids: list[int] = field(default_factory=list)
    rows_by_unit: dict[int, int] = field(default_factory=dict)
    sms_ids: list[int] = field(default_factory=list)


@dataclass
class FaultStack:
    """One scenario's database (in the private cluster), Redis namespace, storage and fake provider."""

    postgres: PrivatePostgres
    redis: PrivateRedis
    fake: FakeAliyunSms
    settings: Settings
    database: Database
    logs: Path
    workers: list[subprocess.Popen] = field(default_factory=list)

    def environment(self) -> dict[str, str]:
        provider = {k.upper(): v if isinstance(v, str) else json.dumps(v)
                    for k, v in aliyun_settings(self.fake).items()}
        return {**os.environ, "DATABASE_URL": self.settings.database_url, "REDIS_URL": self.settings.redis_url,
                "BROKER_NAMESPACE": self.settings.broker_namespace, "STORAGE_DIR": str(self.settings.storage_dir),
                **FAST_RECOVERY, **provider}

    def start_worker(self, *, module: str = "app.cli", threads: int = 2) -> subprocess.Popen:
        """An `examreg worker` process; its output goes to a file (a full pipe would stall it)."""
        log = self.logs / f"worker-{len(self.workers)}.log"
        with log.open("w") as out:
            process = subprocess.Popen([sys.executable, "-m", module, "worker", "--threads", str(threads)],
                                       env=self.environment(), stdout=out, stderr=subprocess.STDOUT)
        self.workers.append(process)
        return process

    def wait_for_scheduler(self, timeout: float = 60) -> None:
        """A worker is up once its scheduler has claimed a periodic slot in the database."""
        def claimed() -> bool:
            with self.database.session() as session:
                return session.exec(select(func.count()).select_from(PeriodicRun)).one() > 0
        wait_until(claimed, timeout=timeout, what="a worker's periodic scheduler")

    def stop_workers(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                process.terminate()
        for process in self.workers:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    # ---- the load and what became of it -----------------------------------------------------------------

    def make_load(self, *, units: int, rows: int, sms: int, prefix: str = "") -> Load:
        """`units` import jobs of `rows` candidates each, and `sms` outbox rows: committed, then handed to
        the broker by `self.database.sender` (which a scenario may make drop them)."""
        storage = storage_for(self.settings)
        exam = make_exam_session(self.database)
        load = Load()
        for _ in range(units):
            unit = make_unit(self.database)
            admin = make_user(self.database, role=Role.UNIT_ADMIN, unit=unit)
            data = filled_template([person_row(candidate(sessionId=exam.id), unit.name) for _ in range(rows)])
            with self.database.transaction() as session:
                job = request_import(session, storage=storage, user=session.merge(admin), session_id=exam.id,
                                     data=data, file_name=f"{prefix}报名信息表.xlsx")
            load.job_ids.append(job.id)
            load.rows_by_unit[unit.id] = rows
        with self.database.transaction() as session:
            load.sms_ids = [queue_sms(session, phone=f"1390013{i:04d}", template=SmsTemplate.TRAINING_OPENED,
                                      params={"name": f"学员{i}", "session": "2026年第一期"}).id
                            for i in range(sms)]
        return load

    def jobs(self, ids: list[int]) -> dict[int, Job]:
        with self.database.session() as session:
            return {j.id: j for j in session.exec(select(Job).where(Job.id.in_(ids)))}

    def sms_statuses(self, ids: list[int]) -> Counter[str]:
        with self.database.session() as session:
            rows = session.exec(select(SmsMessage.status, func.count()).where(SmsMessage.id.in_(ids))
                                .group_by(SmsMessage.status)).all()
        return Counter({status.value: count for status, count in rows})

    def progress(self, load: Load) -> tuple[int, int]:
        """(jobs finished, SMS settled)."""
        finished = sum(j.status in FINAL_JOB for j in self.jobs(load.job_ids).values())
        settled = sum(n for status, n in self.sms_statuses(load.sms_ids).items() if status in FINAL_SMS)
        return finished, settled

    def all_done(self, load: Load) -> bool:
        return self.progress(load) == (len(load.job_ids), len(load.sms_ids))

    def wait_all_done(self, load: Load, *, since: float, timeout: float = 180) -> float:
        """Seconds from `since` (a time.monotonic()) until every job and SMS has ended."""
        wait_until(lambda: self.all_done(load), timeout=timeout,
                   what=f"every job and SMS to end (progress {self.progress(load)})")
        return time.monotonic() - since

    def assert_exactly_once(self, load: Load) -> dict[str, int]:
        """Every job SUCCEEDED and wrote its file once; every SMS SENT and accepted by the provider once."""
        jobs = self.jobs(load.job_ids)
        assert {j.status for j in jobs.values()} == {JobStatus.SUCCEEDED}, {j.id: (j.status, j.error)
                                                                            for j in jobs.values()}
        with self.database.engine.connect() as connection:
            counts = dict(connection.execute(sa.text(
                "SELECT unit_id, count(*) FROM registration GROUP BY unit_id")).all())
            duplicates = connection.execute(sa.text(
                "SELECT count(*) FROM (SELECT session_id, id_number FROM registration "
                "GROUP BY session_id, id_number HAVING count(*) > 1) d")).scalar_one()
            imported = connection.execute(sa.text("SELECT count(*) FROM registration WHERE imported")).scalar_one()
            creation_rows = connection.execute(sa.text(
                "SELECT count(*) FROM reviewaction WHERE action = 'CREATE'")).scalar_one()
        assert counts == load.rows_by_unit
        assert duplicates == 0
        assert imported == sum(load.rows_by_unit.values())
        assert creation_rows == 0  # a record's creation is kept on the record, never as a history row
        assert self.sms_statuses(load.sms_ids) == Counter({"SENT": len(load.sms_ids)})
        accepted = Counter(self.fake.accepted_out_ids())
        assert accepted == Counter(str(i) for i in load.sms_ids), accepted - Counter(str(i) for i in load.sms_ids)
        return {"jobs": len(jobs), "registrations": sum(counts.values()), "sms": len(load.sms_ids),
                "duplicates": duplicates + sum(n - 1 for n in accepted.values()),
                "jobs run again": sum(j.attempts > 1 for j in jobs.values())}


@contextmanager
def fault_stack(postgres: PrivatePostgres, redis: PrivateRedis, tmp: Path, *, sms_delay: float = 0.0,
                sender: Callable[[str, dict[str, Any]], None] | None = None) -> Iterator[FaultStack]:
    """A fresh database in the private cluster, a fresh Redis namespace; the test process sends to the
    broker like the API does (or through `sender`), while `examreg worker` processes do the work."""
    name = f"faults_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(postgres.url.replace("postgresql:", "postgresql+psycopg:"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    settings = Settings(_env_file=None, database_url=postgres.url.rsplit("/", 1)[0] + f"/{name}",
                        redis_url=redis.url, broker_namespace=name, storage_dir=tmp / "storage",
                        **{k.lower(): v for k, v in FAST_RECOVERY.items()})
    database = Database(settings)
    migrate(database)
    queue = TaskQueue(database)  # sends only: the worker processes do the work
    if sender is not None:
        database.sender = sender
    logs = tmp / "logs"
    logs.mkdir(exist_ok=True)
    with FakeAliyunSms(delay=sms_delay) as fake:
        stack = FaultStack(postgres=postgres, redis=redis, fake=fake, settings=settings, database=database,
                           logs=logs)
        try:
            yield stack
        finally:
            stack.stop_workers()
            queue.close()
            database.dispose()


def report(scenario: str, recovery: float, figures: dict[str, int]) -> None:
    """One line per scenario in the test output (pytest -s), read by people, never asserted on time."""
    details = ", ".join(f"{k} {v}" for k, v in figures.items())
    print(f"\n[faults] {scenario}: recovered in {recovery:.1f} s; {details}")
