"""The review workflow: submit, two-level review, rollback, training opening.

Each move is one conditional UPDATE (id, expected status, version), so when two
people act on the same record at once exactly one wins and the other is told.
Batch actions are all-or-nothing per record, never for the whole batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from app.accounts.models import Role, User
from app.audit import service as audit
from app.audit.models import AuditEventCode
from app.auth.permissions import require_role, require_unit_admin
from app.auth.scope import visible_registrations
from app.calendar.service import review_due
from app.clock import now
from app.errors import AppError, ErrorCode, FieldProblem, NotFound
from app.exams.models import ExamSession
from app.registrations.blockers import blockers_for
from app.registrations.models import Registration
from app.registrations.models import RegistrationStatus as S
from app.registrations.workflow import STATUS_LABELS, next_status
from app.reviews.chain import awaiting_review_by
from app.reviews.models import ReviewAction, ReviewActionKind
from app.sms.service import record_many_sms, send_in_batches
from app.sms.templates import SmsTemplate

MAX_BATCH = 500
MAX_COMMENT = 1000
CONFLICT_MESSAGE = "这条报名信息刚刚已被其他人处理，请刷新后查看最新状态"


@dataclass
class Outcome:
    id: int
    problems: list[FieldProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def submit_registrations(session: Session, *, user: User, ids: list[int]) -> list[Outcome]:
    require_unit_admin(user)

    def submit(record: Registration) -> None:
        blockers = blockers_for(session, [record])[record.id]
        if blockers:
            raise _Blocked([FieldProblem(b.code, b.message, b.field) for b in blockers])
        submitted = now()
        _move(session, record, user, ReviewActionKind.SUBMIT, submitted_at=submitted,
              due_at=review_due(session, submitted), reminded_at=None)

    return _each(session, user, ids, submit)


def review_registrations(
    session: Session, *, user: User, ids: list[int], approve: bool, comment: str | None
) -> list[Outcome]:
    require_role(user, Role.COUNTY_REVIEWER, Role.CITY_REVIEWER, Role.DEPT_REVIEWER, Role.REGION_REVIEWER,
                 message="只有审核员可以审核报名信息")
    comment = _comment(comment, required=not approve, what="退回原因")
    action = ReviewActionKind.APPROVE if approve else ReviewActionKind.REJECT

    def review(record: Registration) -> None:
        becomes = _require_stage(session, user, record, action)
        done = becomes in (S.APPROVED, S.RETURNED)
        _move(session, record, user, action, comment=comment,
              **({"due_at": None, "reminded_at": None} if done else {}))

    return _each(session, user, ids, review)


def request_rollback(session: Session, *, user: User, registration_id: int, reason: str | None) -> Registration:
    require_unit_admin(user)
    reason = _comment(reason, required=True, what="回退原因")
    record = _visible(session, user, registration_id)
    if record.rollback_used:
        raise AppError(ErrorCode.ROLLBACK_USED, "这条报名信息已经回退过一次，每条已终审的报名信息仅有一次回退机会")
    requested = now()
    _move(session, record, user, ReviewActionKind.REQUEST_ROLLBACK, comment=reason,
          due_at=review_due(session, requested), reminded_at=None,
          extra_where=Registration.rollback_used.is_(False))
    return record


def decide_rollback(
    session: Session, *, user: User, registration_id: int, approve: bool, comment: str | None
) -> Registration:
    comment = _comment(comment, required=not approve, what="不同意回退的理由")
    record = _visible(session, user, registration_id)
    _require_stage(session, user, record,
                   ReviewActionKind.GRANT_ROLLBACK if approve else ReviewActionKind.DENY_ROLLBACK)
    if approve:
        _move(session, record, user, ReviewActionKind.GRANT_ROLLBACK, comment=comment, rollback_used=True,
              due_at=None, reminded_at=None, extra_where=Registration.rollback_used.is_(False))
    else:
        _move(session, record, user, ReviewActionKind.DENY_ROLLBACK, comment=comment, due_at=None,
              reminded_at=None)
    return record


def open_training(session: Session, *, user: User, ids: list[int]) -> list[Outcome]:
    """Open training for approved records, all in a few statements: a deadline-day batch is thousands.

    Each record still moves by the workflow's rule (next_status) and only from the status we read;
    a record changed meanwhile is reported as a conflict and the others go ahead.
    """
    require_role(user, Role.TRAINING_OPERATOR, Role.SUPERADMIN, message="只有培训机构可以开通网络培训")
    records = _visible_many(session, user, ids)
    outcomes: list[Outcome] = []
    ready: list[Registration] = []
    for registration_id in dict.fromkeys(ids):
        outcome = Outcome(registration_id)
        record = records.get(registration_id)
        try:
            if record is None:
                raise NotFound("报名信息")
            next_status(ReviewActionKind.OPEN_TRAINING, record.status)  # raises the state message
            ready.append(record)
        except AppError as error:
            outcome.problems = error.problems
        outcomes.append(outcome)
    opened = _move_many(session, ready, user, ReviewActionKind.OPEN_TRAINING)
    for outcome in outcomes:
        if outcome.ok and outcome.id not in opened:
            outcome.problems = AppError(ErrorCode.CONFLICT, CONFLICT_MESSAGE).problems
    session_names = dict(session.exec(select(ExamSession.id, ExamSession.name).where(
        ExamSession.id.in_({r.session_id for r in ready if r.id in opened}))).all())
    messages = record_many_sms(session, template=SmsTemplate.TRAINING_OPENED, recipients=[
        (r.phone, {"name": r.name, "session": session_names[r.session_id]}, ("registration", r.id))
        for r in ready if r.id in opened])
    # Each candidate's SMS is its own outbox row; the broker gets one message per 100 of them (SendBatchSms).
    send_in_batches(session, messages)
    for record in ready:
        session.expire(record)
    return outcomes


class _Blocked(AppError):
    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__(problems[0].code, problems[0].message, problems[0].field)
        self._problems = problems

    @property
    def problems(self) -> list[FieldProblem]:
        return list(self._problems)


def _each(session: Session, user: User, ids: list[int], act: Callable[[Registration], None]) -> list[Outcome]:
    """Apply `act` to every record on its own: one record's failure leaves the others done."""
    records = _visible_many(session, user, ids)
    outcomes = []
    for registration_id in dict.fromkeys(ids):
        outcome = Outcome(registration_id)
        record = records.get(registration_id)
        if record is None:
            outcome.problems = NotFound("报名信息").problems
        else:
            try:
                with session.begin_nested():
                    act(record)
            except AppError as error:
                session.refresh(record)
                outcome.problems = error.problems
        outcomes.append(outcome)
    return outcomes


