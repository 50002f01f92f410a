"""Validation of a candidate's data: the same rules for one-by-one entry and import.

`clean_registration` takes values as a form or a spreadsheet gives them (enum
members or their Chinese labels, text with stray spaces, full-width digits) and
returns the cleaned values plus every problem found, each naming its field.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any

from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import (
    ValidationError,
)

from app.errors import ErrorCode, FieldProblem
from app.registrations.choices import (
    EDUCATIONS,
    ENFORCEMENT_FIELDS,
    ETHNICITIES,
    EXAM_TYPE_LABELS,
    GENDER_LABELS,
    PERSONNEL_NATURE_LABELS,
    POLITICAL_STATUSES,
    canonical,
)
from app.registrations.fields import BY_KEY, DATA_KEYS
from app.registrations.models import ExamType, Gender, PersonnelNature

MOBILE = re.compile(r"^1[3-9]\d{9}$")
CERTIFICATE = re.compile(r"^[0-9A-Za-z\-]{4,50}$")
NAME = re.compile(r"^[\u3400-\u9fffA-Za-z·•．. ]+$")
MAX_LENGTHS = {
    "name": 50, "major": 100, "position": 100, "certificate_number": 50, "remarks": 500,
}
REQUIRED_KEYS = tuple(key for key in DATA_KEYS if BY_KEY[key].required)
SPACES = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
INNER_SPACE = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]")
EDGE_SPACES = " \t\n\r\x0b\x0c\u3000\u00a0\u200b\ufeff"


@dataclass
class Cleaned:
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[FieldProblem] = field(default_factory=list)

    def problem(self, key: str, code: ErrorCode, message: str) -> None:
        self.problems.append(FieldProblem(code, message, BY_KEY[key].api))


def squeeze(value: Any) -> str | None:
    """Trim ordinary and full-width spaces, fold inner runs to one space; empty text becomes None."""
    if value is None:
        return None
    text = (value if type(value) is str else str(value)).strip(EDGE_SPACES)
    if INNER_SPACE.search(text):
        text = SPACES.sub(" ", text)
    return text or None


def halfwidth(text: str | None) -> str | None:
    """Full-width digits and letters (ＡＢＣ１２３) as users type them on Chinese IMEs."""
    if text is None:
        return None
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.replace(" ", "")


def normalise_id_number(value: Any) -> str | None:
    text = halfwidth(squeeze(value))
    return None if text is None else text.upper()


def clean_registration(raw: Mapping[str, Any]) -> Cleaned:
    """Clean and check every data field of a registration; report all problems."""
    out = Cleaned()
    text = {key: squeeze(raw.get(key)) for key in DATA_KEYS}
    for key in REQUIRED_KEYS:
        if text[key] is None:
            out.problem(key, ErrorCode.REQUIRED, f"{BY_KEY[key].header}为必填项，请填写")
    for key, limit in MAX_LENGTHS.items():
        if text[key] is not None and len(text[key]) > limit:
            out.problem(key, ErrorCode.TOO_LONG, f"{BY_KEY[key].header}不能超过{limit}个字，当前{len(text[key])}个字")
            text[key] = None

    out.values["name"] = _name(out, text["name"])
    out.values["id_number"] = id_number = _id_number(out, text["id_number"])
    out.values["gender"] = gender = _choice(out, "gender", text["gender"], Gender, GENDER_LABELS)
    out.values["ethnicity"] = _listed(out, "ethnicity", text["ethnicity"], ETHNICITIES)
    out.values["political_status"] = _listed(out, "political_status", text["political_status"], POLITICAL_STATUSES)
    out.values["education"] = _listed(out, "education", text["education"], EDUCATIONS)
    out.values["enforcement_field"] = _listed(out, "enforcement_field", text["enforcement_field"], ENFORCEMENT_FIELDS)
    out.values["major"] = text["major"]
    out.values["position"] = text["position"]
    out.values["remarks"] = text["remarks"]
    out.values["phone"] = _mobile(out, text["phone"])
    out.values["exam_type"] = exam_type = _choice(out, "exam_type", text["exam_type"], ExamType, EXAM_TYPE_LABELS)
    out.values["certificate_number"] = _certificate(out, text["certificate_number"], exam_type)
    out.values["personnel_nature"] = _choice(
        out, "personnel_nature", text["personnel_nature"], PersonnelNature, PERSONNEL_NATURE_LABELS
    )
    birth = birth_date_of(id_number) if id_number else None
    out.values["work_start_date"] = _work_start(out, raw.get("work_start_date"), birth)
    if id_number and gender and gender_of(id_number) != gender:
        out.problem(
            "gender", ErrorCode.ID_NUMBER_MISMATCH,
            f"性别与身份证号码不一致：身份证号码显示为{GENDER_LABELS[gender_of(id_number)]}，"
            f"表中填写为{GENDER_LABELS[gender]}，请核对",
        )
    return out


def gender_of(id_number: str) -> Gender:
    return Gender.MALE if int(id_number[16]) % 2 == 1 else Gender.FEMALE


def birth_date_of(id_number: str) -> date:
    """The birth date in digits 7-14 (ValueError when it is not a date)."""
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def id_number_problem(value: Any) -> str | None:
    """Why `value` is not a valid 18-digit ID number (GB 11643), or None when it is."""
    number = normalise_id_number(value)
    if number is None:
        return "身份证号码为必填项，请填写"
    if not re.fullmatch(r"\d{17}[\dX]", number):
        if len(number) != 18:
            return f"身份证号码应为18位，当前为{len(number)}位，请核对"
        return "身份证号码只能由数字和最后一位X组成，请核对"
    if ric.calc_check_digit(number) != number[-1]:
        return "身份证号码校验位不正确（最后一位与前17位不符），请逐位核对"
    try:
        born = birth_date_of(number)
    except ValueError:
        return f"身份证号码中的出生日期“{number[6:14]}”不是有效日期，请核对第7至14位"
    if not _known_region(number[:6]):
        return f"身份证号码前6位地区码“{number[:6]}”不是有效的行政区划代码，请核对"
    today = date.today()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age < 16 or age > 80:
        return f"身份证号码中的出生日期为{born:%Y年%m月%d日}，年龄{age}岁不在合理范围，请核对"
    return None


@lru_cache(maxsize=8192)
def _known_region(code: str) -> bool:
    """Any division code that ever existed: numbers keep the code they were issued with,
    which may predate or postdate the birth year (so stdnum's birth-year check is too strict)."""
    return any(props for _, props in numdb.get("cn/loc").info(code))


def _id_number(out: Cleaned, value: Any) -> str | None:
    number = normalise_id_number(value)
    if number is None:
        return None  # reported as REQUIRED
    problem = id_number_problem(number)
    if problem:
        out.problem("id_number", ErrorCode.INVALID_ID_NUMBER, problem)
        return None
    return number


def _name(out: Cleaned, value: str | None) -> str | None:
    if value is None:
        return None
    if not NAME.fullmatch(value):
        out.problem("name", ErrorCode.INVALID, "姓名只能包含汉字、字母和间隔号“·”，请删除数字和符号")
        return None
    return value


def _listed(out: Cleaned, key: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    listed = canonical(value, allowed)
    if listed is None:
        sample = "、".join(allowed[:6]) + ("等" if len(allowed) > 6 else "")
        out.problem(key, ErrorCode.NOT_IN_LIST, f"{BY_KEY[key].header}“{value}”不在可选范围内，请从下拉列表中选择（如{sample}）")
        return None
    return listed


def _choice(out: Cleaned, key: str, text: str | None, enum: type[StrEnum], labels: Mapping[Any, str]) -> Any:
    """`text` is already squeezed: a label (男) or a member's value (MALE)."""
    if text is None:
        return None
    member = _members(enum, tuple(labels.items())).get(text)
    if member is not None:
        return member
    out.problem(
        key, ErrorCode.NOT_IN_LIST,
        f"{BY_KEY[key].header}“{text}”无效，只能填写：{'、'.join(labels.values())}",
    )
    return None


@lru_cache(maxsize=16)
def _members(enum: type[StrEnum], labels: tuple[tuple[Any, str], ...]) -> dict[str, Any]:
    """Label or value -> member: 男 and MALE both mean Gender.MALE."""
    return {text: member for member, label in labels for text in (label, member.value)}


def _mobile(out: Cleaned, text: str | None) -> str | None:
    number = halfwidth(text)
    if number is None:
        return None
    number = number.removeprefix("+86").replace("-", "")
    if not MOBILE.fullmatch(number):
        out.problem("phone", ErrorCode.INVALID_PHONE, f"手机号码“{number}”无效，应为以1开头的11位手机号码")
        return None
    return number


def _certificate(out: Cleaned, value: str | None, exam_type: ExamType | None) -> str | None:
    number = halfwidth(value)
    if number is None:
        if exam_type == ExamType.RENEWAL:
            out.problem("certificate_number", ErrorCode.CERTIFICATE_REQUIRED, "报考类型为续职考试时，必须填写原执法证号")
        return None
    if not CERTIFICATE.fullmatch(number):
        out.problem("certificate_number", ErrorCode.INVALID, "原执法证号只能包含数字、字母和“-”，长度4至50位")
        return None
    return number


def _work_start(out: Cleaned, value: Any, birth: date | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        started = value
    else:
        try:
            started = date.fromisoformat(str(value))
        except ValueError:
            out.problem("work_start_date", ErrorCode.INVALID_DATE, "参加工作时间格式不正确，请填写如2010-07-01的日期")
            return None
    if started > date.today():
        out.problem("work_start_date", ErrorCode.INVALID_DATE, "参加工作时间不能晚于今天")
        return None
    if birth is not None and started.year - birth.year < 14:
        out.problem("work_start_date", ErrorCode.INVALID_DATE, f"参加工作时间{started:%Y-%m-%d}与出生日期{birth:%Y-%m-%d}不符，请核对")
        return None
    return started


__all__ = ["Cleaned", "ValidationError", "birth_date_of", "clean_registration", "gender_of", "id_number_problem"]
