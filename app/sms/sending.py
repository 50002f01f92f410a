"""Hand one outbox row to the provider, at most once.

The row is claimed (PENDING and due -> SENDING) in its own committed transaction
before the provider is called, and the call happens outside any transaction. A
second delivery of the same broker message, or a concurrent one, finds the row
no longer PENDING and returns without calling the provider. A worker that dies
mid-call leaves the row SENDING; the sweeper (app/sms/sweeping.py) asks the
provider about it once the lease has passed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from app.clock import now
from app.db import Database
from app.registrations.masking import mask_phone
from app.sms import rules
from app.sms.models import SmsMessage, SmsStatus
from app.sms.providers import (
    OutgoingSms,
    PermanentSmsError,
    SmsOutcomeUnknown,
    SmsProvider,
    TransientSmsError,
)
from app.sms.rules import OutboxPolicy
from app.sms.templates import SmsTemplate

log = logging.getLogger("examreg.sms")


class SendResult(StrEnum):
    SENT = "SENT"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"  # not PENDING or not due: someone else has it, or it is done
    OUTCOME_UNKNOWN = "OUTCOME_UNKNOWN"  # left SENDING for the sweeper to reconcile


class RetryLater(Exception):
    """The row is PENDING again until `delay` has passed; the broker should redeliver then."""

    def __init__(self, delay: timedelta, reason: str) -> None:
        super().__init__(reason)
        self.delay = delay


def outgoing(message: SmsMessage) -> OutgoingSms:
    return OutgoingSms(
        id=message.id, phone=message.phone, template=SmsTemplate(message.template),
        params=dict(message.params or {}), claimed_at=message.claimed_at, batch_key=message.batch_key,
    )


def send_outbox_message(
    database: Database, message_id: int, provider: SmsProvider, *, policy: OutboxPolicy | None = None,
) -> SendResult:
    """Send one row; raises RetryLater after a transient failure that leaves attempts to spare."""
    policy = policy or OutboxPolicy.from_settings(database.settings)
    message = claim(database, message_id, provider_name=provider.name)
    if message is None:
        log.debug("SMS %s not claimable (taken, finished or not yet due)", message_id)
        return SendResult.SKIPPED
    return deliver(database, message, provider, policy=policy)


def deliver(database: Database, message: SmsMessage, provider: SmsProvider, *, policy: OutboxPolicy) -> SendResult:
    """Call the provider for a row this worker has just claimed, and record what came of it."""
    try:
        provider_message_id = provider.send(outgoing(message))
    except PermanentSmsError as error:
        log.warning("SMS %s to %s refused: %s", message.id, mask_phone(message.phone), error)
        _settle(database, message, status=SmsStatus.FAILED, last_error=rules.refused_message(str(error)))
        return SendResult.FAILED
    except TransientSmsError as error:
        if not rules.may_retry(message.attempts, policy):
            log.warning("SMS %s gave up after %d attempts: %s", message.id, message.attempts, error)
            _settle(database, message, status=SmsStatus.FAILED,
                    last_error=rules.exhausted_message(message.attempts, str(error)))
            return SendResult.FAILED
        delay = rules.retry_delay(message.attempts, policy)
        log.info("SMS %s attempt %d failed, retrying in %.1fs: %s", message.id, message.attempts,
                 delay.total_seconds(), error)
        _settle(database, message, status=SmsStatus.PENDING, next_attempt_at=now() + delay,
                last_error=rules.retrying_message(message.attempts, str(error)))
        raise RetryLater(delay, str(error)) from error
    except SmsOutcomeUnknown as error:
        log.warning("SMS %s outcome unknown, left for reconciliation: %s", message.id, error)
        _settle(database, message, status=SmsStatus.SENDING, last_error=rules.outcome_unknown_message(str(error)))
        return SendResult.OUTCOME_UNKNOWN
    _settle(database, message, status=SmsStatus.SENT, provider_message_id=provider_message_id or None,
            sent_at=now(), last_error=None)
    log.info("SMS %s to %s sent via %s", message.id, mask_phone(message.phone), provider.name)
    return SendResult.SENT


def claim(database: Database, message_id: int, *, provider_name: str) -> SmsMessage | None:
    """PENDING and due -> SENDING, committed before the provider hears of it; None if another got there first."""
    at = now()
    with database.transaction() as session:
        claimed = session.execute(
            sa.update(SmsMessage)
            .where(SmsMessage.id == message_id, *claimable(at))
            .values(status=SmsStatus.SENDING, claimed_at=at, attempts=SmsMessage.attempts + 1,
                    provider=provider_name, batch_key=None)
        )
        if claimed.rowcount != 1:
            return None
        return session.get(SmsMessage, message_id)


def claimable(at: datetime) -> list[sa.ColumnElement[bool]]:
    """The row is PENDING and due at `at`."""
    return [
        SmsMessage.status == SmsStatus.PENDING,
        sa.or_(SmsMessage.next_attempt_at.is_(None), SmsMessage.next_attempt_at <= at + rules.CLOCK_TOLERANCE),
    ]


def _settle(database: Database, message: SmsMessage, *, status: SmsStatus, **values: Any) -> bool:
    """Record the outcome of our claim, unless the sweeper already settled it (then its answer stands)."""
    with database.transaction() as session:
        result = session.execute(
            sa.update(SmsMessage)
            .where(*still_claimed(message))
            .values(status=status, **values)
        )
    if result.rowcount != 1:
        log.warning("SMS %s changed while its provider call was in flight; keeping the recorded state", message.id)
        return False
    return True


def still_claimed(message: SmsMessage) -> list[sa.ColumnElement[bool]]:
    """The row is in the SENDING state of this very claim."""
    claimed_at: datetime | None = message.claimed_at
    return [
        SmsMessage.id == message.id,
        SmsMessage.status == SmsStatus.SENDING,
        SmsMessage.attempts == message.attempts,
        SmsMessage.claimed_at == claimed_at,
    ]
