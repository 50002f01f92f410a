"""Where the data is in an uploaded template: its header row, its columns, its data rows.

Light on imports on purpose: the sandboxed reader process (app/imports/reader_process.py)
finds the template's sheet and rows with it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

from app.registrations.fields import FIELDS

MAX_ROWS = 50_000
HEADER_SEARCH_ROWS = 10
EMPTY_RUN_LIMIT = 10_000  # this many empty rows in a row end the data (formatted but unused rows)
HEADER_CELLS = 256  # header cells looked at: the template's, and enough past them to name extra columns
EXPECTED = ["序号"] + [f.header for f in FIELDS]
NO_HEADER = "找不到报名信息表的表头（第一列应为“序号”）。请下载报名信息表模板，按模板格式填写后上传，不要更改表格结构"


class LayoutProblem(Exception):
    """The workbook is not the template, or holds more rows than allowed; the message says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def locate(sheets: Iterable[tuple[str, Iterator[list[Any]] | None]], *, max_rows: int = MAX_ROWS,
           ) -> tuple[str, int, Iterator[tuple[int, list[Any]]]]:
    """The first sheet whose header is the template's: (sheet name, header row, its data rows).

    `sheets` gives each sheet's rows in the order to try them (None: a sheet that
    cannot be read, which is not the template). The data rows, (Excel row number,
    cells by template column) padded to the template's width, are read as they are
    iterated, which raises LayoutProblem on the row past `max_rows`.
    """
    problems: list[str] = []
    for name, rows in sheets:
        if rows is None:
            continue
        found = _find_header(rows)
        if found is None:
            continue
        header_row, header = found
        mismatch = header_problems(header)
        if mismatch:
            problems.append(mismatch)
            continue
        return name, header_row, _data_rows(rows, header_row, max_rows)
    raise LayoutProblem(problems[0] if problems else NO_HEADER)


def header_text(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).replace(" ", "").replace("\n", "")
    return text.rstrip("*")


def header_problems(header: list[Any]) -> str | None:
    """None when the header is the template's; otherwise which columns are missing, renamed or moved."""
    found = [header_text(v) for v in header]
    while found and not found[-1]:
        found.pop()
    if found == EXPECTED:
        return None
    missing = [h for h in EXPECTED if h not in found]
    extra = [h for h in found if h and h not in EXPECTED]
    details = []
    padded = found + [""] * len(EXPECTED)
    for position, want in enumerate(EXPECTED, start=1):
        have = padded[position - 1]
        if want in missing and have in extra:  # the same place, another name: renamed
            details.append(f"第{position}列应为“{want}”，表中为“{have}”")
            missing.remove(want)
            extra.remove(have)
    if missing:
        details.append("缺少列：" + "、".join(missing))
    if extra:
        details.append("多出列：" + "、".join(extra))
    if not details:
        moved = [f"第{i}列应为“{w}”，表中为“{h}”" for i, (w, h) in enumerate(zip(EXPECTED, padded, strict=False), start=1) if w != h]
        details.append("列的顺序被调整：" + "，".join(moved[:5]))
    return "表格结构与报名信息表模板不一致：" + "；".join(details) + "。请下载最新模板，按模板格式填写后上传，不要增删、改名或移动列"


def _find_header(rows: Iterator[list[Any]]) -> tuple[int, list[Any]] | None:
    for number in range(1, HEADER_SEARCH_ROWS + 1):
        row = next(rows, None)
        if row is None:
            return None
        row = row[:HEADER_CELLS]
        texts = [header_text(v) for v in row]
        if texts and (texts[0] == "序号" or sum(t in EXPECTED for t in texts) >= len(EXPECTED) // 2):
            return number, row
    return None


def _data_rows(rows: Iterator[list[Any]], header_row: int, max_rows: int) -> Iterator[tuple[int, list[Any]]]:
    width = len(EXPECTED)
    count = empty_run = 0
    for number, row in enumerate(rows, start=header_row + 1):
        cells = row[:width]
        if cells.count("") == len(cells):  # calamine gives "" for an empty cell
            empty_run += 1
            if empty_run >= EMPTY_RUN_LIMIT:
                break
            continue
        empty_run = 0
        count += 1
        if count > max_rows:
            raise LayoutProblem(f"表格超过{max_rows}行的上限，请拆分为多个文件分批导入（每个文件不超过{max_rows}行）")
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        yield number, cells
