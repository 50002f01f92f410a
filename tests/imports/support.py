"""Filling the real template the way a unit administrator does, and uploading it."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from app.demo import People
from app.imports.template import FIRST_DATA_ROW, TITLE, template_bytes
from app.registrations.fields import template_headers
from tests.api import Api, finished_job

IMPORT = """mutation($s: ID!, $f: Upload!, $p: ImportPolicy, $e: ExistingRecords) {
  importRegistrations(sessionId: $s, file: $f, policy: $p, onExisting: $e) {
    job { id status } errors { code field message } } }"""
JOB = """query($id: ID!) { job(id: $id) { id status total processed error errorReportUrl fileName
  rowErrors { row column code message }
  summary { total created updated skipped invalid written rowErrorCount message } } }"""
COLUMNS = ["序号", "姓名", "性别", "民族", "身份证号码", "政治面貌", "学历", "所学专业", "手机号码", "工作单位",
           "职务职级", "执法门类", "报考类型", "原执法证号", "人员性质", "参加工作时间", "备注"]


def person_row(person: dict[str, Any], unit_name: str, **overrides: Any) -> dict[str, Any]:
    """A template row (Chinese labels, as typed in Excel) from tests.factories.candidate() data."""
    row = {
        "姓名": person["name"], "性别": "男" if person["gender"] == "MALE" else "女", "民族": person["ethnicity"],
        "身份证号码": person["idNumber"], "政治面貌": person["politicalStatus"], "学历": person["education"],
        "所学专业": person["major"], "手机号码": person["phone"], "工作单位": unit_name,
        "职务职级": person["position"], "执法门类": person["enforcementField"],
        "报考类型": "续职考试" if person["examType"] == "RENEWAL" else "资格考试",
        "原执法证号": person.get("certificateNumber"),
        "人员性质": "受委托" if person["personnelNature"] == "ENTRUSTED" else "在编在职",
        "参加工作时间": person["workStartDate"],
    }
    row.update(overrides)
    return row


def filled_template(rows: list[dict[str, Any]]) -> bytes:
    book = load_workbook(io.BytesIO(template_bytes()))
    sheet = book["报名信息"]
    for offset, row in enumerate(rows):
        sheet.cell(FIRST_DATA_ROW + offset, 1, offset + 1)
        for index, column in enumerate(COLUMNS[1:], start=2):
            if row.get(column) is not None:
                sheet.cell(FIRST_DATA_ROW + offset, index, row[column])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(api: Api, token: str, session_id: int, data: bytes, *, policy: str | None = None,
           on_existing: str | None = None, name: str = "报名信息表.xlsx") -> dict[str, Any]:
    variables = {"s": str(session_id), "f": None} | {k: v for k, v in (("p", policy), ("e", on_existing)) if v}
    operations = {"query": IMPORT, "variables": variables}
    response = api.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.f"]})},
        files={"0": (name, data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")},
        headers={"Authorization": f"Bearer {token}", "GraphQL-Preflight": "1"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]["importRegistrations"]


def wait_for(api: Api, token: str, job_id: str, timeout: float = 60) -> dict[str, Any]:
    return finished_job(api, JOB, job_id, token, timeout)


def large_template(people: People, unit_name: str, rows: int) -> bytes:
    """Many valid rows for one unit, as Excel saves them (write-only openpyxl keeps this quick)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("报名信息")
    sheet.append([TITLE])
    sheet.append(template_headers())
    for n in range(1, rows + 1):
        id_number, gender = people.id_number("450103", born_before=1990)
        sheet.append([n, people.name(), "男" if gender == "MALE" else "女", "壮族", id_number, "中共党员", "大学本科",
                      "法学", people.phone(), unit_name, "科员", "市场监管", "续职考试", f"GX{n:08d}", "在编在职",
                      "2010-07-01", None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def child_processes(pid: int) -> list[int]:
    """The processes that `pid` (any of its threads) started and that still run."""
    return [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()]


def running(pid: int) -> bool:
    """Whether the process exists and is not a zombie waiting for its new parent to reap it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_gone(pids: list[int], outlived: str) -> None:
    """Wait up to 10 s for these processes to end; fail naming the ones still running."""
    deadline = time.monotonic() + 10
    while alive := [pid for pid in pids if running(pid)]:
        assert time.monotonic() < deadline, f"{alive} outlived {outlived}"
        time.sleep(0.05)
