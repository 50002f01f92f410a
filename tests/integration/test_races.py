"""Real races on the real databases: exactly one of two concurrent actions wins.

Both contenders are held at a barrier after reading the record and before writing
it, so on PostgreSQL they truly overlap. SQLite serialises writers (BEGIN
IMMEDIATE), so there the second one starts after the first commits; the barrier
then times out and the rule is exercised in sequence.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from app.accounts.models import Role
from app.errors import AppError
from app.registrations import service as registrations
from app.registrations.models import RegistrationStatus as S
from app.reviews import service as reviews
from tests.factories import make_exam_session, make_registration, make_unit, make_user


def race(database, monkeypatch, module, name: str, contenders: list[Callable]) -> list[object]:
    """Run the contenders at once, each in its own transaction; return each result or error."""
    barrier = threading.Barrier(len(contenders))
    original = getattr(module, name)

    def held(*args, **kwargs):
        result = original(*args, **kwargs)
        try:
            barrier.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass
        return result

    monkeypatch.setattr(module, name, held)
    results: list[object] = [None] * len(contenders)

    def run(index: int, work: Callable) -> None:
        try:
            with database.transaction() as session:
                results[index] = work(session)
        except AppError as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def state(database, registration_id: int) -> tuple[str, bool, int]:
    with database.engine.connect() as connection:
        row = connection.execute(sa.text("SELECT status, rollback_used FROM registration WHERE id = :i"),
                                 {"i": registration_id}).one()
        actions = connection.execute(sa.text("SELECT count(*) FROM reviewaction WHERE registration_id = :i"),
                                     {"i": registration_id}).scalar_one()
    return row[0], bool(row[1]), actions


def outcome_errors(results) -> list:
    """Errors from either a raised AppError or a batch outcome."""
    errors = []
    for result in results:
        if isinstance(result, AppError):
            errors.append(result)
        elif isinstance(result, list):
            errors += [o for o in result if not o.ok]
    return errors


@pytest.fixture
def setting(database):
    unit = make_unit(database, division="450102")
    exam = make_exam_session(database)
    admin = make_user(database, role=Role.UNIT_ADMIN, unit=unit)
    county = [make_user(database, role=Role.COUNTY_REVIEWER, division="450102") for _ in range(2)]
    city = make_user(database, role=Role.CITY_REVIEWER, division="450100")
    return unit, exam, admin, county, city


def test_two_reviewers_approve_the_same_record(database, monkeypatch, setting):
    unit, exam, _, county, _ = setting
    record = make_registration(database, unit=unit, exam=exam, status=S.PENDING_INITIAL)
    results = race(database, monkeypatch, reviews, "_require_stage", [
        lambda s, u=u: reviews.review_registrations(s, user=s.merge(u), ids=[record.id], approve=True, comment=None)
        for u in county
    ])
    failed = outcome_errors(results)
    assert len(failed) == 1 and failed[0].problems[0].message
    assert state(database, record.id) == ("PENDING_FINAL", False, 1)


def test_an_edit_and_an_approval_at_once(database, monkeypatch, setting):
    unit, exam, admin, _, city = setting
    record = make_registration(database, unit=unit, exam=exam, status=S.PENDING_FINAL)
    results = race(database, monkeypatch, registrations, "status_after_edit", [
        lambda s: registrations.update_registration(s, user=s.merge(admin), registration_id=record.id,
                                                    changes={"position": "科长"}),
        lambda s: reviews.review_registrations(s, user=s.merge(city), ids=[record.id], approve=True, comment=None),
    ])
    status, _, actions = state(database, record.id)
    assert len(outcome_errors(results)) == 1, results
    assert (status, actions) in {("APPROVED", 1), ("PENDING_INITIAL", 1)}


def test_two_rollback_requests_and_two_grants(database, monkeypatch, setting):
    unit, exam, admin, _, city = setting
    record = make_registration(database, unit=unit, exam=exam, status=S.APPROVED)
    results = race(database, monkeypatch, reviews, "next_status", [
        lambda s: reviews.request_rollback(s, user=s.merge(admin), registration_id=record.id, reason="改电话"),
        lambda s: reviews.request_rollback(s, user=s.merge(admin), registration_id=record.id, reason="改电话"),
    ])
    assert len(outcome_errors(results)) == 1
    assert state(database, record.id) == ("ROLLBACK_REQUESTED", False, 1)
    monkeypatch.undo()
    results = race(database, monkeypatch, reviews, "next_status", [
        lambda s: reviews.decide_rollback(s, user=s.merge(city), registration_id=record.id, approve=True,
                                          comment=None)
        for _ in range(2)
    ])
    assert len(outcome_errors(results)) == 1
    assert state(database, record.id) == ("RETURNED", True, 2)
