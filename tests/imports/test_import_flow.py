"""Template round trip: download, fill as a user would, import, fix errors, import again."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa
from openpyxl import load_workbook
from sqlmodel import select

from app.accounts.models import Role
from app.registrations.models import ExamType, Gender, PersonnelNature, Registration, RegistrationStatus
from app.registrations.service import history
from app.reviews.models import ReviewAction, ReviewActionKind
from tests.api import Api
from tests.factories import PASSWORD, candidate, make_exam_session, make_unit, make_user
from tests.imports.support import filled_template, person_row, upload, wait_for

UNIT = "南宁市兴宁区市场监督管理局"


def count(backend) -> int:
    with backend.database.engine.connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM registration")).scalar_one()


def admin(backend, name=UNIT, division="450102"):
    unit = make_unit(backend.database, name=name, division=division)
    user = make_user(backend.database, role=Role.UNIT_ADMIN, unit=unit)
    return unit, Api(backend.client).login(user.username, PASSWORD)


def test_template_round_trip_with_errors_then_fixed(backend):
    api = Api(backend.client)
    unit, token = admin(backend)
    exam = make_exam_session(backend.database)
    template = backend.client.get("/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    assert api.data("{ importTemplateUrl }")["importTemplateUrl"] == "/template.xlsx"

    people = [candidate(sessionId=exam.id) for _ in range(5)]
    rows = [person_row(p, UNIT) for p in people]
    rows[1]["身份证号码"] = people[1]["idNumber"][:-1] + ("0" if people[1]["idNumber"][-1] != "0" else "1")
    rows[2]["工作单位"] = "别的单位"
    rows[3]["民族"] = "火星族"
    rows[4]["身份证号码"] = people[0]["idNumber"]  # duplicate inside the file

    # default policy: nothing is written while any row is bad
    started = upload(api, token, exam.id, filled_template(rows))
    assert started["errors"] == [] and started["job"]["status"] in ("QUEUED", "RUNNING", "SUCCEEDED")
    job = wait_for(api, token, started["job"]["id"])
    assert job["status"] == "SUCCEEDED" and count(backend) == 0
    summary = job["summary"]
    assert (summary["total"], summary["invalid"], summary["created"], summary["written"]) == (5, 4, 0, False)
    assert "未导入任何数据" in summary["message"]
    by_row = {(e["row"], e["column"]): e for e in job["rowErrors"]}
    assert by_row[(4, "身份证号码")]["code"] == "INVALID_ID_NUMBER"
    assert UNIT in by_row[(5, "工作单位")]["message"]
    assert by_row[(6, "民族")]["code"] == "NOT_IN_LIST"
    assert "与第3行重复" in by_row[(7, "身份证号码")]["message"]

    # the error workbook: same rows, bad cells red with a comment, and an error column
    report = backend.client.get(job["errorReportUrl"])
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(report.content))["报名信息"]
    assert sheet.cell(2, 18).value == "错误说明"
    bad = sheet.cell(4, 5)
    assert bad.fill.fgColor.rgb.endswith("FFC7CE") and "校验位" in bad.comment.text
    assert "工作单位" in sheet.cell(5, 18).value and sheet.cell(3, 18).value is None
    assert sheet.cell(3, 2).value == people[0]["name"]

    # fixed and imported again, with the valid-rows policy for the one left bad
    rows[1]["身份证号码"], rows[2]["工作单位"], rows[3]["民族"] = people[1]["idNumber"], UNIT, "壮"
    job = wait_for(api, token, upload(api, token, exam.id, filled_template(rows), policy="IMPORT_VALID_ROWS")["job"]["id"])
    assert (job["summary"]["created"], job["summary"]["invalid"]) == (4, 1) and count(backend) == 4

    # the same file again changes nothing: this unit's people are skipped
    job = wait_for(api, token, upload(api, token, exam.id, filled_template(rows[:4]))["job"]["id"])
    assert (job["summary"]["created"], job["summary"]["skipped"]) == (0, 4) and count(backend) == 4

    # ... or updates them when asked to
    rows[0]["职务职级"] = "四级主任科员"
    job = wait_for(api, token, upload(api, token, exam.id, filled_template(rows[:1]), on_existing="UPDATE")["job"]["id"])
    assert job["summary"]["updated"] == 1
    with backend.database.engine.connect() as connection:
        position = connection.execute(sa.text("SELECT position FROM registration WHERE id_number = :i"),
                                      {"i": people[0]["idNumber"]}).scalar_one()
    assert position == "四级主任科员"


def test_validate_only_writes_nothing_and_other_units_are_named(backend):
    api = Api(backend.client)
    _, token = admin(backend)
    other_unit, other_token = admin(backend, name="南宁市青秀区综合行政执法局", division="450103")
    exam = make_exam_session(backend.database)
    person = candidate(sessionId=exam.id)
    wait_for(api, other_token, upload(api, other_token, exam.id,
                                      filled_template([person_row(person, other_unit.name)]))["job"]["id"])
    rows = [person_row(person, UNIT), person_row(candidate(sessionId=exam.id), UNIT)]
    job = wait_for(api, token, upload(api, token, exam.id, filled_template(rows), policy="VALIDATE_ONLY")["job"]["id"])
    assert job["summary"]["written"] is False and "仅检查" in job["summary"]["message"]
    assert [e["message"] for e in job["rowErrors"]] == [
        f"该身份证号码在本次考试中已由其他单位（{other_unit.name}）报名，同一人每次考试只能报名一次"]
    assert count(backend) == 1


def test_imported_rows_are_stored_like_entered_ones_each_with_its_history(backend):
    """Bulk writing (one statement per batch on PostgreSQL, a staging table on SQLite) stores what the ORM would;
    each record's history is its creation by import, kept on the record (no history row)."""
    api = Api(backend.client)
    unit, token = admin(backend)
    exam = make_exam_session(backend.database)
    people = [candidate(sessionId=exam.id) for _ in range(3)]
    rows = [person_row(p, UNIT) for p in people]
    rows[0]["参加工作时间"], rows[0]["报考类型"], rows[0]["原执法证号"] = "2010/7/1", "续职考试", "GX-2019-0001"
    job = wait_for(api, token, upload(api, token, exam.id, filled_template(rows))["job"]["id"])
    assert job["summary"]["created"] == 3

    with backend.database.session() as session:
        stored = session.exec(select(Registration).where(Registration.session_id == exam.id)).all()
        rows_written = session.exec(select(ReviewAction).where(
            ReviewAction.registration_id.in_([r.id for r in stored]))).all()
        histories = history(session, [r.id for r in stored])
    first = next(r for r in stored if r.id_number == people[0]["idNumber"])
    assert (first.gender, first.exam_type, first.personnel_nature, first.status) == (
        Gender(people[0]["gender"]), ExamType.RENEWAL, PersonnelNature.STAFF, RegistrationStatus.DRAFT)
    assert (first.work_start_date, first.certificate_number, first.unit_id) == (date(2010, 7, 1), "GX-2019-0001", unit.id)
    assert first.created_at == first.updated_at and first.created_at.tzinfo is not None and first.version == 1
    assert rows_written == [] and all(r.imported and r.created_by == first.created_by is not None for r in stored)
    assert {(h.action, h.to_status, h.comment, h.at, h.actor_id, h.actor_role)
            for entries in histories.values() for h in entries} == {
        (ReviewActionKind.CREATE, RegistrationStatus.DRAFT, "批量导入", first.created_at, first.created_by, "UNIT_ADMIN")}
    assert all(len(entries) == 1 for entries in histories.values())
