"""Field rules shared by one-by-one entry and import: pure functions, no database."""

from __future__ import annotations

import pytest
from stdnum.cn import ric

from app.errors import ErrorCode
from app.registrations.fields import template_headers
from app.registrations.masking import mask_id_number, mask_phone
from app.registrations.models import ExamType, Gender, PersonnelNature
from app.registrations.rules import clean_registration, id_number_problem


def valid_id(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


MALE_ID = valid_id("45010219800101001")  # 17th digit odd: male


def form(**overrides):
    data = dict(name="韦东", gender="男", ethnicity="壮族", id_number=MALE_ID, education="大学本科",
                phone="13800138000", enforcement_field="公安", exam_type="资格考试", personnel_nature="在编在职")
    data.update(overrides)
    return data


def codes(cleaned):
    return {(p.field, p.code) for p in cleaned.problems}


def test_a_complete_form_cleans_to_typed_values():
    cleaned = clean_registration(form(work_start_date="2005-07-01"))
    assert cleaned.problems == []
    assert cleaned.values["gender"] is Gender.MALE
    assert cleaned.values["exam_type"] is ExamType.QUALIFICATION
    assert cleaned.values["personnel_nature"] is PersonnelNature.STAFF
    assert str(cleaned.values["work_start_date"]) == "2005-07-01"


@pytest.mark.parametrize("value,reason", [
    ("45010219800101001", "应为18位，当前为17位"),
    (MALE_ID[:-1] + ("1" if MALE_ID[-1] != "1" else "2"), "校验位不正确"),
    ("45010219801301001" + "0", None),  # month 13: checksum or date, both named
    (valid_id("45010219801301001"), "出生日期“19801301”不是有效日期"),
    (valid_id("99999919800101001"), "地区码“999999”"),
    ("4501021980010100１A", "只能由数字和最后一位X组成"),
    (valid_id("45010220250101001"), "年龄"),
])
def test_id_number_problems_say_what_is_wrong(value, reason):
    problem = id_number_problem(value)
    assert problem is not None
    if reason:
        assert reason in problem, problem


def test_id_numbers_are_taken_the_way_people_type_them():
    x_id = next(n for n in (valid_id(f"45010219800101{i:03d}") for i in range(1000)) if n.endswith("X"))
    typed = "　" + x_id[:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "x "
    assert id_number_problem(typed) is None
    assert clean_registration(form(id_number=typed, gender=None)).values["id_number"] == x_id


def test_gender_must_agree_with_the_id_number():
    cleaned = clean_registration(form(gender="女"))
    assert codes(cleaned) == {("gender", ErrorCode.ID_NUMBER_MISMATCH)}
    assert "身份证号码显示为男" in cleaned.problems[0].message


def test_renewal_needs_the_previous_certificate():
    assert codes(clean_registration(form(exam_type="续职考试"))) == {
        ("certificateNumber", ErrorCode.CERTIFICATE_REQUIRED)}
    assert clean_registration(form(exam_type="RENEWAL", certificate_number="GX-2019-0001")).problems == []


@pytest.mark.parametrize("field,value,code", [
    ("ethnicity", "火星", ErrorCode.NOT_IN_LIST),
    ("education", "幼儿园", ErrorCode.NOT_IN_LIST),
    ("enforcement_field", "扫黄打非", ErrorCode.NOT_IN_LIST),
    ("political_status", "党外", ErrorCode.NOT_IN_LIST),
    ("phone", "0771-5770807", ErrorCode.INVALID_PHONE),
    ("phone", "12800138000", ErrorCode.INVALID_PHONE),
    ("name", "张三3", ErrorCode.INVALID),
    ("name", "张" * 51, ErrorCode.TOO_LONG),
    ("remarks", "备" * 501, ErrorCode.TOO_LONG),
    ("work_start_date", "2005/07/01", ErrorCode.INVALID_DATE),
    ("work_start_date", "1985-01-01", ErrorCode.INVALID_DATE),
    ("gender", "M", ErrorCode.NOT_IN_LIST),
    ("personnel_nature", "临时工", ErrorCode.NOT_IN_LIST),
])
def test_each_field_rule(field, value, code):
    api_name = {"enforcement_field": "enforcementField", "political_status": "politicalStatus",
                "work_start_date": "workStartDate", "personnel_nature": "personnelNature"}.get(field, field)
    cleaned = clean_registration(form(**{field: value}))
    assert (api_name, code) in codes(cleaned), cleaned.problems
    assert all(p.message for p in cleaned.problems)


def test_required_fields_are_all_reported_at_once():
    cleaned = clean_registration({})
    assert {p.field for p in cleaned.problems if p.code == ErrorCode.REQUIRED} == {
        "name", "gender", "ethnicity", "idNumber", "education", "phone", "enforcementField", "examType",
        "personnelNature"}


def test_masking_and_template_headers():
    assert mask_id_number("452122197502156648") == "4521**********6648"
    assert mask_phone("13800138000") == "138****8000"
    assert template_headers() == ["序号", "姓名*", "性别*", "民族*", "身份证号码*", "政治面貌", "学历*", "所学专业",
                                  "手机号码*", "工作单位*", "职务职级", "执法门类*", "报考类型*", "原执法证号",
                                  "人员性质*", "参加工作时间", "备注"]


def test_common_shorthands_become_the_listed_values():
    cleaned = clean_registration(form(ethnicity="壮", education="本科", political_status="党员"))
    assert cleaned.problems == []
    assert (cleaned.values["ethnicity"], cleaned.values["education"], cleaned.values["political_status"]) == (
        "壮族", "大学本科", "中共党员")
