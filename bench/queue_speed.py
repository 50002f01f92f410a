"""Queue speed: opening training for N candidates until every SMS is with the provider, vs N no-op messages.

    .venv/bin/python bench/queue_speed.py [--candidates 10000] [--processes 1] [--threads 4] [--prefetch N]
                                          [--no-embedded] [--no-postgres]

A local provider stub (tests/fakes/aliyun_sms.py: Alibaba Cloud's SendSms and
SendBatchSms, signatures checked, every call answered after 20 ms) stands in
for Alibaba Cloud. On PostgreSQL + Redis (a database and a broker namespace of
its own) the work is done by `examreg worker` processes (one with four threads,
as docker/compose.yaml runs them); on the embedded default (SQLite) by the
in-process worker threads of `examreg serve` (two). In the same run, with the
same workers, each measured from the moment the paused workers resume to the
last message done, so that both figures are the workers' own time:

1. baseline: N no-op messages on the queue, until the workers have drained them;
2. training opened for N approved candidates (the `openTraining` service, 500
   ids a call as the API allows; its own time is printed too), until the stub
   has accepted all N SMS.

Each is the best of --rounds (default 3); the later SMS rounds put the same
outbox rows back to PENDING and send the same batch messages again, so the
workers do the same work once more without another openTraining.

Prints both times and the ratio (goal <= 1.5), and checks that every outbox row
is SENT and every number was texted exactly once.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.profile import Figure, Profile  # noqa: E402

STUB_DELAY = 0.02
OPEN_PER_CALL = 500  # openTraining takes at most 500 ids


def figures(profile: Profile, *, candidates: int | None = None, processes: int = 1, threads: int = 4,
            prefetch: int | None = None, embedded: bool = True, rounds: int | None = None) -> list[Figure]:
    from tests.fakes.aliyun_sms import FakeAliyunSms

    count = candidates or (200 if profile.quick else 10_000)
    rounds = rounds or (1 if profile.quick else 3)
    figures: list[Figure] = []
    with FakeAliyunSms(delay=STUB_DELAY) as stub, tempfile.TemporaryDirectory() as tmp:
        if embedded:
            settings = _settings(stub, database_url=f"sqlite:///{Path(tmp) / 'queue.db'}", storage_dir=Path(tmp))
            # the worker threads `examreg serve` runs on the embedded default (IN_PROCESS_WORKER_THREADS)
            with _in_process(settings, threads=settings.in_process_worker_threads, prefetch=prefetch) as queue:
                figures += _measure("sqlite", queue, stub, count, rounds)
        if profile.postgres_url and profile.redis_url:
            with profile.postgres_database() as url, profile.redis_namespace() as namespace:
                settings = _settings(stub, database_url=url, storage_dir=Path(tmp), redis_url=profile.redis_url,
                                     broker_namespace=namespace)
                with _worker_processes(settings, Path(tmp), processes=processes, threads=threads,
                                       prefetch=prefetch) as queue:
                    figures += _measure("postgres+redis", queue, stub, count, rounds)
    return figures


def _measure(backend: str, queue: Any, stub: Any, count: int, rounds: int) -> list[Figure]:  # noqa: ANN401
    database = queue.database
    operator, ids = _seed(database, count)
    _drain(queue, 20)  # the workers are up and warm

    drains, deliveries = [], []
    for _ in range(rounds):
        queue.pause_workers()
        _send_noops(queue, count)
        started = queue.resume_workers()
        _join(queue)
        drains.append(time.perf_counter() - started)

    queue.pause_workers()
    opened = _open_training(database, operator, ids)
    for round_ in range(rounds):
        if round_:
            queue.pause_workers()
            _send_again(database)
        stub.accepted.clear()
        stub.attempts.clear()
        started = queue.resume_workers()
        _wait_for_provider(stub, count, backend)
        deliveries.append(time.perf_counter() - started)
        calls = _check(database, stub, count)
    drain, delivered = min(drains), min(deliveries)

    # The goal is the production broker's; on the embedded default the figures are for information.
    goal = "" if backend == "sqlite" else "<= 1.5"
    print(f"{backend:<15} drain {count} no-op messages: {drain:6.2f} s ({count / drain:6.0f} msg/s; "
          f"rounds {', '.join(f'{t:.2f}' for t in drains)})")
    print(f"{backend:<15} {count} SMS of opened training to the provider: {delivered:6.2f} s "
          f"({count / delivered:6.0f} SMS/s, {calls} provider calls; "
          f"rounds {', '.join(f'{t:.2f}' for t in deliveries)}) ratio {delivered / drain:.2f} {goal}")
    print(f"{backend:<15} openTraining for {count} (500 a call, workers paused): {opened:6.2f} s")
    return [
        Figure(f"drain {count:,} no-op messages", backend, drain, "s"),
        Figure(f"SMS of training opened for {count:,} to the provider", backend, delivered, "s",
               baseline=drain, baseline_name=f"drain {count:,} no-op messages", goal=goal,
               met=delivered / drain <= 1.5 if goal else None),
        Figure(f"openTraining for {count:,} (500 ids a call)", backend, opened, "s"),
    ]


def _wait_for_provider(stub: Any, count: int, backend: str) -> None:  # noqa: ANN401
    deadline = time.monotonic() + 300
    while len(stub.accepted) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"{backend}: only {len(stub.accepted)} of {count} SMS reached the provider")
        time.sleep(0.002)


def _send_again(database) -> None:  # noqa: ANN001
    """The same outbox rows PENDING again and the same send_sms_batch messages: the workers' part once more."""
    import sqlalchemy as sa

    from app.sms.models import SmsMessage, SmsStatus
    from app.sms.service import send_in_batches

    with database.transaction() as session:
        session.execute(sa.update(SmsMessage).values(
            status=SmsStatus.PENDING, attempts=0, batch_key=None, provider=None, provider_message_id=None,
            claimed_at=None, sent_at=None, next_attempt_at=None, last_error=None))
        send_in_batches(session, list(session.scalars(sa.select(SmsMessage.id).order_by(SmsMessage.id))))


