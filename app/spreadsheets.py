"""Writing workbooks people open in Excel or WPS: text stays text, never a formula."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A leading =, +, -, @ would make Excel run the cell as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def workbook_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], *,
                   widths: Sequence[int] | None = None) -> bytes:
    return sheets_bytes([(title, headers, rows, widths)])


def sheets_bytes(
    sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]], Sequence[int] | None]],
) -> bytes:
    """A workbook with one sheet per (title, headers, rows, widths), in order."""
    book = Workbook()
    book.remove(book.active)
    for title, headers, rows, widths in sheets:
        _fill(book.create_sheet(title[:31]), headers, rows, widths)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(sheet: Any, headers: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[int] | None) -> None:
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center")
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.number_format = "@"  # keep 18-digit numbers as text
    for index, width in enumerate(widths or [16] * len(headers), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
