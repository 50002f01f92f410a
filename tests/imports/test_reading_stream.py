"""Rows checked as they stream from the reader child give the same verdicts as checking the whole sheet."""

from __future__ import annotations

import io
import multiprocessing
import random

from openpyxl import Workbook

from app.demo import People
from app.imports.reader_process import BATCH, SHARE
from app.imports.reading import read_checked, read_template
from app.imports.rows import check_rows
from app.imports.template import TITLE
from app.registrations.fields import template_headers

UNIT = "南宁市兴宁区市场监督管理局"
FIRST = 3  # the template's first data row


def workbook(rows: list[list]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("报名信息")
    sheet.append([TITLE])
    sheet.append(template_headers())
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def people_rows(count: int) -> list[list]:
    people = People(random.Random(3))
    rows = []
    for n in range(1, count + 1):
        id_number, gender = people.id_number("450103", born_before=1990)
        rows.append([n, people.name(), "男" if gender == "MALE" else "女", "壮族", id_number, "中共党员", "大学本科",
                     "法学", people.phone(), UNIT, "科员", "市场监管", "续职考试", f"GX{n:08d}", "在编在职",
                     "2010-07-01", None])
    return rows


def test_batches_checked_by_either_process_give_the_whole_sheet_verdict():
    count = BATCH * (SHARE + 1) + 17  # batches checked by the child, one left to this process, and a short last one
    rows = people_rows(count)
    first, by_parent, by_child = 10, BATCH * (SHARE - 1) + 5, BATCH * SHARE + 5  # indexes into rows
    assert by_parent // BATCH % SHARE == SHARE - 1 and by_child // BATCH % SHARE != SHARE - 1
    rows[by_parent][4] = rows[first][4]  # the same person again, in a batch this process checks
    rows[by_child][4] = rows[first][4]  # ... and in one the child checks
    rows[BATCH + 1][8] = "12345"  # a bad phone number in a child's batch
    rows[by_parent + 1][9] = "别的单位"  # another unit's person in this process's batch
    data = workbook(rows)

    valid, errors, sizes = {}, [], []
    with read_checked(data, unit_name=UNIT) as reading:
        assert reading.sheet.at_most == count and reading.sheet.header_row == 2
        for checked in reading:
            valid.update(checked.valid)
            errors += checked.errors
            sizes.append(checked.size)
        assert reading.total == count

    whole = check_rows(read_template(data).rows, unit_name=UNIT)
    assert sum(sizes) == count and len(sizes) == SHARE + 2
    assert valid == whole.valid
    assert sorted(errors, key=repr) == sorted(whole.errors, key=repr)
    duplicate = f"身份证号码与第{FIRST + first}行重复"
    assert {(e.row, e.column) for e in errors if e.message.startswith(duplicate)} == {
        (FIRST + by_parent, "身份证号码"), (FIRST + by_child, "身份证号码")}
    assert {e.row for e in errors} == {FIRST + by_parent, FIRST + by_child, FIRST + BATCH + 1, FIRST + by_parent + 1}
    assert len(valid) == count - 4


def test_leaving_early_stops_the_reader_child():
    data = workbook(people_rows(BATCH * 4))
    with read_checked(data, unit_name=UNIT) as reading:
        next(iter(reading))
        assert multiprocessing.active_children()
    assert not multiprocessing.active_children()


def test_blank_rows_count_in_the_first_estimate_and_never_in_the_total():
    rows = people_rows(BATCH + 3)
    data = workbook(rows[:BATCH] + [[None] * len(rows[0])] * 2 + rows[BATCH:])
    with read_checked(data, unit_name=UNIT) as reading:
        assert reading.sheet.at_most == BATCH + 3 + 2  # every row below the header, known before any batch
        numbers = [number for checked in reading for number in [*checked.valid, *(e.row for e in checked.errors)]]
        assert reading.total == BATCH + 3
    assert numbers == [FIRST + n for n in range(BATCH)] + [FIRST + BATCH + 2 + n for n in range(3)]