def _settings(stub: Any, **fields: Any):  # noqa: ANN202, ANN401
    from app.settings import Settings
    from tests.sms_support import aliyun_settings

    return Settings(_env_file=None, **aliyun_settings(stub), **fields)


@contextmanager
def _in_process(settings, *, threads: int, prefetch: int | None) -> Iterator[Any]:  # noqa: ANN001
    from app.db import Database
    from app.migrate import migrate
    from workers.broker import TaskQueue

    database = Database(settings)
    migrate(database)
    queue = TaskQueue(database)
    queue.start_worker(threads=threads, prefetch=prefetch)
    queue.pause_workers = queue.worker.pause

    def resume() -> float:
        started = time.perf_counter()
        queue.worker.resume()
        return started

    queue.resume_workers = resume
    try:
        yield queue
    finally:
        queue.close()
        database.dispose()


@contextmanager
def _worker_processes(settings, workdir: Path, *, processes: int, threads: int,  # noqa: ANN001
                      prefetch: int | None) -> Iterator[Any]:
    from app.db import Database
    from app.migrate import migrate
    from workers.broker import TaskQueue

    database = Database(settings)
    migrate(database)
    queue = TaskQueue(database)  # the API's side: sends messages, runs no worker
    env = {**os.environ, **{k.upper(): v for k, v in _environment(settings).items()}}
    command = [sys.executable, "-m", "app.cli", "worker", "--threads", str(threads)]
    if prefetch:
        command += ["--prefetch", str(prefetch)]
    workers = []
    for n in range(processes):
        with (workdir / f"worker-{n}.log").open("w") as log:
            workers.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT))

    def pause() -> None:
        for worker in workers:
            worker.send_signal(signal.SIGSTOP)

    def resume() -> float:
        started = time.perf_counter()
        for worker in workers:
            worker.send_signal(signal.SIGCONT)
        return started

    queue.pause_workers, queue.resume_workers = pause, resume
    try:
        yield queue
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGCONT)
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        queue.close()
        database.dispose()


def _environment(settings) -> dict[str, str]:  # noqa: ANN001
    import json

    names = ["database_url", "redis_url", "broker_namespace", "storage_dir", "sms_provider", "sms_aliyun_endpoint",
             "sms_aliyun_access_key_id", "sms_aliyun_sign_name"]
    env = {name: str(getattr(settings, name)) for name in names}
    env["sms_aliyun_access_key_secret"] = settings.sms_aliyun_access_key_secret.get_secret_value()
    env["sms_aliyun_template_codes"] = json.dumps(settings.sms_aliyun_template_codes)
    return env


