"""Cells as users (and Excel) leave them, turned into the values the shared rules expect."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from app.errors import ErrorCode, FieldProblem

EXCEL_EPOCH = date(1899, 12, 30)
SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+\d+$", re.IGNORECASE)
DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
MONTH_PATTERNS = (re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$"), re.compile(r"^(\d{4})(\d{2})$"))
DESTROYED_ID = ("身份证号码已被Excel转换为科学计数法，后几位数字已经丢失。"
                "请将“身份证号码”列设置为文本格式后重新输入完整的18位号码（或使用系统下载的模板）")


def text(value: Any) -> str | None:
    """Any cell as text: numbers Excel stored as numbers lose their ".0"."""
    if type(value) is str:
        return value or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def id_number(value: Any) -> tuple[str | None, FieldProblem | None]:
    """An ID number cell; numbers and scientific notation mean Excel already destroyed it."""
    if type(value) is str and value.isascii() and "E" not in value and "e" not in value:
        return value or None, None  # the usual cell: plain text that cannot be scientific notation
    if isinstance(value, int | float) and not isinstance(value, bool):
        return None, FieldProblem(ErrorCode.INVALID_ID_NUMBER, DESTROYED_ID, "idNumber")
    raw = text(value)
    if raw is None:
        return None, None
    compact = unicodedata.normalize("NFKC", raw).replace(" ", "").strip()
    if SCIENTIFIC.match(compact):
        return None, FieldProblem(ErrorCode.INVALID_ID_NUMBER, DESTROYED_ID, "idNumber")
    return raw, None


def zeroed_hint(number: str | None) -> str:
    """Extra advice for an 18-digit number whose last digits Excel rounded to zero."""
    if number and len(number) == 18 and number.endswith("000"):
        return "；末尾几位为0，可能已被Excel按数字处理而截断，请将该列设置为文本格式后重新输入"
    return ""


def work_date(value: Any) -> tuple[Any, FieldProblem | None]:
    """参加工作时间: an Excel date, a serial number, or text like 2010-07-01, 2010/7/1, 2010年7月, 201007."""
    if value is None or value == "":
        return None, None
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20_000 < value < 80_000:  # an Excel serial date in a cell formatted as a number
            return EXCEL_EPOCH + timedelta(days=int(value)), None
        value = text(value)
    value = str(value)
    return (_text_date(value) if len(value) <= 32 else _read_text_date(value)), None


@lru_cache(maxsize=4096)
def _text_date(value: str) -> Any:
    """`_read_text_date`, cached: a file has few distinct dates (and a date is short)."""
    return _read_text_date(value)


def _read_text_date(value: str) -> Any:
    """A date typed as text, or the text itself when it is not a date."""
    raw = unicodedata.normalize("NFKC", value).strip().replace(" ", "")
    for pattern in DATE_PATTERNS:
        if match := pattern.match(raw):
            return _date(*match.groups())
    for pattern in MONTH_PATTERNS:
        if match := pattern.match(raw):
            return _date(*match.groups(), "1")
    return raw  # the shared rule reports it with the expected format


def _date(year: str, month: str, day: str) -> Any:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return f"{year}-{month}-{day}"
