"""Statistics agree with the registration list, for every role, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.accounts.models import Role, User
from app.clock import now
from app.documents.models import CheckStatus, Photo
from app.registrations.models import RegistrationStatus as S
from app.reviews.models import ReviewAction
from app.stats.service import Dimension, statistics
from app.units.models import UnitLevel
from tests.api import Api, error_codes
from tests.factories import PASSWORD, make_exam_session, make_registration, make_unit, make_user

STATISTICS = """query($s: ID!, $g: [StatisticsDimension!]!, $f: RegistrationFilterInput) {
  statistics(sessionId: $s, groupBy: $g, filter: $f) {
    groupBy
    rows { key { city cityCode county countyCode unit { id name } unitLevel status examType enforcementField
                 personnelNature gender education submissionDay }
           figures { count pendingInitial pendingFinal rollbackRequested overdue returned approved
                     trainingOpened photoMissingOrRejected } }
    total { count pendingInitial pendingFinal rollbackRequested overdue returned approved trainingOpened
            photoMissingOrRejected }
  } }"""
COUNT = "query($s: ID!, $f: RegistrationFilterInput) { registrations(sessionId: $s, filter: $f, first: 1) { totalCount } }"
EXPORT = """mutation($s: ID!, $g: [StatisticsDimension!]!, $f: RegistrationFilterInput) {
  exportStatistics(sessionId: $s, groupBy: $g, filter: $f) { url errors { code field message } } }"""

UNITS = {
    "dept": dict(division="450000", level=UnitLevel.REGION, is_department=True),
    "dept_child": dict(division="450000", level=UnitLevel.REGION, supervisor="dept"),
    "region_other": dict(division="450000", level=UnitLevel.REGION),
    "xingning": dict(division="450102"),
    "xingning2": dict(division="450102"),
    "qingxiu": dict(division="450103"),
    "nanning_city": dict(division="450100", level=UnitLevel.CITY),
    "liuzhou": dict(division="450202"),
}
ROLES = {
    "unit_admin": (Role.UNIT_ADMIN, {"unit": "xingning"}),
    "county": (Role.COUNTY_REVIEWER, {"division": "450102"}),
    "city": (Role.CITY_REVIEWER, {"division": "450100"}),
    "dept": (Role.DEPT_REVIEWER, {"unit": "dept"}),
    "region": (Role.REGION_REVIEWER, {}),
    "training": (Role.TRAINING_OPERATOR, {}),
}
FILTERS = [None, {"examType": "RENEWAL"}, {"overdue": True}, {"awaitingMyReview": True}, {"search": "王"},
           {"statuses": ["APPROVED", "TRAINING_OPENED", "PENDING_FINAL"]}]
STATUS_FIGURES = {S.PENDING_INITIAL: "pendingInitial", S.PENDING_FINAL: "pendingFinal",
                  S.ROLLBACK_REQUESTED: "rollbackRequested", S.RETURNED: "returned", S.APPROVED: "approved",
                  S.TRAINING_OPENED: "trainingOpened"}
PENDING = (S.PENDING_INITIAL, S.PENDING_FINAL, S.ROLLBACK_REQUESTED)


@pytest.fixture
def world(backend):
    """Eight units in three divisions' worth of jurisdictions, ~90 records in every state."""
    db = backend.database
    rng = random.Random(2026)
    units = {}
    for key, spec in UNITS.items():
        spec = dict(spec)
        if "supervisor" in spec:
            spec["supervisor"] = units[spec["supervisor"]]
        units[key] = make_unit(db, name=f"{key}执法单位", **spec)
    exam = make_exam_session(db)
    photos = []
    for unit in units.values():
        for _ in range(rng.randint(8, 14)):
            status = rng.choice(list(S))
            submitted = None if status == S.DRAFT else now() - timedelta(days=rng.randint(0, 4),
                                                                       hours=rng.randint(0, 23))
            due = (now() + timedelta(hours=rng.choice([-30, -2, 5, 40]))) if status in PENDING else None
            record = make_registration(
                db, unit=unit, exam=exam, status=status, submitted_at=submitted, due_at=due,
                exam_type=rng.choice(["QUALIFICATION", "RENEWAL"]),
                enforcement_field=rng.choice(["公安", "市场监管", "交通运输"]),
                personnel_nature=rng.choice(["STAFF", "ENTRUSTED"]),
                education=rng.choice(["大学本科", "大学专科", "硕士研究生"]),
                **({"name": "王" + rng.choice("一二三")} if rng.random() < 0.3 else {}),
            )
            photo = rng.choice([None, CheckStatus.OK, CheckStatus.REJECTED, CheckStatus.PENDING])
            if photo is not None:
                photos.append(Photo(registration_id=record.id, file_name="p.jpg", content_hash="1" * 64,
                                    size=1000, status=photo))
    with db.transaction() as session:
        session.add_all(photos)
    return units, exam


