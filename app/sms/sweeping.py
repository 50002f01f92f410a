"""The outbox sweeper: nothing stays PENDING or SENDING forever, and nothing is sent blindly twice.

* PENDING rows due for longer than the grace period lost their broker message
  (a Redis flush, an API process killed between commit and enqueue): send again.
* SENDING rows claimed longer ago than the lease belong to a worker that died
  mid-call. Only the provider knows whether the message left, so ask it: it has
  the message -> SENT; it certainly has not -> PENDING again; it cannot tell ->
  UNCERTAIN, for an operator to check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import select

from app.clock import now
from app.db import Database
from app.jobs import enqueue
from app.sms import rules
from app.sms.models import SmsMessage, SmsStatus
from app.sms.providers import Delivery, SmsProvider, TransientSmsError
from app.sms.rules import OutboxPolicy
from app.sms.sending import outgoing, still_claimed
from app.sms.service import SEND_ACTOR

log = logging.getLogger("examreg.sms.sweeper")

BATCH = 500
SWEEP_ACTOR = "sweep_sms_outbox"


@dataclass
class SweepReport:
    requeued: int = 0  # PENDING rows whose message was sent to the broker again
    confirmed: int = 0  # SENDING rows the provider had received: now SENT
    returned: int = 0  # SENDING rows the provider never received: PENDING again
    uncertain: int = 0  # SENDING rows nobody can vouch for: UNCERTAIN
    unresolved: int = 0  # SENDING rows whose provider query failed: asked again next sweep


def sweep_outbox(database: Database, provider: SmsProvider, *, policy: OutboxPolicy | None = None) -> SweepReport:
    policy = policy or OutboxPolicy.from_settings(database.settings)
    report = SweepReport()
    at = now()
    report.requeued = requeue_stale_pending(database, at=at, policy=policy)
    with database.session() as session:
        abandoned = list(session.exec(
            select(SmsMessage)
            .where(SmsMessage.status == SmsStatus.SENDING, SmsMessage.claimed_at <= at - policy.sending_lease)
            .order_by(SmsMessage.id).limit(BATCH)
        ))
    for message in abandoned:
        _reconcile(database, provider, message, at=at, policy=policy, report=report)
    if report != SweepReport():
        log.info("SMS outbox sweep: %s", report)
    return report


def requeue_stale_pending(database: Database, *, at: datetime, policy: OutboxPolicy) -> int:
    """Send the broker message again for rows due longer than the grace period ago."""
    due_since = sa.func.coalesce(SmsMessage.next_attempt_at, SmsMessage.created_at)
    stale = [SmsMessage.status == SmsStatus.PENDING, due_since <= at - policy.pending_grace]
    with database.transaction() as session:
        batch = select(SmsMessage.id).where(*stale).order_by(SmsMessage.id).limit(BATCH)
        # Moving the due time on keeps later sweeps from piling up copies while a worker catches up;
        # repeating the condition in the UPDATE lets only one of two concurrent sweeps take each row.
        ids = sorted(session.execute(
            sa.update(SmsMessage)
            .where(SmsMessage.id.in_(batch.scalar_subquery()), *stale)
            .values(next_attempt_at=at)
            .returning(SmsMessage.id)
        ).scalars())
        for message_id in ids:
            enqueue(session, SEND_ACTOR, message_id=message_id)
    if not ids:
        return 0
    log.info("SMS outbox: re-sent %d pending message(s) to the broker: %s", len(ids), ids[:20])
    return len(ids)


def _reconcile(
    database: Database, provider: SmsProvider, message: SmsMessage, *, at: datetime, policy: OutboxPolicy,
    report: SweepReport,
) -> None:
    if message.provider and message.provider != provider.name:
        _settle(database, message, report, "uncertain", status=SmsStatus.UNCERTAIN,
                last_error=rules.uncertain_other_provider(message.provider))
        return
    try:
        found = provider.lookup(outgoing(message))
    except TransientSmsError as error:
        if message.claimed_at is not None and message.claimed_at <= at - policy.reconcile_give_up:
            _settle(database, message, report, "uncertain", status=SmsStatus.UNCERTAIN,
                    last_error=rules.uncertain_query_failed(str(error)))
        else:
            log.warning("SMS %s: provider query failed, asking again next sweep: %s", message.id, error)
            report.unresolved += 1
        return
    if found.delivery == Delivery.RECEIVED:
        _settle(database, message, report, "confirmed", status=SmsStatus.SENT, sent_at=message.claimed_at,
                provider_message_id=found.provider_message_id or message.provider_message_id, last_error=None)
    elif found.delivery == Delivery.NOT_RECEIVED:
        _settle(database, message, report, "returned", status=SmsStatus.PENDING, next_attempt_at=None,
                last_error=rules.RESENT_AFTER_INTERRUPTION, send_again=True)
    else:
        _settle(database, message, report, "uncertain", status=SmsStatus.UNCERTAIN,
                last_error=rules.UNCERTAIN_UNKNOWABLE)


def _settle(
    database: Database, message: SmsMessage, report: SweepReport, counter: str, *, status: SmsStatus,
    send_again: bool = False, **values: object,
) -> None:
    with database.transaction() as session:
        changed = session.execute(
            sa.update(SmsMessage).where(*still_claimed(message)).values(status=status, **values)
        ).rowcount
        if changed and send_again:
            enqueue(session, SEND_ACTOR, message_id=message.id)
    if changed:
        setattr(report, counter, getattr(report, counter) + 1)
        log.warning("SMS %s was abandoned mid-call; now %s", message.id, status.value)
