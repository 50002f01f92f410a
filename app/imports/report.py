"""The uploaded workbook given back with every bad cell red, a comment saying why, and an error column."""

from __future__ import annotations

import io
import warnings
from collections import defaultdict
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from app.imports.layout import EXPECTED
from app.imports.rows import RowError
from app.imports.template import TITLE
from app.spreadsheets import safe_cell

RED = PatternFill("solid", fgColor="FFC7CE")
ERROR_HEADER = "错误说明"


def error_workbook(data: bytes, sheet_name: str, header_row: int, errors: list[RowError]) -> bytes:
    """The user's own workbook marked up; a fresh copy of the rows if theirs cannot be edited."""
    by_row: dict[int, list[RowError]] = defaultdict(list)
    for error in errors:
        by_row[error.row].append(error)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it drops
            book = load_workbook(io.BytesIO(data))
        sheet = book[sheet_name]
    except Exception:  # noqa: BLE001  any workbook openpyxl cannot edit gets a clean copy instead
        book, sheet = _fresh_copy(data)
    error_column = len(EXPECTED) + 1
    header = sheet.cell(header_row, error_column, ERROR_HEADER)
    header.font = Font(bold=True, color="C00000")
    sheet.column_dimensions[get_column_letter(error_column)].width = 60
    for row, row_errors in by_row.items():
        for error in row_errors:
            column = EXPECTED.index(error.column) + 1 if error.column in EXPECTED else None
            if column is None:
                continue
            cell = sheet.cell(row, column)
            cell.fill = RED
            note = f"{cell.comment.text}\n{error.message}" if cell.comment else error.message
            cell.comment = Comment(note, "报名系统", width=300, height=120)
        summary = "；".join(f"{e.column or '整行'}：{e.message}" for e in row_errors)
        sheet.cell(row, error_column, safe_cell(summary)).font = Font(color="C00000")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fresh_copy(data: bytes) -> tuple[Workbook, Any]:
    from app.imports.reading import read_template

    sheet_rows = read_template(data)
    book = Workbook()
    sheet = book.active
    sheet.title = "报名信息"
    sheet.cell(1, 1, TITLE)
    for index, header in enumerate(EXPECTED, start=1):
        sheet.cell(sheet_rows.header_row, index, header)
    for number, row in sheet_rows.rows:
        for index, value in enumerate(row, start=1):
            sheet.cell(number, index, safe_cell(value) if value != "" else None)
    return book, sheet
