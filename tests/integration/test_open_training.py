"""openTraining in bulk: each record moves by the workflow rule, once, with its history row and its SMS."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import Role
from app.errors import ErrorCode
from app.registrations.models import Registration, RegistrationStatus
from app.reviews.models import ReviewAction, ReviewActionKind
from app.reviews.service import _move_many, open_training
from app.sms.models import SmsMessage, SmsStatus
from tests.factories import make_exam_session, make_registration, make_unit, make_user


def test_a_mixed_batch_opens_the_approved_records_and_says_why_not_for_the_rest(backend):
    db = backend.database
    unit = make_unit(db)
    exam = make_exam_session(db)
    operator = make_user(db, role=Role.TRAINING_OPERATOR)
    approved = [make_registration(db, unit=unit, exam=exam, status=RegistrationStatus.APPROVED) for _ in range(5)]
    draft = make_registration(db, unit=unit, exam=exam)
    opened_before = make_registration(db, unit=unit, exam=exam, status=RegistrationStatus.TRAINING_OPENED)
    ids = [r.id for r in approved] + [draft.id, opened_before.id, 999_999, approved[0].id]

    with db.transaction() as session:
        outcomes = open_training(session, user=operator, ids=ids)

    by_id = {o.id: o for o in outcomes}
    assert len(outcomes) == 8  # the repeated id is answered once
    assert all(by_id[r.id].ok for r in approved)
    assert by_id[draft.id].problems[0].code == ErrorCode.NOT_FOUND  # drafts are not the training company's to see
    assert by_id[opened_before.id].problems[0].code == ErrorCode.INVALID_STATE
    assert by_id[999_999].problems[0].code == ErrorCode.NOT_FOUND
    with db.session() as session:
        statuses = dict(session.execute(sa.select(Registration.id, Registration.status)).all())
        history = session.execute(sa.select(ReviewAction.registration_id, ReviewAction.action,
                                            ReviewAction.from_status, ReviewAction.to_status,
                                            ReviewAction.actor_id)).all()
        messages = session.scalars(sa.select(SmsMessage)).all()
        versions = dict(session.execute(sa.select(Registration.id, Registration.version)).all())
    assert {statuses[r.id] for r in approved} == {RegistrationStatus.TRAINING_OPENED}
    assert statuses[draft.id] == RegistrationStatus.DRAFT
    assert sorted(h.registration_id for h in history) == sorted(r.id for r in approved)
    assert {(h.action, h.from_status, h.to_status, h.actor_id) for h in history} == {
        (ReviewActionKind.OPEN_TRAINING, RegistrationStatus.APPROVED, RegistrationStatus.TRAINING_OPENED, operator.id)}
    assert {versions[r.id] for r in approved} == {approved[0].version + 1}
    # one SMS per opened candidate, to that candidate, naming them and the session
    assert sorted(m.subject_id for m in messages) == sorted(r.id for r in approved)
    people = {r.id: r for r in approved}
    for message in messages:
        person = people[message.subject_id]
        # queued in the outbox; the backend's worker thread may already be handing it to the provider
        assert message.phone == person.phone and message.status in {SmsStatus.PENDING, SmsStatus.SENDING,
                                                                      SmsStatus.SENT}
        assert message.params == {"name": person.name, "session": exam.name}


def test_a_record_changed_after_it_was_read_is_a_conflict_not_a_second_move(backend):
    db = backend.database
    unit = make_unit(db)
    exam = make_exam_session(db)
    operator = make_user(db, role=Role.TRAINING_OPERATOR)
    first, second = (make_registration(db, unit=unit, exam=exam, status=RegistrationStatus.APPROVED) for _ in range(2))
    with db.transaction() as session:
        # someone else changed `second` since this batch read it (its version moved on)
        session.execute(sa.update(Registration).where(Registration.id == second.id)
                        .values(version=Registration.version + 1))
    with db.transaction() as session:
        session.add(first)
        session.add(second)  # the batch's own, now stale, reading of the records
        outcomes = _move_many(session, [first, second], operator, ReviewActionKind.OPEN_TRAINING)
    assert outcomes == {first.id}
