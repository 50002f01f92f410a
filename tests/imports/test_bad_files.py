"""Every kind of wrong file gets one clear message and writes nothing."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from app.accounts.models import Role
from app.imports import reading
from app.imports.package import BadWorkbook, inspect_workbook
from app.imports.reading import read_template
from app.imports.template import template_bytes
from tests.api import Api
from tests.factories import PASSWORD, candidate, make_exam_session, make_unit, make_user
from tests.imports.support import filled_template, person_row, upload, wait_for

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def corpus_rows():
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    with manifest.open(encoding="utf-8") as handle:
        return [r for r in csv.DictReader(handle, delimiter="\t") if r["kind"] == "xlsx"]


@pytest.mark.skipif(not corpus_rows(), reason="../shared/corpus is not beside this checkout (only CI and "
                                                "development machines have it)")
@pytest.mark.parametrize("entry", corpus_rows(), ids=lambda r: r["path"])
def test_every_corpus_workbook_gets_its_verdict(entry):
    data = (CORPUS / entry["path"]).read_bytes()
    try:
        inspect_workbook(data)
        verdict, reason = "accept", ""
    except BadWorkbook as error:
        verdict, reason = "reject", error.message
    assert verdict == entry["expected_verdict"], (entry["reason"], reason)
    if verdict == "accept":
        with pytest.raises(BadWorkbook) as not_template:  # readable, but none of them is our template
            read_template(data)
        assert "模板" in not_template.value.message


def workbook(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_with(edit) -> bytes:
    book = load_workbook(io.BytesIO(template_bytes()))
    edit(book["报名信息"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("data,expected", [
    (b"", "空的"),
    ("序号,姓名\n1,张三\n".encode("gbk"), "CSV"),
    (b"%PDF-1.7\n...", "PDF"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "图片"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, ".xls"),
    (b"PK\x03\x04garbage", "损坏"),
    (workbook([["姓名", "身份证号码"], ["张三", "450103198001010011"]]), "找不到报名信息表的表头"),
    (template_with(lambda s: s.cell(2, 3, "男女")), "第3列应为“性别”，表中为“男女”"),
    (template_with(lambda s: s.delete_cols(6)), "缺少列：政治面貌"),
    (template_with(lambda s: (s.cell(2, 2, "性别*"), s.cell(2, 3, "姓名*"))), "列的顺序被调整"),
])
def test_bad_files_say_what_is_wrong(data, expected):
    with pytest.raises(BadWorkbook) as refused:
        read_template(data)
    assert expected in refused.value.message, refused.value.message


def with_worksheet(data: bytes, edit) -> bytes:
    """The workbook with the data sheet's XML changed by `edit`, every other part as it was."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            part = source.read(entry.filename)
            target.writestr(entry, edit(part) if entry.filename == "xl/worksheets/sheet1.xml" else part)
    return out.getvalue()


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
          b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>')


@pytest.mark.parametrize("edit,expected", [
    (lambda xml: LAUGHS + xml.replace(b"<sheetPr>", b"<sheetPr>&c;", 1), "不安全的XML内容"),
    (lambda xml: xml.replace(b"</sheetData>", b"</sheetDat>", 1), "工作表内容已损坏"),
], ids=["entity expansion", "not well-formed"])
def test_worksheet_xml_is_refused_while_the_cells_are_read_aside(edit, expected):
    """The worksheets' XML scan runs while the child process reads the cells; its verdict is the answer."""
    rows = [person_row(candidate(sessionId=1), "测试单位") for _ in range(3)]
    with pytest.raises(BadWorkbook) as refused:
        read_template(with_worksheet(filled_template(rows), edit))
    assert expected in refused.value.message, refused.value.message


def test_an_empty_template_and_too_many_rows(backend, monkeypatch):
    api = Api(backend.client)
    unit = make_unit(backend.database, name="测试单位甲")
    token = api.login(make_user(backend.database, role=Role.UNIT_ADMIN, unit=unit).username, PASSWORD)
    exam = make_exam_session(backend.database)
    job = wait_for(api, token, upload(api, token, exam.id, template_bytes())["job"]["id"])
    assert job["status"] == "FAILED" and "没有报名数据" in job["error"]

    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    rows = [person_row(candidate(sessionId=exam.id), unit.name) for _ in range(4)]
    job = wait_for(api, token, upload(api, token, exam.id, filled_template(rows))["job"]["id"])
    assert job["status"] == "FAILED" and "超过3行的上限" in job["error"]


def test_a_bad_file_is_refused_at_upload_with_one_message(backend):
    api = Api(backend.client)
    unit = make_unit(backend.database)
    token = api.login(make_user(backend.database, role=Role.UNIT_ADMIN, unit=unit).username, PASSWORD)
    exam = make_exam_session(backend.database)
    refused = upload(api, token, exam.id, "序号,姓名\n".encode(), name="报名信息表.xlsx")
    assert refused["job"] is None and refused["errors"][0]["code"] == "BAD_FILE"
    assert "CSV" in refused["errors"][0]["message"]


def test_formulas_take_their_cached_value():
    """A cell computed by a formula is imported as the value Excel last showed (calamine reads the cache)."""
    data = (CORPUS / "xlsx" / "xlsxwriter__array_formula01.xlsx")
    if not data.exists():
        pytest.skip("../shared/corpus is not beside this checkout")
    import python_calamine

    sheet = python_calamine.CalamineWorkbook.from_path(str(data)).get_sheet_by_index(0).to_python()
    assert any(isinstance(v, int | float) and v != "" for row in sheet for v in row)
