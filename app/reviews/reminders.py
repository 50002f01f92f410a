"""Reminders to reviewers (and operators) about items close to their working-day deadline."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.clock import CHINA, now
from app.registrations.models import Registration
from app.reviews.chain import awaiting_review_by
from app.sms.service import queue_sms
from app.sms.templates import SmsTemplate
from app.unit_requests.models import UnitRequest, UnitRequestStatus

REVIEWERS = (Role.COUNTY_REVIEWER, Role.CITY_REVIEWER, Role.DEPT_REVIEWER, Role.REGION_REVIEWER)
HORIZON = timedelta(hours=24)  # remind when the deadline is less than a day away (or passed)
QUIET = timedelta(hours=20)  # at most one reminder per item a day


def send_review_reminders(session: Session) -> int:
    """Text every reviewer with items due soon; returns the number of SMS queued."""
    moment = now()
    soon, quiet = moment + HORIZON, moment - QUIET
    reminded: set[int] = set()
    sent = 0
    reviewers = session.exec(select(User).where(User.role.in_(REVIEWERS), User.is_active.is_(True),
                                                User.mobile.is_not(None)))
    for reviewer in reviewers:
        due = session.exec(select(Registration.id, Registration.due_at).where(
            awaiting_review_by(reviewer), Registration.due_at.is_not(None), Registration.due_at <= soon,
            sa.or_(Registration.reminded_at.is_(None), Registration.reminded_at < quiet),
        )).all()
        if due:
            _remind(session, reviewer, len(due), min(d for _, d in due))
            reminded.update(i for i, _ in due)
            sent += 1
    if reminded:
        session.execute(sa.update(Registration).where(Registration.id.in_(reminded)).values(reminded_at=moment)
                        .execution_options(synchronize_session=False))
    return sent + _remind_operators(session, soon, quiet)


def _remind_operators(session: Session, soon, quiet) -> int:  # noqa: ANN001
    requests = session.exec(select(UnitRequest.id, UnitRequest.due_at).where(
        UnitRequest.status == UnitRequestStatus.PENDING, UnitRequest.due_at <= soon,
        sa.or_(UnitRequest.reminded_at.is_(None), UnitRequest.reminded_at < quiet),
    )).all()
    if not requests:
        return 0
    operators = session.exec(select(User).where(User.role == Role.SUPERADMIN, User.is_active.is_(True),
                                                User.mobile.is_not(None))).all()
    for operator in operators:
        _remind(session, operator, len(requests), min(d for _, d in requests))
    session.execute(sa.update(UnitRequest).where(UnitRequest.id.in_([i for i, _ in requests]))
                    .values(reminded_at=now()).execution_options(synchronize_session=False))
    return len(operators)


def _remind(session: Session, user: User, count: int, earliest) -> None:  # noqa: ANN001
    due = earliest.astimezone(CHINA) - timedelta(seconds=1)  # "before the end of that day"
    queue_sms(session, phone=user.mobile, template=SmsTemplate.REVIEW_REMINDER,
              params={"count": str(count), "due": f"{due:%m月%d日%H:%M}"}, subject=("user", user.id))


__all__ = ["send_review_reminders"]
