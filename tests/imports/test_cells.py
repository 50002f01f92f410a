"""Cells as Excel, WPS and LibreOffice leave them, and as people type them."""

from __future__ import annotations

from datetime import date, datetime

from stdnum.cn import ric

from app.imports import cells
from app.imports.rows import check_rows

UNIT = "南宁市兴宁区市场监督管理局"


def valid_id(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


ID = valid_id("45010319800101001")
X_ID = next(n for n in (valid_id(f"45010319800101{i:03d}") for i in range(1000)) if n.endswith("X"))


def row(**cells_by_header):
    base = {"序号": 1, "姓名": "韦东", "性别": "男" if int(ID[16]) % 2 else "女", "民族": "壮族", "身份证号码": ID,
            "政治面貌": "", "学历": "大学本科", "所学专业": "", "手机号码": "13800138000", "工作单位": UNIT,
            "职务职级": "", "执法门类": "公安", "报考类型": "资格考试", "原执法证号": "", "人员性质": "在编在职",
            "参加工作时间": "", "备注": ""}
    base.update(cells_by_header)
    return list(base.values())


def check(*rows):
    return check_rows([(n, r) for n, r in enumerate(rows, start=3)], unit_name=UNIT)


def test_spaces_full_width_and_lower_case_x_are_forgiven():
    gender = "男" if int(X_ID[16]) % 2 else "女"
    typed = "\u3000" + X_ID[:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "x "
    result = check(row(身份证号码=typed, 性别=gender, 姓名=" 韦东\u3000", 工作单位=f" {UNIT} ", 民族="壮",
                       手机号码="１３８００１３８０００"))
    assert result.errors == []
    values = result.valid[3]
    assert (values["id_number"], values["name"], values["phone"], values["ethnicity"]) == (X_ID, "韦东", "13800138000",
                                                                                         "壮族")


def test_numbers_excel_stored_as_numbers():
    result = check(row(手机号码=13800138000.0, 原执法证号=20190001.0, 报考类型="续职考试"))
    assert result.errors == [] and result.valid[3]["phone"] == "13800138000"
    assert result.valid[3]["certificate_number"] == "20190001"


def test_id_numbers_excel_already_destroyed_are_explained():
    as_number = check(row(身份证号码=4.50103198001011e17)).errors[0]
    as_text = check(row(身份证号码="4.50103E+17")).errors[0]
    for error in (as_number, as_text):
        assert error.column == "身份证号码" and "科学计数法" in error.message and "文本格式" in error.message
    zeroed = check(row(身份证号码=ID[:15] + "000")).errors[0]
    assert "截断" in zeroed.message


def test_dates_as_excel_dates_serials_and_text():
    for value, expected in [
        (datetime(2010, 7, 1), date(2010, 7, 1)), (date(2010, 7, 1), date(2010, 7, 1)), (40360.0, date(2010, 7, 1)),
        ("2010-07-01", date(2010, 7, 1)), ("2010/7/1", date(2010, 7, 1)), ("2010.07.01", date(2010, 7, 1)),
        ("2010年7月1日", date(2010, 7, 1)), ("20100701", date(2010, 7, 1)), ("2010-07", date(2010, 7, 1)),
        ("2010年7月", date(2010, 7, 1)), ("２０１０－０７－０１", date(2010, 7, 1)),
    ]:
        result = check(row(参加工作时间=value))
        assert result.errors == [] and result.valid[3]["work_start_date"] == expected, value
    assert check(row(参加工作时间="七月")).errors[0].column == "参加工作时间"
    assert cells.work_date("2010-02-30")[0] == "2010-02-30"


def test_duplicates_inside_the_file_and_the_wrong_unit():
    result = check(row(), row(), row(工作单位="柳州市某局"))
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert "与第3行重复" in messages[(4, "身份证号码")]
    assert "本单位全称" in messages[(5, "工作单位")]
    assert list(result.valid) == [3]