def _visible_many(session: Session, user: User, ids: list[int]) -> dict[int, Registration]:
    if not ids:
        raise AppError(ErrorCode.REQUIRED, "请至少选择一条报名信息", "ids")
    if len(ids) > MAX_BATCH:
        raise AppError(ErrorCode.INVALID, f"一次最多处理{MAX_BATCH}条，请分批操作", "ids")
    return {r.id: r for r in session.exec(
        select(Registration).where(Registration.id.in_(ids), visible_registrations(user)))}


def _visible(session: Session, user: User, registration_id: int) -> Registration:
    record = session.exec(
        select(Registration).where(Registration.id == registration_id, visible_registrations(user))).first()
    if record is None:
        raise NotFound("报名信息")
    return record


def _require_stage(session: Session, user: User, record: Registration, action: ReviewActionKind) -> S:
    """The status `action` leads to, once the record is in a state for it and at `user`'s stage."""
    becomes = next_status(action, record.status)  # raises the state message
    mine = session.exec(select(Registration.id).where(Registration.id == record.id,
                                                      awaiting_review_by(user))).first()
    if mine is None:
        stage = "终审" if record.status != S.PENDING_INITIAL else "初审"
        raise AppError(ErrorCode.NOT_YOUR_STAGE,
                       f"这条报名信息当前为“{STATUS_LABELS[record.status]}”，{stage}不由您负责")
    return becomes


def _move(
    session: Session,
    record: Registration,
    user: User,
    action: ReviewActionKind,
    *,
    comment: str | None = None,
    extra_where: Any = None,
    **values: Any,
) -> None:
    """One conditional UPDATE from the state we read; a concurrent change makes it miss."""
    before = record.status
    after = next_status(action, before)
    conditions = [Registration.id == record.id, Registration.status == before, Registration.version == record.version]
    if extra_where is not None:
        conditions.append(extra_where)
    result = session.execute(
        sa.update(Registration).where(*conditions)
        .values(status=after, version=Registration.version + 1, updated_at=now(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise AppError(ErrorCode.CONFLICT, CONFLICT_MESSAGE)
    session.add(ReviewAction(registration_id=record.id, actor_id=user.id, actor_role=user.role.value,
                             action=action, from_status=before, to_status=after, comment=comment))
    if action in AUDITED:
        audit.record(session, event=AUDITED[action], user=user, target_type="registration", target_id=record.id,
                     details=f"{before.value} -> {after.value}")
    session.flush()
    session.refresh(record)


def _move_many(session: Session, records: list[Registration], user: User, action: ReviewActionKind) -> set[int]:
    """_move for many records in one UPDATE and one history insert; the ids that moved.

    A record moves only from the status we read it in (and, as in _move, at the version we read);
    the others were changed meanwhile and stay as they are. The caller expires the records it
    has read once it no longer needs their old values.
    """
    moved: set[int] = set()
    by_status: dict[S, list[Registration]] = {}
    for record in records:
        by_status.setdefault(record.status, []).append(record)
    for before, group in by_status.items():
        after = next_status(action, before)
        done = session.execute(
            sa.update(Registration)
            .where(sa.tuple_(Registration.id, Registration.version).in_([(r.id, r.version) for r in group]),
                   Registration.status == before)
            .values(status=after, version=Registration.version + 1, updated_at=now())
            .returning(Registration.id)
            .execution_options(synchronize_session=False)
        ).scalars().all()
        if done:
            session.execute(sa.insert(ReviewAction), [
                ReviewAction(registration_id=rid, actor_id=user.id, actor_role=user.role.value, action=action,
                             from_status=before, to_status=after).model_dump(exclude={"id"})
                for rid in done])
        moved.update(done)
    return moved


# Review decisions and rollbacks go to the audit trail, in the transaction that makes them.
AUDITED = {
    ReviewActionKind.APPROVE: AuditEventCode.REGISTRATION_APPROVED,
    ReviewActionKind.REJECT: AuditEventCode.REGISTRATION_REJECTED,
    ReviewActionKind.REQUEST_ROLLBACK: AuditEventCode.ROLLBACK_REQUESTED,
    ReviewActionKind.GRANT_ROLLBACK: AuditEventCode.ROLLBACK_GRANTED,
    ReviewActionKind.DENY_ROLLBACK: AuditEventCode.ROLLBACK_DENIED,
}


def _comment(text: str | None, *, required: bool, what: str) -> str | None:
    text = (text or "").strip() or None
    if required and text is None:
        raise AppError(ErrorCode.COMMENT_REQUIRED, f"请填写{what}，单位管理员将据此修改", "comment")
    if text is not None and len(text) > MAX_COMMENT:
        raise AppError(ErrorCode.TOO_LONG, f"{what}不能超过{MAX_COMMENT}个字", "comment")
    return text

