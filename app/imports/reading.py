"""Reading the rows of an uploaded template with calamine (fast), after package.py's checks."""

from __future__ import annotations

import pickle
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from app.imports import calamine_probe
from app.imports.package import SAVE_AS, BadWorkbook, inspect_workbook, scan_worksheets
from app.imports.template import DATA_SHEET
from app.registrations.fields import FIELDS

MAX_ROWS = 50_000
HEADER_SEARCH_ROWS = 10
EMPTY_RUN_LIMIT = 10_000  # this many empty rows in a row end the data (formatted but unused rows)
EXPECTED = ["序号"] + [f.header for f in FIELDS]
# The cells are read in a child process (app/imports/calamine_probe.py) under these limits: the package
# checks bound the file (20 MB, 100 MB unpacked), but not the sheet size calamine derives from cell addresses.
READ_MEMORY_BYTES = 1 << 30
READ_SECONDS = 60
KEPT_COLUMNS = 256  # cells kept per row: the template's, and enough past them to name extra header columns


@dataclass
class SheetRows:
    sheet: str
    header_row: int  # 1-based, as Excel shows it
    rows: list[tuple[int, list[Any]]]  # (Excel row number, cells by template column)


def read_template(data: bytes) -> SheetRows:
    """The data rows of the template's sheet, or BadWorkbook saying what is wrong.

    The package checks (sizes, parts) come first; the worksheets' XML is scanned
    while the child process reads the cells (it runs under its own limits), and a
    bad scan stops the child and is the answer, as if it had come first.
    """
    every = inspect_workbook(data, scan_sheets=False)
    ordered = sorted((s for s in every if s.visible), key=lambda s: s.name != DATA_SHEET)
    cells = read_cells(data, [sheet.name for sheet in ordered], meanwhile=lambda: scan_worksheets(data, every))
    problems: list[str] = []
    for sheet in ordered:
        if cells.get(sheet.name) is None:
            continue  # a sheet calamine cannot read is not the template
        rows = iter(cells[sheet.name])
        found = _find_header(rows)
        if found is None:
            continue
        header_row, header = found
        mismatch = header_problems(header)
        if mismatch:
            problems.append(mismatch)
            continue
        return SheetRows(sheet=sheet.name, header_row=header_row, rows=list(_data_rows(rows, header_row)))
    if problems:
        raise BadWorkbook(problems[0])
    raise BadWorkbook("找不到报名信息表的表头（第一列应为“序号”）。请下载报名信息表模板，按模板格式填写后上传，不要更改表格结构")


def read_cells(data: bytes, sheet_names: list[str], *, memory_bytes: int = READ_MEMORY_BYTES,
               seconds: float = READ_SECONDS, meanwhile: Callable[[], None] | None = None,
               ) -> dict[str, list[list[Any]] | None]:
    """Each sheet's rows as calamine reads them, from a child process with a memory and time limit.

    `meanwhile` runs in this process while the child works; when it raises, the child is killed.
    The workbook reaches the child through an unlinked temporary file, so no thread has to feed a pipe.
    """
    command = [sys.executable, "-m", "app.imports.calamine_probe", str(memory_bytes), str(int(seconds) + 1),
               str(len(EXPECTED)), str(KEPT_COLUMNS), str(MAX_ROWS + HEADER_SEARCH_ROWS), str(EMPTY_RUN_LIMIT),
               *sheet_names]
    deadline = time.monotonic() + seconds
    with tempfile.TemporaryFile() as source:
        source.write(data)
        source.seek(0)
        with subprocess.Popen(command, stdin=source, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as child:
            try:
                if meanwhile is not None:
                    meanwhile()
                stdout, _ = child.communicate(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired as exc:
                child.kill()
                raise BadWorkbook(f"文件结构异常，{seconds:g}秒内无法读取完毕，系统拒绝读取。{SAVE_AS}") from exc
            except BaseException:
                child.kill()
                raise
    outcome = pickle.loads(stdout) if child.returncode == 0 and stdout else None
    if outcome is None:
        # Killed by the memory or CPU limit, or aborted inside calamine: a hostile or broken file.
        raise BadWorkbook("文件结构异常（例如单元格位置远超表格实际范围），读取所需的内存或时间超出限制，系统拒绝读取。"
                          "请将数据复制到新下载的模板中再上传")
    if outcome == calamine_probe.UNREADABLE:
        raise BadWorkbook(f"文件内容已损坏，无法读取。{SAVE_AS}")
    return outcome


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
        texts = [header_text(v) for v in row]
        if texts and (texts[0] == "序号" or sum(t in EXPECTED for t in texts) >= len(EXPECTED) // 2):
            return number, row
    return None


def _data_rows(rows: Iterator[list[Any]], header_row: int) -> Iterator[tuple[int, list[Any]]]:
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
        if count > MAX_ROWS:
            raise BadWorkbook(f"表格超过{MAX_ROWS}行的上限，请拆分为多个文件分批导入（每个文件不超过{MAX_ROWS}行）")
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        yield number, cells
