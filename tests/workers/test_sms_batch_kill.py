"""kill -9 a worker process while its SendBatchSms calls are in flight: every number is texted exactly once.

The production shape: PostgreSQL, Redis, `examreg worker` processes and the
fake Aliyun server, made slow so that the kill lands after the provider has
accepted batches whose answers the worker never reads. The sweeper then asks
QuerySendDetails about those rows (number + the batch's OutId) and marks them
SENT; what was never claimed is sent by the next worker.
"""

from __future__ import annotations

import signal
import subprocess
import uuid
from collections import Counter

import pytest
from sqlmodel import select

from app.db import Database
from app.sms.models import SmsMessage
from app.sms.service import record_sms, send_in_batches
from app.sms.templates import SmsTemplate
from tests.fakes.aliyun_sms import FakeAliyunSms
from tests.sms_support import outbox_statuses, start_worker_process, wait_for, worker_process_env
from workers.broker import TaskQueue

pytestmark = pytest.mark.postgres

MESSAGES = 400  # four send_sms_batch messages


def test_a_worker_killed_with_batches_in_flight_neither_loses_nor_duplicates_a_message(postgres_backend, tmp_path):
    postgres_backend.reset()
    base = postgres_backend.settings
    namespace = f"{base.broker_namespace}-batchkill-{uuid.uuid4().hex[:8]}"
    with FakeAliyunSms(delay=60.0) as fake:
        env = worker_process_env(base, namespace, fake, request_timeout=3, sending_lease=9.5)
        database = Database(base.model_copy(update={"broker_namespace": namespace}))
        api = TaskQueue(database)
        workers: list[subprocess.Popen] = []
        try:
            workers.append(start_worker_process(env, tmp_path / "first.log", threads=2))
            with database.transaction() as session:
                ids = [record_sms(session, phone=f"1360013{i:04d}", template=SmsTemplate.TRAINING_OPENED,
                                  params={"name": f"学员{i}", "session": "2026年第一期"}).id for i in range(MESSAGES)]
                send_in_batches(session, ids)

            # both threads have a batch accepted by the provider and are waiting for its (slow) answer
            wait_for(lambda: len(fake.accepted) >= 200, timeout=60, what="two batches to reach the provider")
            workers[0].send_signal(signal.SIGKILL)
            assert workers[0].wait(timeout=10) == -signal.SIGKILL
            at_kill = outbox_statuses(database)
            assert at_kill == Counter({"SENDING": 200, "PENDING": 200}), at_kill

            fake.delay = 0.02
            workers.append(start_worker_process(env, tmp_path / "second.log", threads=2))
            wait_for(lambda: not ({"PENDING", "SENDING"} & set(+outbox_statuses(database))), timeout=90,
                     what="the outbox to drain")

            assert outbox_statuses(database) == Counter({"SENT": MESSAGES})
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
