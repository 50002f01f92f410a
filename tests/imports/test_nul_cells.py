"""A cell holding a NUL character (written `_x0000_` in the sheet's XML) is a row error, on both databases.

Found while fuzzing the upload paths: such a 备注 passed every rule, PostgreSQL's COPY then refused
the row and the import job stayed RUNNING until the sweeper gave up on it (SQLite stored the NUL).
"""

from __future__ import annotations

import io
import zipfile

from app.accounts.models import Role
from app.errors import ErrorCode
from app.registrations.rules import clean_registration
from tests.api import Api
from tests.factories import PASSWORD, candidate, make_exam_session, make_unit, make_user
from tests.imports.support import filled_template, person_row, upload, wait_for

MARK = "NULCELL"


def with_nul_cells(data: bytes) -> bytes:
    """The workbook with every cell reading MARK changed to text around an escaped NUL character."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            target.writestr(entry, source.read(entry.filename).replace(MARK.encode(), b"a_x0000_b"))
    return out.getvalue()


def test_a_nul_character_is_a_problem_of_its_field():
    raw = {"name": "张三", "major": "法\x00学", "remarks": "备\x00注"}
    problems = [p for p in clean_registration(raw).problems if p.code == ErrorCode.INVALID]
    assert [p.field for p in problems] == ["major", "remarks"]
    assert all("空字符" in p.message for p in problems)


def test_an_import_with_nul_cells_reports_them_and_ends(backend):
    api = Api(backend.client)
    unit = make_unit(backend.database)
    token = api.login(make_user(backend.database, role=Role.UNIT_ADMIN, unit=unit).username, PASSWORD)
    exam = make_exam_session(backend.database)
    rows = [person_row(candidate(sessionId=exam.id), unit.name, 备注=MARK),
            person_row(candidate(sessionId=exam.id), unit.name)]
    job = wait_for(api, token, upload(api, token, exam.id, with_nul_cells(filled_template(rows)),
                                      policy="IMPORT_VALID_ROWS")["job"]["id"], timeout=30)
    assert job["status"] == "SUCCEEDED", job
    assert [(e["row"], e["column"]) for e in job["rowErrors"]] == [(3, "备注")], job["rowErrors"]
    assert "空字符" in job["rowErrors"][0]["message"]
    assert job["summary"]["created"] == 1
