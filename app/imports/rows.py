"""Checking every row of an import with the shared registration rules, plus the file's own."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from app.errors import ErrorCode, FieldProblem
from app.imports import cells
from app.registrations.fields import BY_API, FIELDS
from app.registrations.rules import clean_registration

COLUMN_OF_KEY = {f.key: i for i, f in enumerate(FIELDS, start=1)}  # cells[0] is 序号
ID_COLUMN, DATE_COLUMN = COLUMN_OF_KEY["id_number"], COLUMN_OF_KEY["work_start_date"]
TEXT_COLUMNS = tuple((key, column) for key, column in COLUMN_OF_KEY.items() if column not in (ID_COLUMN, DATE_COLUMN))


@dataclass(frozen=True)
class RowError:
    row: int
    column: str | None
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}


@dataclass
class CheckedRows:
    valid: dict[int, dict[str, Any]] = field(default_factory=dict)  # Excel row -> cleaned values
    errors: list[RowError] = field(default_factory=list)
    # Every row's cleaned ID number in row order (also of rows with other problems), for the
    # file-wide duplicate rule; `drop_duplicates` empties it.
    id_numbers: list[tuple[int, str]] = field(default_factory=list)
    size: int = 0  # rows checked

    def fail(self, row: int, problem: FieldProblem) -> None:
        spec = BY_API.get(problem.field or "")
        self.errors.append(RowError(row, spec.header if spec else None, problem.code.value, problem.message))
        self.valid.pop(row, None)


def check_rows(rows: list[tuple[int, list[Any]]], *, unit_name: str) -> CheckedRows:
    """A whole file's rows: each on its own (`check_each`), then duplicates inside the file (`drop_duplicates`)."""
    checked = check_each(rows, unit_name=unit_name)
    drop_duplicates(checked, {})
    return checked


def check_each(rows: list[tuple[int, list[Any]]], *, unit_name: str) -> CheckedRows:
    """Each row with the shared registration rules, plus the template's own: 工作单位 is the importer's unit."""
    checked = CheckedRows(size=len(rows))
    wanted_unit = _comparable(unit_name)
    today = date.today()
    for number, row in rows:
        raw: dict[str, Any] = {key: (value or None) if type(value := row[column]) is str else cells.text(value)
                               for key, column in TEXT_COLUMNS}
        raw["id_number"], id_problem = cells.id_number(row[ID_COLUMN])
        raw["work_start_date"], _ = cells.work_date(row[DATE_COLUMN])
        cleaned = clean_registration(raw, today)
        problems = cleaned.problems
        if id_problem:
            problems = [p for p in problems if p.field != "idNumber"] + [id_problem]
        unit = raw["unit_name"]
        if unit is None:
            problems.append(FieldProblem(ErrorCode.REQUIRED, f"工作单位为必填项，请填写本单位全称“{unit_name}”", "unit"))
        elif unit != unit_name and _comparable(unit) != wanted_unit:
            problems.append(FieldProblem(
                ErrorCode.INVALID, f"工作单位须为本单位全称“{unit_name}”，表中为“{unit}”；"
                "其他单位的人员请由其单位管理员报名", "unit"))
        if problems:
            for problem in problems:
                checked.fail(number, _with_hint(problem, raw["id_number"]))
        else:
            checked.valid[number] = cleaned.values
        if key := cleaned.values.get("id_number"):
            checked.id_numbers.append((number, key))
    return checked


def drop_duplicates(checked: CheckedRows, first_seen: dict[str, int]) -> None:
    """A later row with an ID number an earlier row has fails; `first_seen` carries on across batches of a file."""
    for number, key in checked.id_numbers:
        if key in first_seen:
            checked.fail(number, FieldProblem(
                ErrorCode.DUPLICATE_ID_NUMBER, f"身份证号码与第{first_seen[key]}行重复，同一人只能报名一次", "idNumber"))
        else:
            first_seen[key] = number
    checked.id_numbers = []


def _with_hint(problem: FieldProblem, id_number: str | None) -> FieldProblem:
    if problem.code == ErrorCode.INVALID_ID_NUMBER and (hint := cells.zeroed_hint(id_number)):
        return FieldProblem(problem.code, problem.message + hint, problem.field)
    return problem


@lru_cache(maxsize=256)
def _comparable(name: str) -> str:
    return unicodedata.normalize("NFKC", name).replace(" ", "").replace("（", "(").replace("）", ")")
