"""The SMS outbox: a row written in the business transaction, sent after commit."""

from __future__ import annotations

from sqlmodel import Session

from app.jobs import enqueue
from app.sms.models import SmsMessage, SmsStatus
from app.sms.templates import SmsTemplate

SEND_ACTOR = "send_sms"


def queue_sms(
    session: Session,
    *,
    phone: str,
    template: SmsTemplate,
    params: dict[str, str],
    subject: tuple[str, int] | None = None,
) -> SmsMessage:
    """Record an SMS in the caller's transaction; the actor gets its id once that commits."""
    message = SmsMessage(
        phone=phone, template=template.value, params=params, status=SmsStatus.PENDING,
        subject_type=subject[0] if subject else None, subject_id=subject[1] if subject else None,
    )
    session.add(message)
    session.flush()
    enqueue(session, SEND_ACTOR, message_id=message.id)
    return message