def _seed(database, count: int) -> tuple[Any, list[int]]:  # noqa: ANN001
    """An operator of the training company and `count` approved candidates, inserted in bulk."""
    import sqlalchemy as sa

    from app.accounts.models import Role
    from app.clock import now
    from app.demo import People
    from app.registrations.models import Registration, RegistrationStatus
    from tests.factories import make_exam_session, make_unit, make_user

    unit = make_unit(database)
    exam = make_exam_session(database)
    operator = make_user(database, role=Role.TRAINING_OPERATOR)
    people = People(random.Random(11))
    rows, at = [], now()
    for n in range(count):
        id_number, gender = people.id_number("450103", born_before=1995)
        rows.append(dict(session_id=exam.id, unit_id=unit.id, status=RegistrationStatus.APPROVED, name=people.name(),
                         gender=gender, ethnicity="汉族", id_number=id_number, education="大学本科",
                         phone=f"13{n:09d}", enforcement_field="市场监管", exam_type="QUALIFICATION",
                         personnel_nature="STAFF", rollback_used=False, version=1, created_at=at,
                         updated_at=at))
    with database.transaction() as session:
        session.execute(sa.insert(Registration), rows)
        ids = list(session.scalars(sa.select(Registration.id).where(Registration.session_id == exam.id)
                                   .order_by(Registration.id)))
    return operator, ids


def _drain(queue, count: int) -> float:  # noqa: ANN001
    started = time.perf_counter()
    _send_noops(queue, count)
    _join(queue)
    return time.perf_counter() - started


def _send_noops(queue, count: int) -> None:  # noqa: ANN001
    for _ in range(count):
        queue.send("noop", {})


def _join(queue) -> None:  # noqa: ANN001
    if queue.in_process:
        queue.broker.join("default", timeout=300_000)
    else:
        queue.broker.join("default", interval=2, timeout=300_000)


def _open_training(database, operator, ids: list[int]) -> float:  # noqa: ANN001
    from app.reviews.service import open_training

    started = time.perf_counter()
    for start in range(0, len(ids), OPEN_PER_CALL):
        with database.transaction() as session:
            outcomes = open_training(session, user=operator, ids=ids[start:start + OPEN_PER_CALL])
        assert all(o.ok for o in outcomes), [o for o in outcomes if not o.ok][:3]
    return time.perf_counter() - started


def _check(database, stub, count: int) -> int:  # noqa: ANN001
    """Every row SENT, every number texted exactly once; returns the number of provider calls."""
    import sqlalchemy as sa

    from app.sms.models import SmsMessage, SmsStatus
    from tests.sms_support import wait_for

    def settled() -> Counter | None:
        with database.session() as session:
            statuses = Counter(dict(session.execute(
                sa.select(SmsMessage.status, sa.func.count()).group_by(SmsMessage.status)).all()))
        return statuses if statuses == Counter({SmsStatus.SENT: count}) else None

    wait_for(settled, timeout=60, what="every outbox row to be SENT")
    with database.session() as session:
        phones = Counter(session.scalars(sa.select(SmsMessage.phone)))
    assert Counter(stub.accepted_phones()) == phones, "a number was texted twice or not at all"
    return len(stub.send_attempts())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=1, help="examreg worker processes (PostgreSQL + Redis)")
    parser.add_argument("--threads", type=int, default=4, help="per examreg worker process, as docker/compose.yaml runs them")
    parser.add_argument("--prefetch", type=int, default=None, help="default: the worker's own (workers/broker.py)")
    parser.add_argument("--rounds", type=int, default=3, help="the best of this many runs of each")
    parser.add_argument("--no-embedded", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    profile = Profile(
        postgres_url=None if args.no_postgres else os.environ.get(
            "EXAMREG_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        redis_url=None if args.no_postgres else os.environ.get("EXAMREG_TEST_REDIS", "redis://127.0.0.1:6379/0"),
    )
    figures(profile, candidates=args.candidates, processes=args.processes, threads=args.threads,
            prefetch=args.prefetch, embedded=not args.no_embedded, rounds=args.rounds)


if __name__ == "__main__":
    main()
