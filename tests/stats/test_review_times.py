"""Review times in working hours: computed in SQL, equal to the Python calendar, on both databases."""

from __future__ import annotations

import io
import random
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.accounts.models import Role, User
from app.calendar.models import WorkingDay
from app.calendar.service import WorkingCalendar, load_holiday_schedule
from app.calendar.working_days import refresh_working_days, wanted_days
from app.clock import CHINA, now
from app.migrate import migrate
from app.registrations.models import RegistrationStatus as S
from app.reviews.models import ReviewAction
from app.reviews.models import ReviewActionKind as A
from app.units.models import UnitLevel
from tests.api import Api
from tests.factories import PASSWORD, make_exam_session, make_registration, make_unit, make_user

EXPORT = """mutation($s: ID!, $g: [StatisticsDimension!]!) { exportStatistics(sessionId: $s, groupBy: $g) { url } }"""
TIMES = """query($s: ID!, $g: [StatisticsDimension!]!) {
  statistics(sessionId: $s, groupBy: $g) {
    rows { key { cityCode status } figures { count finishedReviews reviewHoursMedian reviewHoursP90 } }
    total { count finishedReviews reviewHoursMedian reviewHoursP90 } } }"""


@pytest.fixture
def calendar_table(backend):
    """`examreg migrate` fills the table; the per-test reset empties it, so fill it again."""
    with backend.database.transaction() as session:
        refresh_working_days(session)


def _china(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHINA).astimezone(UTC)


def _history(registration_id: int, steps: list[tuple[A, S | None, S, datetime]]) -> list[ReviewAction]:
    return [ReviewAction(registration_id=registration_id, action=action, from_status=before, to_status=after, at=at)
            for action, before, after, at in steps]


def _region_token(backend) -> str:
    user = make_user(backend.database, role=Role.REGION_REVIEWER)
    return Api(backend.client).login(user.username, PASSWORD)


def _nearest_rank(values: list[int], percent: int) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[(len(ordered) * percent + 99) // 100 - 1] / 3600, 2)


def test_a_review_over_national_day_counts_only_working_hours(backend, calendar_table):
    db = backend.database
    exam = make_exam_session(db)
    record = make_registration(db, unit=make_unit(db), exam=exam, status=S.APPROVED)
    submitted, decided = _china("2026-09-30T10:00:00"), _china("2026-10-09T09:00:00")
    with db.transaction() as session:
        session.add_all(_history(record.id, [
            (A.SUBMIT, S.DRAFT, S.PENDING_INITIAL, submitted),
            (A.EDIT, S.PENDING_INITIAL, S.PENDING_INITIAL, submitted + timedelta(hours=1)),
            (A.APPROVE, S.PENDING_INITIAL, S.PENDING_FINAL, submitted + timedelta(hours=2)),
            (A.APPROVE, S.PENDING_FINAL, S.APPROVED, decided),
        ]))
    api, token = Api(backend.client), _region_token(backend)
    total = api.data(TIMES, {"s": exam.id, "g": []}, token=token)["statistics"]["total"]
    # 30 Sep 10:00-24:00, all of 8 Oct (1-7 Oct are the holiday), 9 Oct 00:00-09:00.
    assert total == {"count": 1, "finishedReviews": 1, "reviewHoursMedian": 47.0, "reviewHoursP90": 47.0}

    url = api.data(EXPORT, {"s": exam.id, "g": ["STATUS"]}, token=token)["exportStatistics"]["url"]
    sheet = load_workbook(io.BytesIO(backend.client.get(url).content)).worksheets[0]
    table = [dict(zip(next(sheet.iter_rows(values_only=True)), row, strict=True))
             for row in sheet.iter_rows(min_row=2, values_only=True)]
    for row in table:  # the APPROVED group, then the totals row
        assert row["已办结审核次数"] == 1 and row["审核用时中位数（工作小时）"] == 47.0
        assert row["审核用时第90百分位（工作小时）"] == 47.0
    assert [row["状态"] for row in table] == ["终审通过", "合计"]


def test_percentiles_match_the_python_calendar_on_generated_data(backend, calendar_table):
    db = backend.database
    rng = random.Random(6)
    units = [make_unit(db, division=d) for d in ("450102", "450103", "450202", "450302")]
    units.append(make_unit(db, division="450100", level=UnitLevel.CITY))
    exam = make_exam_session(db)
    calendar = WorkingCalendar({})
    expected: dict[str, list[int]] = {}
    by_status: dict[str, list[int]] = {}
    histories = []
    for _ in range(70):
        unit = rng.choice(units)
        steps: list[tuple[A, S | None, S, datetime]] = []
        status, at = S.DRAFT, datetime(2026, 1, 5, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 300 * 86400))
        timed = []
        for _ in range(rng.choice((1, 1, 2))):  # some are returned and submitted again
            at += timedelta(seconds=rng.randint(60, 5 * 86400))
            submitted = at
            steps.append((A.SUBMIT, status, S.PENDING_INITIAL, at))
            status = S.PENDING_INITIAL
            if rng.random() < 0.3:  # an edit while waiting changes nothing
                at += timedelta(seconds=rng.randint(60, 86400))
                steps.append((A.EDIT, status, status, at))
            outcome = rng.choice(["pending", "reject_initial", "approve", "approve", "reject_final", "final_pending"])
            if outcome == "pending":
                break
            at += timedelta(seconds=rng.randint(60, 6 * 86400))
            if outcome == "reject_initial":
                steps.append((A.REJECT, status, S.RETURNED, at))
                status = S.RETURNED
                timed.append((submitted, at))
                continue
            steps.append((A.APPROVE, status, S.PENDING_FINAL, at))
            status = S.PENDING_FINAL
            if outcome == "final_pending":
                break
            at += timedelta(seconds=rng.randint(60, 6 * 86400))
            after = S.APPROVED if outcome == "approve" else S.RETURNED
            steps.append((A.APPROVE if after == S.APPROVED else A.REJECT, status, after, at))
            status = after
            timed.append((submitted, at))
            if after == S.APPROVED:
                break
        if status == S.APPROVED and rng.random() < 0.3:  # a rollback request is no review
            steps.append((A.REQUEST_ROLLBACK, status, S.ROLLBACK_REQUESTED, at + timedelta(hours=3)))
            steps.append((A.DENY_ROLLBACK, S.ROLLBACK_REQUESTED, S.APPROVED, at + timedelta(hours=30)))
        record = make_registration(db, unit=unit, exam=exam, status=status,
                                   submitted_at=None if status == S.DRAFT else submitted)
        histories += _history(record.id, steps)
        seconds = [round(calendar.working_hours_between(s, e) * 3600) for s, e in timed]
        expected.setdefault(unit.city_code, []).extend(seconds)
        by_status.setdefault(status.value, []).extend(seconds)
    with db.transaction() as session:
        session.add_all(histories)
    api, token = Api(backend.client), _region_token(backend)

    everything = [s for values in expected.values() for s in values]
    assert len(everything) > 40 and len(expected) == 3  # Nanning, Liuzhou, Guilin
    for dimension, wanted, field in (("CITY", expected, "cityCode"), ("STATUS", by_status, "status")):
        answer = api.data(TIMES, {"s": exam.id, "g": [dimension]}, token=token)["statistics"]
        got = {r["key"][field]: r["figures"] for r in answer["rows"]}
        for key, values in wanted.items():
            assert got[key]["finishedReviews"] == len(values), (dimension, key)
            assert got[key]["reviewHoursMedian"] == _nearest_rank(values, 50), (dimension, key)
            assert got[key]["reviewHoursP90"] == _nearest_rank(values, 90), (dimension, key)
        assert answer["total"]["finishedReviews"] == len(everything)
        assert answer["total"]["reviewHoursMedian"] == _nearest_rank(everything, 50)
        assert answer["total"]["reviewHoursP90"] == _nearest_rank(everything, 90)
    assert got.get("DRAFT", {}).get("reviewHoursMedian") is None


