"""The training company downloads the approved candidates through a short-lived signed link."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from app.accounts.models import Role
from app.registrations.models import RegistrationStatus as S
from tests.api import Api, error_codes
from tests.factories import PASSWORD, make_exam_session, make_registration, make_unit, make_user

EXPORT = "mutation($s: ID!) { exportTrainingCandidates(sessionId: $s) { url errors { code field } } }"


def test_export_lists_approved_candidates_safely(backend):
    db = backend.database
    api = Api(backend.client)
    exam = make_exam_session(db)
    hostile = make_unit(db, name='=HYPERLINK("http://evil.example","点我")')
    approved = make_registration(db, unit=hostile, exam=exam, status=S.APPROVED)
    make_registration(db, unit=hostile, exam=exam, status=S.PENDING_FINAL)
    training = api.login(make_user(db, role=Role.TRAINING_OPERATOR).username, PASSWORD)

    url = api.data(EXPORT, {"s": exam.id}, token=training)["exportTrainingCandidates"]["url"]
    response = backend.client.get(url)
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("序号", "姓名", "性别", "身份证号码") and len(rows) == 2
    assert rows[1][3] == approved.id_number  # full, as text, for creating training accounts
    assert rows[1][5].startswith("'=HYPERLINK")  # shown as text, never run as a formula
    assert sheet.cell(row=2, column=4).data_type == "s"

    tampered = url[:-3] + ("aaa" if not url.endswith("aaa") else "bbb")
    assert backend.client.get(tampered).status_code == 404
    assert api.data(EXPORT, {"s": "999999"}, token=training)["exportTrainingCandidates"]["errors"][0]["code"] == \
        "NOT_FOUND"
    admin = api.login(make_user(db, role=Role.UNIT_ADMIN, unit=hostile).username, PASSWORD)
    assert error_codes(api.run(EXPORT, {"s": exam.id}, token=admin)) == ["FORBIDDEN"]
