"""Hand many outbox rows to the provider in few calls (SendBatchSms), each row still at most once.

A `send_sms_batch` message names up to 100 rows. The worker claims those still
PENDING and due (-> SENDING) in one committed transaction, split into provider
batches (one template, distinct numbers, at most `provider.max_batch`; nearly
always one), each stamped with a fresh batch key that travels as its call's
OutId. On PostgreSQL the claim skips rows another worker has locked, so a second
copy of the message neither waits nor sends them again. Then, for each batch,
one provider call:

* accepted: every row SENT with the batch's BizId;
* refused for good (one bad number refuses the whole request): the rows go back
  to PENDING and are sent one by one, so only the bad one is FAILED;
* refused for now: each row PENDING again with its own backoff, or FAILED when
  its attempts are used up; the broker delivers the message again once they are due;
* no answer: the rows stay SENDING for the sweeper, which asks QuerySendDetails
  for each number with the batch key as OutId (numbers in a batch are distinct,
  so the number and the OutId name one row).
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import select

from app.clock import now
from app.db import Database
from app.sms import rules
from app.sms.models import SmsMessage, SmsStatus
from app.sms.providers import PermanentSmsError, SmsOutcomeUnknown, SmsProvider, TransientSmsError
from app.sms.rules import OutboxPolicy
from app.sms.sending import (
    RetryLater,
    SendResult,
    claimable,
    deliver,
    outgoing,
    send_outbox_message,
    still_claimed,
)

log = logging.getLogger("examreg.sms")


class Pending(NamedTuple):
    id: int
    phone: str
    template: str


@dataclass
class BatchReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0  # PENDING again after a transient failure
    unknown: int = 0  # left SENDING for the sweeper
    skipped: int = 0  # not PENDING or not due: someone else has it, or it is done
    retry_in: timedelta | None = None  # when every retrying row is due again

    def count(self, result: SendResult) -> None:
        field = {SendResult.SENT: "sent", SendResult.FAILED: "failed", SendResult.SKIPPED: "skipped",
                 SendResult.OUTCOME_UNKNOWN: "unknown"}[result]
        setattr(self, field, getattr(self, field) + 1)

    def retry(self, rows: int, delay: timedelta) -> None:
        self.retrying += rows
        self.retry_in = max(self.retry_in or delay, delay)


def send_outbox_batch(
    database: Database, message_ids: Sequence[int], provider: SmsProvider, *, policy: OutboxPolicy | None = None,
) -> BatchReport:
    """Send the named rows in as few provider calls as their templates and numbers allow."""
    policy = policy or OutboxPolicy.from_settings(database.settings)
    report = BatchReport()
    batches = claim_batches(database, message_ids, provider_name=provider.name, size=provider.max_batch)
    report.skipped = len(set(message_ids)) - sum(map(len, batches))
    for n, batch in enumerate(batches):
        if n:
            # Renew the lease of a batch that waited for the calls before it, so the sweeper leaves it alone.
            batch = _renew(database, batch)
        if len(batch) == 1:
            _deliver_one(database, batch[0], provider, policy, report)
        elif batch:
            _send_batch(database, batch, provider, policy, report)
    return report


def provider_batches(messages: Iterable[Pending], *, size: int) -> list[list[Pending]]:
    """Rows in id order, grouped by template, at most `size` a group, no number twice in one group."""
    batches: list[list[Pending]] = []
    numbers: list[set[str]] = []
    for message in sorted(messages, key=lambda m: m.id):
        for batch, phones in zip(batches, numbers, strict=True):
            if batch[0].template == message.template and len(batch) < size and message.phone not in phones:
                batch.append(message)
                phones.add(message.phone)
                break
        else:
            batches.append([message])
            numbers.append({message.phone})
    return batches


def claim_batches(
    database: Database, message_ids: Sequence[int], *, provider_name: str, size: int,
) -> list[list[SmsMessage]]:
    """The named rows still PENDING and due -> SENDING, in provider batches, each under a fresh batch key
    (none for a batch of one: its id is its OutId), committed in one transaction before any provider call.

    On PostgreSQL rows another worker is claiming are skipped (SKIP LOCKED); SQLite's write lock
    (BEGIN IMMEDIATE) keeps the read and the update together."""
    at = now()
    with database.transaction() as session:
        query = (select(SmsMessage.id, SmsMessage.phone, SmsMessage.template)
                 .where(SmsMessage.id.in_(message_ids), *claimable(at)).order_by(SmsMessage.id))
        if database.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        batches = provider_batches([Pending(*row) for row in session.execute(query)], size=size)
        if not batches:
            return []
        keys: dict[int, str | None] = {}
        for batch in batches:
            key = uuid.uuid4().hex if len(batch) > 1 else None
            keys.update((m.id, key) for m in batch)
        batch_key = sa.case(keys, value=SmsMessage.id) if len(batches) > 1 else keys[batches[0][0].id]
        claimed = {m.id: m for m in session.scalars(
            sa.update(SmsMessage).where(SmsMessage.id.in_(list(keys)), *claimable(at))
            .values(status=SmsStatus.SENDING, claimed_at=at, attempts=SmsMessage.attempts + 1,
                    provider=provider_name, batch_key=batch_key)
            .returning(SmsMessage)
            .execution_options(synchronize_session=False)
        )}
    return [rows for batch in batches if (rows := [claimed[m.id] for m in batch if m.id in claimed])]


def _renew(database: Database, messages: list[SmsMessage]) -> list[SmsMessage]:
    """A fresh claim time for the rows still in this claim; those the sweeper took meanwhile drop out."""
    with database.transaction() as session:
        renewed = session.scalars(
            sa.update(SmsMessage)
            .where(sa.or_(*(sa.and_(*still_claimed(m)) for m in messages)))
            .values(claimed_at=now())
            .returning(SmsMessage)
            .execution_options(synchronize_session=False)
        ).all()
    return sorted(renewed, key=lambda m: m.id)


def _deliver_one(
    database: Database, message: SmsMessage, provider: SmsProvider, policy: OutboxPolicy, report: BatchReport,
) -> None:
    try:
        report.count(deliver(database, message, provider, policy=policy))
    except RetryLater as later:
        report.retry(1, later.delay)


def _send_batch(
    database: Database, messages: list[SmsMessage], provider: SmsProvider, policy: OutboxPolicy, report: BatchReport,
) -> None:
    try:
        batch_id = provider.send_batch([outgoing(m) for m in messages])
    except PermanentSmsError as error:
        log.warning("SMS batch %s..%s (%d) refused, sending its messages one by one: %s",
                    messages[0].id, messages[-1].id, len(messages), error)
        for message_id in _settle(database, messages, status=SmsStatus.PENDING):
            try:
                report.count(send_outbox_message(database, message_id, provider, policy=policy))
            except RetryLater as later:
                report.retry(1, later.delay)
        return
    except TransientSmsError as error:
        _retry_or_fail(database, messages, error, policy, report)
        return
    except SmsOutcomeUnknown as error:
        log.warning("SMS batch %s..%s (%d) outcome unknown, left for reconciliation: %s",
                    messages[0].id, messages[-1].id, len(messages), error)
        report.unknown += len(_settle(database, messages, status=SmsStatus.SENDING,
                                      last_error=rules.outcome_unknown_message(str(error))))
        return
    report.sent += len(_settle(database, messages, status=SmsStatus.SENT, provider_message_id=batch_id or None,
                               sent_at=now(), last_error=None))
    log.info("SMS batch %s..%s (%d) sent via %s as %s", messages[0].id, messages[-1].id, len(messages),
             provider.name, batch_id)


def _retry_or_fail(
    database: Database, messages: list[SmsMessage], error: TransientSmsError, policy: OutboxPolicy,
    report: BatchReport,
) -> None:
    """Each row by its own attempt count: PENDING again after its backoff, or FAILED when none are left."""
    by_attempts = itertools.groupby(sorted(messages, key=lambda m: m.attempts), key=lambda m: m.attempts)
    for attempts, group in by_attempts:
        rows = list(group)
        if not rules.may_retry(attempts, policy):
            log.warning("%d SMS gave up after %d attempts: %s", len(rows), attempts, error)
            report.failed += len(_settle(database, rows, status=SmsStatus.FAILED,
                                         last_error=rules.exhausted_message(attempts, str(error))))
            continue
        delay = rules.retry_delay(attempts, policy)
        log.info("%d SMS, attempt %d failed, retrying in %.1fs: %s", len(rows), attempts, delay.total_seconds(),
                 error)
        settled = _settle(database, rows, status=SmsStatus.PENDING, next_attempt_at=now() + delay,
                          last_error=rules.retrying_message(attempts, str(error)))
        if settled:
            report.retry(len(settled), delay)


def _settle(database: Database, messages: list[SmsMessage], *, status: SmsStatus, **values: Any) -> list[int]:
    """Record the outcome for the rows still in this very claim (the sweeper's answer stands for the others)."""
    ids = [m.id for m in messages]
    with database.transaction() as session:
        settled = session.scalars(
            sa.update(SmsMessage)
            .where(SmsMessage.id.in_(ids), SmsMessage.status == SmsStatus.SENDING,
                   SmsMessage.batch_key == messages[0].batch_key)
            .values(status=status, **values)
            .returning(SmsMessage.id)
            .execution_options(synchronize_session=False)
        ).all()
    if len(settled) != len(ids):
        log.warning("SMS %s changed while their provider call was in flight; keeping the recorded state",
                    sorted(set(ids) - set(settled)))
    return sorted(settled)
