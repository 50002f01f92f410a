"""kill -9 a worker process in the middle of a batch: every SMS is sent exactly once anyway.

The production shape: PostgreSQL, Redis, and `examreg worker` processes that
talk HTTP to the provider (here the fake Aliyun server, made slow so that the
kill lands while calls are in flight).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import func, select

from app.db import Database
from app.sms.models import SmsMessage
from app.sms.service import queue_sms
from app.sms.templates import SmsTemplate
from tests.fakes.aliyun_sms import FakeAliyunSms
from tests.sms_support import aliyun_settings, wait_for
from workers.broker import TaskQueue

pytestmark = pytest.mark.postgres

MESSAGES = 50


def _statuses(database: Database) -> Counter[str]:
    with database.session() as session:
        rows = session.exec(select(SmsMessage.status, func.count()).group_by(SmsMessage.status)).all()
    return Counter({status.value: count for status, count in rows})


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    # Output goes to a file: a full pipe would stall the worker.
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--threads", "4"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def test_a_worker_killed_mid_batch_neither_loses_nor_duplicates_a_message(postgres_backend, tmp_path):
    postgres_backend.reset()
    base = postgres_backend.settings
    namespace = f"{base.broker_namespace}-kill-{uuid.uuid4().hex[:8]}"
    with FakeAliyunSms(delay=0.15) as fake:
        env = {
            **os.environ, "DATABASE_URL": base.database_url, "REDIS_URL": base.redis_url,
            "BROKER_NAMESPACE": namespace, "SMS_REQUEST_TIMEOUT_SECONDS": "1", "SMS_SENDING_LEASE_SECONDS": "3.5",
            "SMS_PENDING_GRACE_SECONDS": "2", "PERIODIC_INTERVALS": '{"sweep_sms_outbox": 0.5}',
            "PERIODIC_TICK_SECONDS": "0.1",
            **{k.upper(): v if isinstance(v, str) else json.dumps(v) for k, v in aliyun_settings(fake).items()},
        }
        # The API side: writes outbox rows and sends their messages to Redis; it runs no worker.
        database = Database(base.model_copy(update={"broker_namespace": namespace}))
        api = TaskQueue(database)
        workers: list[subprocess.Popen] = []
        try:
            workers.append(_worker(env, tmp_path / "first.log"))
            with database.transaction() as session:
                ids = [queue_sms(session, phone=f"1370013{i:04d}", template=SmsTemplate.TRAINING_OPENED,
                                 params={"name": f"学员{i}", "session": "2026年第一期"}).id
                       for i in range(MESSAGES)]

            wait_for(lambda: len(fake.accepted) >= 15, timeout=60, what="the first worker to get going")
            workers[0].send_signal(signal.SIGKILL)
            assert workers[0].wait(timeout=10) == -signal.SIGKILL
            at_kill = _statuses(database)
            assert at_kill["PENDING"] > 0, at_kill  # killed mid-batch
            assert at_kill["SENDING"] > 0, at_kill  # with provider calls in flight

            workers.append(_worker(env, tmp_path / "second.log"))
            wait_for(lambda: not ({"PENDING", "SENDING"} & set(+_statuses(database))), timeout=60,
                     what="the outbox to drain")

            assert _statuses(database) == Counter({"SENT": MESSAGES})
            assert Counter(fake.accepted_out_ids()) == Counter(str(i) for i in ids)  # each exactly once
            assert fake.rejected_signatures == 0
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.terminate()
                    worker.wait(timeout=20)
            api.close()
            database.dispose()