def _table(session) -> dict[date, tuple[bool, int]]:
    return {d: (bool(w), b) for d, w, b in session.execute(
        sa.select(WorkingDay.day, WorkingDay.is_working, WorkingDay.working_days_before))}


def test_migrate_fills_the_table_from_the_calendar(backend):
    db = backend.database
    migrate(db)
    with db.session() as session:
        table = _table(session)
        assert table == wanted_days(session)
    assert min(table) == date(2004, 1, 1) and max(table) == date(now().astimezone(CHINA).year + 1, 12, 31)
    assert table[date(2026, 10, 1)][0] is False and table[date(2026, 10, 10)][0] is True  # 国庆, 调休
    assert table[date(2026, 10, 12)][1] - table[date(2026, 10, 8)][1] == 3  # 8, 9 and 10 Oct
    with db.transaction() as session:
        assert refresh_working_days(session) == 0  # nothing to write the second time


def test_a_loaded_holiday_schedule_refreshes_the_table_and_the_review_times(backend, calendar_table):
    db = backend.database
    exam = make_exam_session(db)
    record = make_registration(db, unit=make_unit(db), exam=exam, status=S.RETURNED)
    with db.transaction() as session:
        session.add_all(_history(record.id, [
            (A.SUBMIT, S.DRAFT, S.PENDING_INITIAL, _china("2026-12-31T10:00:00")),
            (A.REJECT, S.PENDING_INITIAL, S.RETURNED, _china("2027-01-04T10:00:00")),
        ]))
    api, token = Api(backend.client), _region_token(backend)
    before = api.data(TIMES, {"s": exam.id, "g": []}, token=token)["statistics"]["total"]
    assert before["reviewHoursMedian"] == 14 + 24 + 10  # 2027 unknown yet: 1 Jan (a Friday) counts

    operator = make_user(db, role=Role.SUPERADMIN)
    with db.transaction() as session:
        load_holiday_schedule(session, user=session.get(User, operator.id), year=2027,
                              holidays=[(date(2027, 1, 1), "元旦")], workdays=[])
    with db.session() as session:
        table = _table(session)
        assert table == wanted_days(session) and table[date(2027, 1, 1)][0] is False
    after = api.data(TIMES, {"s": exam.id, "g": []}, token=token)["statistics"]["total"]
    assert after["reviewHoursMedian"] == 14 + 10
