"""kill -9 a worker process while its SendBatchSms calls are in flight: every number is texted exactly once.

The production shape: PostgreSQL, Redis, `examreg worker` processes and the
fake Aliyun server, made slow so that the kill lands after the provider has
accepted batches whose answers the worker never reads. The sweeper then asks
QuerySendDetails about those rows (number + the batch's OutId) and marks them
SENT; what was never claimed is sent by the next worker.
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
from app.sms.service import record_sms, send_in_batches
from app.sms.templates import SmsTemplate
from tests.fakes.aliyun_sms import FakeAliyunSms
from tests.sms_support import aliyun_settings, wait_for
from workers.broker import TaskQueue

pytestmark = pytest.mark.postgres

MESSAGES = 400  # four send_sms_batch messages


def _statuses(database: Database) -> Counter[str]:
    with database.session() as session:
        rows = session.exec(select(SmsMessage.status, func.count()).group_by(SmsMessage.status)).all()
    return Counter({status.value: count for status, count in rows})


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--threads", "2"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def test_a_worker_killed_with_batches_in_flight_neither_loses_nor_duplicates_a_message(postgres_backend, tmp_path):
    postgres_backend.reset()
    base = postgres_backend.settings
    namespace = f"{base.broker_namespace}-batchkill-{uuid.uuid4().hex[:8]}"
    with FakeAliyunSms(delay=60.0) as fake:
        env = {
            **os.environ, "DATABASE_URL": base.database_url, "REDIS_URL": base.redis_url,
            "BROKER_NAMESPACE": namespace, "SMS_REQUEST_TIMEOUT_SECONDS": "3", "SMS_SENDING_LEASE_SECONDS": "9.5",
            "SMS_PENDING_GRACE_SECONDS": "2", "PERIODIC_INTERVALS": '{"sweep_sms_outbox": 0.5}',
            "PERIODIC_TICK_SECONDS": "0.1",
            **{k.upper(): v if isinstance(v, str) else json.dumps(v) for k, v in aliyun_settings(fake).items()},
        }
        database = Database(base.model_copy(update={"broker_namespace": namespace}))
        api = TaskQueue(database)
        workers: list[subprocess.Popen] = []
        try:
            workers.append(_worker(env, tmp_path / "first.log"))
            with database.transaction() as session:
                ids = [record_sms(session, phone=f"1360013{i:04d}", template=SmsTemplate.TRAINING_OPENED,
                                  params={"name": f"学员{i}", "session": "2026年第一期"}).id for i in range(MESSAGES)]
                send_in_batches(session, ids)

            # both threads have a batch accepted by the provider and are waiting for its (slow) answer
            wait_for(lambda: len(fake.accepted) >= 200, timeout=60, what="two batches to reach the provider")
            workers[0].send_signal(signal.SIGKILL)
            assert workers[0].wait(timeout=10) == -signal.SIGKILL
            at_kill = _statuses(database)
            assert at_kill == Counter({"SENDING": 200, "PENDING": 200}), at_kill

            fake.delay = 0.02
            workers.append(_worker(env, tmp_path / "second.log"))
            wait_for(lambda: not ({"PENDING", "SENDING"} & set(+_statuses(database))), timeout=90,
                     what="the outbox to drain")

            assert _statuses(database) == Counter({"SENT": MESSAGES})
            with database.session() as session:
                phones = Counter(session.exec(select(SmsMessage.phone)).all())
            assert Counter(fake.accepted_phones()) == phones  # each exactly once
            calls = Counter(a.action for a in fake.attempts)
            assert calls["SendBatchSms"] >= 2 and calls["QuerySendDetails"] >= 200, calls  # confirmed, not resent
            assert fake.rejected_signatures == 0
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.terminate()
                    worker.wait(timeout=20)
            api.close()
            database.dispose()