def _token(backend, units, role_case):
    role, binding = ROLES[role_case]
    user = make_user(backend.database, role=role, unit=units.get(binding.get("unit")),
                     division=binding.get("division"))
    return Api(backend.client).login(user.username, PASSWORD)


def _listed(api, token, exam, f):
    return api.data(COUNT, {"s": exam.id, "f": f}, token=token)["registrations"]["totalCount"]


@pytest.mark.parametrize("role_case", list(ROLES))
def test_figures_agree_with_the_list_for_every_role_and_filter(backend, world, role_case):
    units, exam = world
    api = Api(backend.client)
    token = _token(backend, units, role_case)

    for f in FILTERS:
        stats = api.data(STATISTICS, {"s": exam.id, "g": ["STATUS"], "f": f}, token=token)["statistics"]
        total = stats["total"]
        if f is None:
            assert total["count"] > 0 and len(stats["rows"]) > 1  # the comparison is not vacuous
        assert total["count"] == _listed(api, token, exam, f) == sum(r["figures"]["count"] for r in stats["rows"])
        by_status = {r["key"]["status"]: r["figures"]["count"] for r in stats["rows"]}
        for status in S:
            wanted = (f or {}).get("statuses")
            if wanted is not None and status.value not in wanted:
                assert status.value not in by_status
                continue
            listed = _listed(api, token, exam, {**(f or {}), "statuses": [status.value]})
            assert by_status.get(status.value, 0) == listed, (f, status)
            if status in STATUS_FIGURES:
                assert total[STATUS_FIGURES[status]] == listed, (f, status)
        if "overdue" not in (f or {}):
            assert total["overdue"] == _listed(api, token, exam, {**(f or {}), "overdue": True}), f


def test_combined_groupings_add_up_and_keys_are_filled(backend, world):
    units, exam = world
    api = Api(backend.client)
    token = _token(backend, units, "region")
    everything = ["CITY", "COUNTY", "UNIT", "UNIT_LEVEL", "STATUS", "EXAM_TYPE", "ENFORCEMENT_FIELD",
                  "PERSONNEL_NATURE", "GENDER", "EDUCATION", "SUBMISSION_DAY"]
    fine = api.data(STATISTICS, {"s": exam.id, "g": everything}, token=token)["statistics"]
    coarse = api.data(STATISTICS, {"s": exam.id, "g": ["CITY"]}, token=token)["statistics"]
    assert fine["total"] == coarse["total"] and fine["total"]["count"] == _listed(api, token, exam, None)
    cities = {r["key"]["city"]: r["figures"]["count"] for r in coarse["rows"]}
    assert set(cities) == {None, "南宁市", "柳州市"}  # region-level units belong to no city
    for row in fine["rows"]:
        key = row["key"]
        assert key["unit"]["name"].endswith("执法单位")
        assert (key["county"] is None) == (key["unitLevel"] != "COUNTY")
        assert (key["city"] is None) == (key["unitLevel"] == "REGION")
        assert (key["submissionDay"] is None) == (key["status"] == "DRAFT")
    xingning = [r for r in fine["rows"] if r["key"]["countyCode"] == "450102"]
    assert xingning and {r["key"]["county"] for r in xingning} == {"兴宁区"}
    photos = api.data(STATISTICS, {"s": exam.id, "g": []}, token=token)["statistics"]
    assert photos["rows"][0]["figures"] == photos["total"] and photos["total"]["photoMissingOrRejected"] > 0


def test_submission_day_is_the_china_date_on_both_databases(backend):
    db = backend.database
    unit = make_unit(db, division="450102")
    exam = make_exam_session(db)
    for moment in ("2026-03-01T15:59:00", "2026-03-01T16:00:00", "2026-03-02T15:30:00", "2026-02-28T23:00:00"):
        make_registration(db, unit=unit, exam=exam, status=S.PENDING_INITIAL,
                          submitted_at=datetime.fromisoformat(moment).replace(tzinfo=UTC))
    token = _token(backend, {"xingning": unit}, "unit_admin")
    rows = Api(backend.client).data(STATISTICS, {"s": exam.id, "g": ["SUBMISSION_DAY"]}, token=token)
    days = {r["key"]["submissionDay"]: r["figures"]["count"] for r in rows["statistics"]["rows"]}
    assert days == {"2026-03-01": 2, "2026-03-02": 2}


