"""Working-day deadlines through the API, the unknown-year fallback, and reminders."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.accounts.models import Role
from app.clock import now
from app.registrations.models import RegistrationStatus as S
from app.reviews.reminders import send_review_reminders
from tests.api import Api, error_codes
from tests.factories import PASSWORD, make_exam_session, make_registration, make_unit, make_user

STATUS = "query($y: Int!) { workingCalendar(year: $y) { year source message } }"
LOAD = """mutation($y: Int!, $h: [ScheduleDayInput!]!, $w: [ScheduleDayInput!]!) {
  loadHolidaySchedule(year: $y, holidays: $h, workdays: $w) { calendar { source message } errors { code field } } }"""


def test_operators_see_and_fill_a_year_the_library_lacks(backend):
    api = Api(backend.client)
    operator = api.login(make_user(backend.database, role=Role.SUPERADMIN).username, PASSWORD)
    assert api.data(STATUS, {"y": 2026}, token=operator)["workingCalendar"]["source"] == "LIBRARY"
    unknown = api.data(STATUS, {"y": 2099}, token=operator)["workingCalendar"]
    assert unknown["source"] == "WEEKENDS_ONLY" and "只按周末计算" in unknown["message"]

    wrong = api.data(LOAD, {"y": 2099, "h": [{"day": "2098-10-01"}], "w": []}, token=operator)["loadHolidaySchedule"]
    assert wrong["errors"][0]["code"] == "INVALID_DATE"
    reviewer = api.login(make_user(backend.database, role=Role.REGION_REVIEWER).username, PASSWORD)
    assert error_codes(api.run(LOAD, {"y": 2099, "h": [{"day": "2099-10-01"}], "w": []}, token=reviewer)) == [
        "FORBIDDEN"]
    loaded = api.data(LOAD, {"y": 2099, "h": [{"day": f"2099-10-0{d}", "name": "国庆节"} for d in range(1, 8)],
                             "w": [{"day": "2099-09-27", "name": "国庆节调休"}]}, token=operator)["loadHolidaySchedule"]
    assert loaded == {"calendar": {"source": "OPERATOR", "message": "2099年的法定节假日和调休安排已由管理员导入"},
                      "errors": []}


def test_pending_records_show_deadlines_and_reviewers_are_reminded(backend):
    db = backend.database
    api = Api(backend.client)
    unit = make_unit(db, division="450102")
    exam = make_exam_session(db)
    county = make_user(db, role=Role.COUNTY_REVIEWER, division="450102")
    late = make_registration(db, unit=unit, exam=exam, status=S.PENDING_INITIAL, submitted_at=now() - timedelta(days=9),
                             due_at=now() - timedelta(hours=1))
    later = make_registration(db, unit=unit, exam=exam, status=S.PENDING_INITIAL, submitted_at=now(),
                              due_at=now() + timedelta(days=3))
    token = api.login(county.username, PASSWORD)
    query = """query($s: ID!, $o: Boolean) { registrations(sessionId: $s, filter: {overdue: $o}) {
      edges { node { id overdue dueAt } } } }"""
    overdue = api.data(query, {"s": exam.id, "o": True}, token=token)["registrations"]["edges"]
    assert [e["node"]["id"] for e in overdue] == [str(late.id)] and overdue[0]["node"]["overdue"] is True
    assert api.data(query, {"s": exam.id, "o": False}, token=token)["registrations"]["edges"][0]["node"]["id"] == str(
        later.id)

    with db.transaction() as session:
        assert send_review_reminders(session) == 1
    with db.transaction() as session:
        assert send_review_reminders(session) == 0  # not twice the same day
    with db.engine.connect() as connection:
        sms = connection.execute(sa.text("SELECT phone, template, params FROM smsmessage")).all()
    assert len(sms) == 1 and sms[0].phone == county.mobile and sms[0].template == "REVIEW_REMINDER"
