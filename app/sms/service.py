"""The SMS outbox: a row written in the business transaction, sent after commit."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from app.accounts.models import User
from app.auth.permissions import require_operator
from app.errors import AppError, ErrorCode, NotFound
from app.jobs import enqueue
from app.pagination import Page, paginate
from app.sms.models import SmsMessage, SmsStatus
from app.sms.templates import SmsTemplate

SEND_ACTOR = "send_sms"
BATCH_ACTOR = "send_sms_batch"
# Rows named by one send_sms_batch message: what Alibaba Cloud's SendBatchSms takes in one call.
BATCH_SIZE = 100
RESENDABLE = frozenset({SmsStatus.FAILED, SmsStatus.UNCERTAIN})


def queue_sms(
    session: Session,
    *,
    phone: str,
    template: SmsTemplate,
    params: dict[str, str],
    subject: tuple[str, int] | None = None,
) -> SmsMessage:
    """Record an SMS in the caller's transaction; the actor gets its id once that commits."""
    message = record_sms(session, phone=phone, template=template, params=params, subject=subject)
    enqueue(session, SEND_ACTOR, message_id=message.id)
    return message


def record_sms(
    session: Session,
    *,
    phone: str,
    template: SmsTemplate,
    params: dict[str, str],
    subject: tuple[str, int] | None = None,
) -> SmsMessage:
    """An outbox row in the caller's transaction, with no broker message yet: see send_in_batches."""
    message = SmsMessage(
        phone=phone, template=template.value, params=params, status=SmsStatus.PENDING,
        subject_type=subject[0] if subject else None, subject_id=subject[1] if subject else None,
    )
    session.add(message)
    session.flush()
    return message


def record_many_sms(
    session: Session, *, template: SmsTemplate, recipients: list[tuple[str, dict[str, str], tuple[str, int]]],
) -> list[int]:
    """record_sms for many (phone, params, subject) at once, in one insert; the new rows' ids.

    The ids are found again by subject: each subject here is a record the caller's transaction holds
    locked (it has just moved it), so no other transaction adds rows for these subjects meanwhile.
    """
    if not recipients:
        return []
    before = session.exec(select(sa.func.coalesce(sa.func.max(SmsMessage.id), 0))).one()
    session.execute(sa.insert(SmsMessage), [
        SmsMessage(phone=phone, template=template.value, params=params, status=SmsStatus.PENDING,
                   subject_type=subject[0], subject_id=subject[1]).model_dump(exclude={"id"})
        for phone, params, subject in recipients])
    ids: list[int] = []
    for subject_type in {subject[0] for _, _, subject in recipients}:
        subject_ids = [subject[1] for _, _, subject in recipients if subject[0] == subject_type]
        ids += session.exec(select(SmsMessage.id).where(
            SmsMessage.id > before, SmsMessage.template == template.value,
            SmsMessage.subject_type == subject_type, SmsMessage.subject_id.in_(subject_ids),
        ).order_by(SmsMessage.id)).all()
    return ids


def send_in_batches(session: Session, message_ids: list[int]) -> None:
    """One send_sms_batch message per BATCH_SIZE rows, sent once the caller's transaction commits."""
    for start in range(0, len(message_ids), BATCH_SIZE):
        enqueue(session, BATCH_ACTOR, message_ids=message_ids[start:start + BATCH_SIZE])


def list_sms_messages(
    session: Session, *, user: User, status: SmsStatus | None = None, phone: str | None = None,
    first: int | None = None, after: str | None = None,
) -> Page[SmsMessage]:
    """The outbox for operators, newest first."""
    require_operator(user)
    conditions = []
    if status is not None:
        conditions.append(SmsMessage.status == status)
    if phone and phone.strip():
        conditions.append(SmsMessage.phone == phone.strip())
    return paginate(session, SmsMessage, kind="SmsMessage", conditions=conditions, first=first, after=after)


def resend_sms_message(session: Session, *, user: User, message_id: int) -> SmsMessage:
    """An operator sends a FAILED or UNCERTAIN message again, with a fresh attempt budget."""
    require_operator(user)
    message = session.get(SmsMessage, message_id)
    if message is None:
        raise NotFound("短信")
    reopened = session.execute(
        sa.update(SmsMessage)
        .where(SmsMessage.id == message_id, SmsMessage.status.in_(RESENDABLE))
        .values(status=SmsStatus.PENDING, attempts=0, next_attempt_at=None, claimed_at=None, last_error=None)
    )
    if reopened.rowcount != 1:
        raise AppError(ErrorCode.INVALID_STATE, "只有发送失败或状态待核实的短信可以重新发送", "id")
    session.refresh(message)
    enqueue(session, SEND_ACTOR, message_id=message.id)
    return message
