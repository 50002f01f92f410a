"""The official import template 《全区行政执法人员资格（续职）培训考试报名信息表》."""

from __future__ import annotations

import io
from functools import lru_cache

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from app.registrations import choices
from app.registrations.fields import FIELDS, template_headers

TITLE = "全区行政执法人员资格（续职）培训考试报名信息表"
DATA_SHEET = "报名信息"
OPTIONS_SHEET = "选项"
META_SHEET = "模板信息"
VERSION = "examreg-template-v1"
TITLE_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3
PREPARED_ROWS = 5000  # rows formatted as text and given drop-downs in advance
WIDTHS = {"序号": 6, "姓名": 10, "性别": 6, "民族": 10, "身份证号码": 22, "政治面貌": 14, "学历": 12,
          "所学专业": 16, "手机号码": 14, "工作单位": 32, "职务职级": 14, "执法门类": 14, "报考类型": 10,
          "原执法证号": 16, "人员性质": 10, "参加工作时间": 14, "备注": 20}
TEXT_COLUMNS = {"身份证号码", "手机号码", "原执法证号", "参加工作时间"}
LISTS: dict[str, tuple[str, ...]] = {
    "性别": tuple(choices.GENDER_LABELS.values()),
    "民族": choices.ETHNICITIES,
    "政治面貌": choices.POLITICAL_STATUSES,
    "学历": choices.EDUCATIONS,
    "执法门类": choices.ENFORCEMENT_FIELDS,
    "报考类型": tuple(choices.EXAM_TYPE_LABELS.values()),
    "人员性质": tuple(choices.PERSONNEL_NATURE_LABELS.values()),
}
INSTRUCTIONS = [
    "填表说明",
    "1. 请严格按照本表格式填写，不得增删、改名或调整列的顺序，不得更改表格结构，否则将无法导入系统。",
    "2. 带*的列为必填项；性别、民族、政治面貌、学历、执法门类、报考类型、人员性质请从下拉列表中选择。",
    "3. 身份证号码须为18位，末位为X的请填写大写X；该列已设置为文本格式，请勿改为数字格式，否则后几位会变成0。",
    "4. 性别须与身份证号码一致；工作单位须填写本单位全称（与系统中的单位名称一致）。",
    "5. 报考类型为“续职考试”的，须填写原执法证号。",
    "6. 参加工作时间请填写如2010-07-01或2010-07的日期。",
    "7. 一次最多导入50000行；导入后请在“报名信息管理”中核对，并上传电子照片和证明材料后提交。",
]


@lru_cache(maxsize=1)
def template_bytes() -> bytes:
    """The template workbook; the same bytes every time, so it is built once."""
    book = Workbook()
    sheet = book.active
    sheet.title = DATA_SHEET
    headers = template_headers()
    last = get_column_letter(len(headers))

    sheet.merge_cells(f"A{TITLE_ROW}:{last}{TITLE_ROW}")
    sheet.cell(TITLE_ROW, 1, TITLE).font = Font(bold=True, size=16)
    sheet.cell(TITLE_ROW, 1).alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[TITLE_ROW].height = 30
    thin = Side(style="thin", color="999999")
    for index, header in enumerate(headers, start=1):
        cell = sheet.cell(HEADER_ROW, index, header)
        cell.font = Font(bold=True, color="C00000" if header.endswith("*") else "000000")
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        name = header.rstrip("*")
        column = get_column_letter(index)
        sheet.column_dimensions[column].width = WIDTHS.get(name, 12)
        if name in TEXT_COLUMNS:
            # Text format so Excel keeps 18-digit numbers whole instead of 4.52122E+17.
            sheet.column_dimensions[column].number_format = "@"
            for row in range(FIRST_DATA_ROW, FIRST_DATA_ROW + PREPARED_ROWS):
                sheet.cell(row, index).number_format = "@"
    sheet.cell(HEADER_ROW, headers.index("身份证号码*") + 1).comment = Comment(
        "18位身份证号码，末位X请大写；本列为文本格式，请勿改为数字。", "系统")
    sheet.freeze_panes = sheet.cell(FIRST_DATA_ROW, 1)

    options = book.create_sheet(OPTIONS_SHEET)
    for index, (header, values) in enumerate(LISTS.items(), start=1):
        column = get_column_letter(index)
        options.cell(1, index, header)
        for row, value in enumerate(values, start=2):
            options.cell(row, index, value)
        reference = f"{quote_sheetname(OPTIONS_SHEET)}!${column}$2:${column}${len(values) + 1}"
        list_name = f"list_{index}"
        book.defined_names[list_name] = DefinedName(list_name, attr_text=reference)
        target = get_column_letter(headers.index(next(h for h in headers if h.rstrip("*") == header)) + 1)
        validation = DataValidation(type="list", formula1=list_name, allow_blank=True, showErrorMessage=True,
                                    errorTitle="请从下拉列表中选择", error=f"{header}只能从下拉列表中选择")
        validation.add(f"{target}{FIRST_DATA_ROW}:{target}{FIRST_DATA_ROW + PREPARED_ROWS - 1}")
        sheet.add_data_validation(validation)
    options.sheet_state = "hidden"

    guide = book.create_sheet("填表说明")
    for row, line in enumerate(INSTRUCTIONS, start=1):
        guide.cell(row, 1, line).font = Font(bold=row == 1, size=14 if row == 1 else 11)
    guide.column_dimensions["A"].width = 110

    meta = book.create_sheet(META_SHEET)
    meta["A1"], meta["B1"] = "version", VERSION
    meta.sheet_state = "veryHidden"

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


__all__ = ["FIELDS", "TITLE", "VERSION", "template_bytes"]
