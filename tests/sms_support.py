"""SMS test helpers: a worker stack wired to the fake Aliyun server, outbox rows, waiting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import func, select

from app.clock import now
from app.db import Database
from app.settings import Settings
from app.sms.models import SmsMessage, SmsStatus
from app.sms.service import queue_sms
from app.sms.templates import SmsTemplate
from tests.api import wait_until
from tests.fakes import aliyun_sms
from tests.fakes.aliyun_sms import FakeAliyunSms
from workers.broker import TaskQueue

SETTLED = {SmsStatus.SENT, SmsStatus.FAILED, SmsStatus.UNCERTAIN}


def aliyun_settings(fake: FakeAliyunSms) -> dict[str, Any]:
    """Settings (as environment-style names) that point the Aliyun provider at the fake."""
    return {
        "sms_provider": "aliyun", "sms_aliyun_endpoint": fake.url,
        "sms_aliyun_access_key_id": aliyun_sms.ACCESS_KEY_ID,
        "sms_aliyun_access_key_secret": aliyun_sms.ACCESS_KEY_SECRET,
        "sms_aliyun_sign_name": aliyun_sms.SIGN_NAME,
        "sms_aliyun_template_codes": aliyun_sms.TEMPLATE_CODES,
    }


@dataclass
class SmsStack:
    """A separate Database + TaskQueue (its own broker namespace) whose actors use the fake provider."""

    settings: Settings
    database: Database
    queue: TaskQueue

    def queue_sms(self, phone: str = "13800138000", *, template: SmsTemplate = SmsTemplate.TRAINING_OPENED,
                  params: dict[str, str] | None = None) -> int:
        with self.database.transaction() as session:
            message = queue_sms(session, phone=phone, template=template,
                                params=params or {"name": "韦东", "session": "2026年第一期"})
        return message.id

    def send_again(self, message_id: int) -> None:
        """One more broker message for the same row, as a redelivery would be."""
        self.queue.send("send_sms", {"message_id": message_id})

    def close(self) -> None:
        self.queue.close()
        self.database.dispose()


def start_sms_stack(base: Settings, fake: FakeAliyunSms, *, threads: int = 4, **overrides: Any) -> SmsStack:
    fields: dict[str, Any] = {
        "database_url": base.database_url, "redis_url": base.redis_url, "storage_dir": base.storage_dir,
        "broker_namespace": f"{base.broker_namespace}-sms-{uuid.uuid4().hex[:8]}",
        **aliyun_settings(fake),
        "sms_request_timeout_seconds": 1.0, "sms_sending_lease_seconds": 3.5,
        "sms_retry_first_seconds": 0.1, "sms_retry_longest_seconds": 2.0,
        "periodic_intervals": {"sweep_sms_outbox": 0},  # tests that want the sweeper turn it on
        "periodic_tick_seconds": 0.1,
    }
    fields.update(overrides)
    settings = Settings(_env_file=None, **fields)
    database = Database(settings)
    queue = TaskQueue(database)
    queue.start_worker(threads=threads)
    return SmsStack(settings=settings, database=database, queue=queue)


def make_sms(database: Database, *, status: SmsStatus = SmsStatus.PENDING, phone: str = "13800138000",
             template: SmsTemplate = SmsTemplate.TRAINING_OPENED, params: dict[str, str] | None = None,
             **fields: Any) -> SmsMessage:
    """An outbox row written directly, with no broker message: as if the message had been lost."""
    with database.transaction() as session:
        message = SmsMessage(phone=phone, template=template.value, status=status,
                             params=params or {"name": "韦东", "session": "2026年第一期"}, **fields)
        session.add(message)
    return message


def outbox(database: Database, ids: Iterable[int] | None = None) -> dict[int, SmsMessage]:
    with database.session() as session:
        query = select(SmsMessage)
        if ids is not None:
            query = query.where(SmsMessage.id.in_(list(ids)))
        return {m.id: m for m in session.exec(query)}


def wait_for(condition: Callable[[], Any], *, timeout: float = 20, what: str = "condition") -> Any:
    return wait_until(condition, timeout=timeout, what=what)


def wait_until_settled(database: Database, ids: Iterable[int], *, timeout: float = 20) -> dict[int, SmsMessage]:
    ids = list(ids)

    def settled() -> dict[int, SmsMessage] | None:
        rows = outbox(database, ids)
        return rows if len(rows) == len(ids) and all(m.status in SETTLED for m in rows.values()) else None

    return wait_for(settled, timeout=timeout, what=f"SMS {ids} to settle")


def ago(**delta: float):  # noqa: ANN201
    from datetime import timedelta

    return now() - timedelta(**delta)


def outbox_statuses(database: Database) -> Counter[str]:
    with database.session() as session:
        rows = session.exec(select(SmsMessage.status, func.count()).group_by(SmsMessage.status)).all()
    return Counter({status.value: count for status, count in rows})


def worker_process_env(base: Settings, namespace: str, fake: FakeAliyunSms, *, request_timeout: float,
                       sending_lease: float) -> dict[str, str]:
    """The environment of an `examreg worker` process sending through `fake`, sweeping every half second."""
    return {
        **os.environ, "DATABASE_URL": base.database_url, "REDIS_URL": base.redis_url,
        "BROKER_NAMESPACE": namespace, "SMS_REQUEST_TIMEOUT_SECONDS": str(request_timeout),
        "SMS_SENDING_LEASE_SECONDS": str(sending_lease), "SMS_PENDING_GRACE_SECONDS": "2",
        "PERIODIC_INTERVALS": '{"sweep_sms_outbox": 0.5}', "PERIODIC_TICK_SECONDS": "0.1",
        **{k.upper(): v if isinstance(v, str) else json.dumps(v) for k, v in aliyun_settings(fake).items()},
    }


def start_worker_process(env: dict[str, str], log: Path, *, threads: int) -> subprocess.Popen:
    # Output goes to a file: a full pipe would stall the worker.
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--threads", str(threads)], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
