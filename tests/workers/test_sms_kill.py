"""kill -9 a worker process in the middle of a batch: every SMS is sent exactly once anyway.

The production shape: PostgreSQL, Redis, and `examreg worker` processes that
talk HTTP to the provider (here the fake Aliyun server, made slow so that the
kill lands while calls are in flight).
"""

from __future__ import annotations

import signal
import subprocess
import uuid
from collections import Counter

import pytest

from app.db import Database
from app.sms.service import queue_sms
from app.sms.templates import SmsTemplate
from tests.fakes.aliyun_sms import FakeAliyunSms
from tests.sms_support import outbox_statuses, start_worker_process, wait_for, worker_process_env
from workers.broker import TaskQueue

pytestmark = pytest.mark.postgres

MESSAGES = 50


def test_a_worker_killed_mid_batch_neither_loses_nor_duplicates_a_message(postgres_backend, tmp_path):
    postgres_backend.reset()
    base = postgres_backend.settings
    namespace = f"{base.broker_namespace}-kill-{uuid.uuid4().hex[:8]}"
    with FakeAliyunSms(delay=0.15) as fake:
        env = worker_process_env(base, namespace, fake, request_timeout=1, sending_lease=3.5)
        # The API side: writes outbox rows and sends their messages to Redis; it runs no worker.
        database = Database(base.model_copy(update={"broker_namespace": namespace}))
        api = TaskQueue(database)
        workers: list[subprocess.Popen] = []
        try:
            workers.append(start_worker_process(env, tmp_path / "first.log", threads=4))
            with database.transaction() as session:
                ids = [queue_sms(session, phone=f"1370013{i:04d}", template=SmsTemplate.TRAINING_OPENED,
                                 params={"name": f"学员{i}", "session": "2026年第一期"}).id
                       for i in range(MESSAGES)]

            wait_for(lambda: len(fake.accepted) >= 15, timeout=60, what="the first worker to get going")
            workers[0].send_signal(signal.SIGKILL)
            assert workers[0].wait(timeout=10) == -signal.SIGKILL
            at_kill = outbox_statuses(database)
            assert at_kill["PENDING"] > 0, at_kill  # killed mid-batch
            assert at_kill["SENDING"] > 0, at_kill  # with provider calls in flight

            workers.append(start_worker_process(env, tmp_path / "second.log", threads=4))
            wait_for(lambda: not ({"PENDING", "SENDING"} & set(+outbox_statuses(database))), timeout=60,
                     what="the outbox to drain")

            assert outbox_statuses(database) == Counter({"SENT": MESSAGES})
            assert Counter(fake.accepted_out_ids()) == Counter(str(i) for i in ids)  # each exactly once
            assert fake.rejected_signatures == 0
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.terminate()
                    worker.wait(timeout=20)
            api.close()
            database.dispose()
