"""A tiny workbook that would abort calamine (and with it the whole worker) costs a child process only."""

from __future__ import annotations

import io
import zipfile

import pytest

from app.accounts.models import Role
from app.imports.package import BadWorkbook
from app.imports.reading import read_template
from tests.api import Api
from tests.factories import PASSWORD, candidate, make_exam_session, make_unit, make_user
from tests.imports.support import filled_template, person_row, upload, wait_for

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def sparse_workbook() -> bytes:
    """Two cells, A1 and XFD1048576: calamine sizes the sheet as 2^34 cells and asks for 512 GB."""
    parts = {
        "[Content_Types].xml":
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
            '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels":
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml":
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
            '<sheet name="报名信息" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels":
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml":
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>序号</t></is></c></row>'
            '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


def test_a_sheet_whose_cells_span_the_whole_grid_is_refused_not_fatal():
    data = sparse_workbook()
    assert len(data) < 4096
    with pytest.raises(BadWorkbook) as refused:  # read in this very process, calamine would abort it
        read_template(data)
    assert "内存或时间超出限制" in refused.value.message


def test_the_job_fails_with_the_reason_and_the_worker_goes_on(backend):
    api = Api(backend.client)
    unit = make_unit(backend.database)
    token = api.login(make_user(backend.database, role=Role.UNIT_ADMIN, unit=unit).username, PASSWORD)
    exam = make_exam_session(backend.database)

    job = wait_for(api, token, upload(api, token, exam.id, sparse_workbook())["job"]["id"])
    assert job["status"] == "FAILED" and "内存或时间超出限制" in job["error"]

    rows = [person_row(candidate(sessionId=exam.id), unit.name) for _ in range(3)]
    job = wait_for(api, token, upload(api, token, exam.id, filled_template(rows))["job"]["id"])
    assert job["status"] == "SUCCEEDED" and job["summary"]["created"] == 3
