"""No lost work: every job and SMS lives in the database first, and the sweepers finish what a fault left.

Each scenario runs import jobs and SMS through `examreg worker` processes on a PostgreSQL cluster
and a Redis server of its own (tests/private_servers.py: killing them touches no other test),
injects one fault, and checks that every job ends exactly once: each file's rows written once,
each SMS accepted by the provider once. How long recovery took is printed (`pytest -s`), never
asserted.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from app.accounts.models import Role
from app.jobs import MAX_JOB_ATTEMPTS, Job, JobStatus
from tests.api import LOGIN, wait_until
from tests.factories import PASSWORD, candidate, make_exam_session, make_registration, make_unit, make_user
from tests.faults.support import FaultStack, Load, fault_stack, report
from tests.imports.support import IMPORT, filled_template, person_row
from tests.private_servers import (
    PrivatePostgres,
    PrivateRedis,
    free_port,
    private_postgres,
    private_redis,
    why_no_private_postgres,
)

pytestmark = pytest.mark.faults

UNITS, ROWS, SMS = 4, 300, 40


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    reason = why_no_private_postgres()
    if reason:
        pytest.skip(f"no private PostgreSQL cluster for the fault tests: {reason}")
    with private_postgres() as server:
        yield server


@pytest.fixture(scope="module")
def redis() -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("no private Redis for the fault tests: redis-server is not installed")
    with private_redis() as server:
        yield server


def _mid_load(stack: FaultStack, load: Load) -> dict[str, int]:
    """Wait until a worker is inside an import, with the rest of the load still queued behind it;
    returns how much was done then, for the report."""
    def busy() -> bool:
        return any(job.status == JobStatus.RUNNING for job in stack.jobs(load.job_ids).values())
    wait_until(busy, timeout=120, what=f"an import to be running (progress {stack.progress(load)})")
    jobs, sms = stack.progress(load)
    return {"jobs done at the fault": jobs, "SMS done at the fault": sms}


def test_api_killed_between_commit_and_enqueue(postgres, redis, tmp_path: Path):
    """The rows are committed but no message ever reaches the broker: the sweepers send them."""
    dropped: list[str] = []
    with fault_stack(postgres, redis, tmp_path, sender=lambda actor, _: dropped.append(actor)) as stack:
        stack.start_worker()
        stack.wait_for_scheduler()
        load = stack.make_load(units=UNITS, rows=ROWS, sms=SMS)
        fault = time.monotonic()
        assert dropped.count("import_registrations") == UNITS and dropped.count("send_sms") == SMS
        recovery = stack.wait_all_done(load, since=fault)
        report("API killed between commit and enqueue", recovery, stack.assert_exactly_once(load))


def test_worker_killed_mid_load(postgres, redis, tmp_path: Path):
    """kill -9 a worker with imports running and provider calls in flight; a new worker finishes the rest."""
    with fault_stack(postgres, redis, tmp_path, sms_delay=0.1) as stack:
        load = stack.make_load(units=UNITS, rows=ROWS, sms=SMS)
        first = stack.start_worker()
        before = _mid_load(stack, load)
        first.send_signal(signal.SIGKILL)
        fault = time.monotonic()
        assert first.wait(timeout=10) == -signal.SIGKILL
        stack.start_worker()
        recovery = stack.wait_all_done(load, since=fault)
        report("worker killed with -9 mid-load", recovery, {**before, **stack.assert_exactly_once(load)})


def test_redis_restarted_empty_mid_load(postgres, redis, tmp_path: Path):
    """Every queued message vanishes; the running worker reconnects and the sweepers send again."""
    with fault_stack(postgres, redis, tmp_path, sms_delay=0.1) as stack:
        load = stack.make_load(units=UNITS, rows=ROWS, sms=SMS)
        stack.start_worker()
        before = _mid_load(stack, load)
        redis.restart_empty()
        fault = time.monotonic()
        recovery = stack.wait_all_done(load, since=fault)
        report("Redis restarted empty mid-load", recovery, {**before, **stack.assert_exactly_once(load)})


def test_database_restarted_mid_load(postgres, redis, tmp_path: Path):
    """PostgreSQL crashes (immediate shutdown) and comes back: connections are renewed, work finishes."""
    with fault_stack(postgres, redis, tmp_path, sms_delay=0.1) as stack:
        load = stack.make_load(units=UNITS, rows=ROWS, sms=SMS)
        stack.start_worker()
        before = _mid_load(stack, load)
        fault = time.monotonic()
        postgres.restart("immediate")
        down = time.monotonic() - fault
        recovery = stack.wait_all_done(load, since=fault)
        report("database restarted mid-load", recovery,
               {**before, **stack.assert_exactly_once(load), "database down ms": round(down * 1000)})


def test_a_file_that_kills_its_worker_ends_failed_after_bounded_attempts(postgres, redis, tmp_path: Path):
    """The process dies outright on one file, every time; a supervisor restarts it (as docker would).
    The job is FAILED after MAX_JOB_ATTEMPTS, counted in the database; the other work still finishes."""
    with fault_stack(postgres, redis, tmp_path) as stack:
        module = "tests.faults.crashing_worker"
        stack.start_worker(module=module)
        stack.wait_for_scheduler()
        poison = stack.make_load(units=1, rows=5, sms=0, prefix="CRASH-")
        fine = stack.make_load(units=2, rows=50, sms=10)
        started = time.monotonic()
        crashes = 0

        def settled() -> bool:
            nonlocal crashes
            if stack.workers[-1].poll() is not None:
                assert stack.workers[-1].returncode == 70
                crashes += 1
                assert crashes <= MAX_JOB_ATTEMPTS, "the poisonous file is still being retried"
                stack.start_worker(module=module)
            return stack.all_done(poison) and stack.all_done(fine)

        wait_until(settled, timeout=240, what="the poisonous job to be given up")
        elapsed = time.monotonic() - started
        job = stack.jobs(poison.job_ids)[poison.job_ids[0]]
        assert job.status == JobStatus.FAILED
        assert job.attempts == MAX_JOB_ATTEMPTS
        assert crashes == MAX_JOB_ATTEMPTS
        assert "多次意外中断" in job.error
        figures = stack.assert_exactly_once(fine)
        report("a file that kills its worker", elapsed,
               {**figures, "worker deaths": crashes, "poisonous job attempts": job.attempts})


def test_a_photo_that_kills_its_worker_is_rejected_after_bounded_attempts(postgres, redis, tmp_path: Path):
    """The single-photo check dies outright on one file, every time; the worker is restarted each time.
    Its attempts are counted in the photo row: after DOCUMENT_CHECK_MAX_ATTEMPTS the sweeper rejects it
    with a reason instead of sending it again, and the other checks of the same run end OK."""
    from app.documents import service as documents
    from app.documents.models import Attachment, AttachmentCategory, CheckStatus, Photo
    from app.storage import storage_for
    from tests.documents.support import make_pdf, make_photo
    from tests.faults.crashing_worker import CRASH_MARK

    with fault_stack(postgres, redis, tmp_path) as stack:
        module = "tests.faults.crashing_worker"
        # One thread: only the poisonous check is ever in flight when the process dies.
        stack.start_worker(module=module, threads=1)
        stack.wait_for_scheduler()
        db, storage = stack.database, storage_for(stack.settings)
        max_attempts = stack.settings.document_check_max_attempts
        exam, unit = make_exam_session(db), make_unit(db)
        admin = make_user(db, role=Role.UNIT_ADMIN, unit=unit)
        records = [make_registration(db, unit=unit, exam=exam) for _ in range(4)]
        clean = make_photo()
        poisonous = clean[:2] + b"\xff\xfe" + (len(CRASH_MARK) + 2).to_bytes(2, "big") + CRASH_MARK + clean[2:]
        with db.transaction() as session:
            user = session.merge(admin)
            photo_ids = [documents.upload_photo(session, user=user, storage=storage, registration_id=r.id,
                                                file_name=f"{r.id_number}.jpg", data=poisonous if i == 1 else clean).id
                         for i, r in enumerate(records)]
            pdf_id = documents.upload_attachment(session, user=user, storage=storage, session_id=exam.id,
                                                 category=AttachmentCategory.POWER_LIST, file_name="权责清单.pdf",
                                                 data=make_pdf(pages=2)).id
        poison_id = photo_ids[1]
        started = time.monotonic()
        crashes = 0

        def settled() -> bool:
            nonlocal crashes
            if stack.workers[-1].poll() is not None:
                assert stack.workers[-1].returncode == 70
                crashes += 1
                assert crashes <= max_attempts, "the poisonous photo is still being checked"
                stack.start_worker(module=module, threads=1)
            with db.session() as session:
                pending = session.exec(select(Photo.id).where(Photo.status == CheckStatus.PENDING)).all()
                return not pending and session.get(Attachment, pdf_id).status != CheckStatus.PENDING

        wait_until(settled, timeout=240, what="the poisonous photo check to be given up")
        elapsed = time.monotonic() - started
        with db.session() as session:
            photos = {p.id: p for p in session.exec(select(Photo))}
            pdf = session.get(Attachment, pdf_id)
        poison = photos.pop(poison_id)
        assert poison.status == CheckStatus.REJECTED and poison.check_attempts == max_attempts
        assert [p["code"] for p in poison.problems] == ["CHECK_NEVER_FINISHED"]
        assert crashes == max_attempts
        assert {p.status for p in photos.values()} == {CheckStatus.OK} and len(photos) == 3
        assert pdf.status == CheckStatus.OK and pdf.pages == 2
        report("a photo that kills its worker", elapsed,
               {"photos checked": len(photos), "worker deaths": crashes, "poisonous photo attempts": poison.check_attempts,
                "checks run more than once": sum(p.check_attempts > 1 for p in [*photos.values(), pdf])})


def test_a_real_api_process_dies_between_commit_and_enqueue(postgres, redis, tmp_path: Path):
    """`examreg serve` commits an uploaded import and dies before sending its message (tests/faults/dying_api.py);
    the client sees the connection drop, and the job is still done, once."""
    with fault_stack(postgres, redis, tmp_path) as stack:
        stack.start_worker()
        stack.wait_for_scheduler()
        exam = make_exam_session(stack.database)
        unit = make_unit(stack.database)
        admin = make_user(stack.database, role=Role.UNIT_ADMIN, unit=unit)
        data = filled_template([person_row(candidate(sessionId=exam.id), unit.name) for _ in range(ROWS)])
        port = free_port()
        with (tmp_path / "logs" / "api.log").open("w") as log:
            api = subprocess.Popen([sys.executable, "-m", "tests.faults.dying_api", "serve", "--port", str(port)],
                                   env=stack.environment(), stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until(lambda: _answers(f"{base}/healthz"), timeout=90, what="examreg serve to answer")
            login = httpx.post(f"{base}/graphql", json={"query": LOGIN, "variables": {"u": admin.username,
                                                                                    "p": PASSWORD}}, timeout=60)
            token = login.json()["data"]["login"]["token"]
            operations = {"query": IMPORT, "variables": {"s": str(exam.id), "f": None}}
            with pytest.raises(httpx.TransportError):  # the process is gone before it answers
                httpx.post(f"{base}/graphql", timeout=60,
                           headers={"Authorization": f"Bearer {token}", "GraphQL-Preflight": "1"},
                           data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.f"]})},
                           files={"0": ("报名信息表.xlsx", data, "application/octet-stream")})
            fault = time.monotonic()
            assert api.wait(timeout=30) == 137
        finally:
            if api.poll() is None:
                api.kill()
        with stack.database.session() as session:
            job_ids = list(session.exec(select(Job.id).where(Job.unit_id == unit.id)))
        assert len(job_ids) == 1  # committed before the process died
        load = Load(job_ids=job_ids, rows_by_unit={unit.id: ROWS})
        recovery = stack.wait_all_done(load, since=fault)
        report("examreg serve killed between commit and enqueue", recovery, stack.assert_exactly_once(load))


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