def test_units_outside_the_jurisdiction_never_appear(backend, world):
    units, exam = world
    api = Api(backend.client)
    token = _token(backend, units, "county")
    stats = api.data(STATISTICS, {"s": exam.id, "g": ["UNIT", "CITY", "COUNTY"]}, token=token)["statistics"]
    assert {r["key"]["unit"]["name"] for r in stats["rows"]} == {"xingning执法单位", "xingning2执法单位"}
    assert {r["key"]["county"] for r in stats["rows"]} == {"兴宁区"}
    # Asking for another unit by filter gives nothing, not its figures.
    other = {"unitId": str(units["liuzhou"].id)}
    stats = api.data(STATISTICS, {"s": exam.id, "g": ["UNIT"], "f": other}, token=token)["statistics"]
    assert stats["rows"] == [] and stats["total"]["count"] == 0

    url = api.data(EXPORT, {"s": exam.id, "g": ["UNIT"]}, token=token)["exportStatistics"]["url"]
    book = load_workbook(io.BytesIO(backend.client.get(url).content))
    names = {row[0] for sheet in book.worksheets for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert names == {"xingning执法单位", "xingning2执法单位", "合计"}


def test_export_has_a_sheet_per_grouping_with_totals_and_keeps_hostile_names_as_text(backend):
    db = backend.database
    hostile = make_unit(db, division="450102", name='=HYPERLINK("x")')
    plain = make_unit(db, division="450103", name="青秀区某局")
    exam = make_exam_session(db)
    for unit, statuses in ((hostile, [S.PENDING_INITIAL, S.APPROVED, S.APPROVED]), (plain, [S.RETURNED])):
        for status in statuses:
            make_registration(db, unit=unit, exam=exam, status=status)
    api = Api(backend.client)
    token = _token(backend, {}, "region")

    payload = api.data(EXPORT, {"s": exam.id, "g": ["UNIT", "STATUS"]}, token=token)["exportStatistics"]
    assert payload["errors"] == []
    response = backend.client.get(payload["url"])
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["按单位、状态", "按单位", "按状态"]
    by_unit = list(book["按单位"].iter_rows(values_only=True))
    assert by_unit[0][:4] == ("单位", "报名人数", "待初审", "待终审")
    assert by_unit[1][:2] == ("'=HYPERLINK(\"x\")", 3)  # text, never a formula
    assert book["按单位"].cell(row=2, column=1).data_type == "s"
    assert by_unit[-1][:2] == ("合计", 4)
    by_status = {row[0]: row[1] for row in book["按状态"].iter_rows(min_row=2, values_only=True)}
    assert by_status == {"待初审": 1, "已退回": 1, "终审通过": 2, "合计": 4}

    unknown = api.data(EXPORT, {"s": "999999", "g": ["UNIT"]}, token=token)["exportStatistics"]
    assert unknown["url"] is None and unknown["errors"][0]["code"] == "NOT_FOUND"
    too_long = api.data(EXPORT, {"s": exam.id, "g": ["UNIT"], "f": {"search": "王" * 51}}, token=token)
    assert too_long["exportStatistics"]["errors"][0]["code"] == "TOO_LONG"
    assert error_codes(api.run(EXPORT, {"s": exam.id, "g": ["UNIT"]})) == ["UNAUTHENTICATED"]


def test_counted_by_group_bys_in_the_database(backend, world):
    units, exam = world
    db = backend.database
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ARG001
        statements.append(statement)

    reviewer = make_user(db, role=Role.REGION_REVIEWER)
    with db.session() as session:
        region = session.get(User, reviewer.id)
        sa.event.listen(db.engine, "before_cursor_execute", seen)
        try:
            result = statistics(session, user=region, session_id=exam.id, group_by=list(Dimension))
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", seen)
    grouped = [s for s in statements if "GROUP BY" in s]
    # One GROUP BY for every count, one for the review-time percentiles (app.stats.review_times).
    assert len(grouped) == 2 and len(statements) <= 4
    assert "FROM registration" in grouped[1] and ReviewAction.__tablename__ not in grouped[1]
    assert ReviewAction.__tablename__ in grouped[0] and "working_day" in grouped[0]
    assert result.total.count == sum(r.figures.count for r in result.rows) > 0


def test_review_times_are_queried_only_when_asked_for(backend, world):
    units, exam = world
    api = Api(backend.client)
    token = _token(backend, units, "region")
    counts_only = "query($s: ID!) { statistics(sessionId: $s, groupBy: [CITY]) { total { count overdue } } }"
    with_times = """query($s: ID!) { statistics(sessionId: $s, groupBy: [CITY]) {
      rows { ...times } total { count } } }
      fragment times on StatisticsRow { figures { reviewHoursMedian } }"""
    grouped: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ARG001
        if "GROUP BY" in statement:
            grouped.append(statement)

    sa.event.listen(backend.database.engine, "before_cursor_execute", seen)
    try:
        assert api.data(counts_only, {"s": exam.id}, token=token)["statistics"]["total"]["count"] > 0
        assert len(grouped) == 1
        api.data(with_times, {"s": exam.id}, token=token)
        assert len(grouped) == 3 and ReviewAction.__tablename__ in grouped[1]
    finally:
        sa.event.remove(backend.database.engine, "before_cursor_execute", seen)
