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
from app.registrations.fields import BY_API, BY_KEY, DATA_KEYS
from app.registrations.kinds import ExamType, Gender, PersonnelNature

MOBILE = re.compile(r"^1[3-9]\d{9}$")
ID_NUMBER = re.compile(r"\d{17}[\dX]")
CERTIFICATE = re.compile(r"^[0-9A-Za-z\-]{4,50}$")
NAME = re.compile(r"^[\u3400-\u9fffA-Za-z·•．. ]+$")
MAX_LENGTHS = {
    "name": 50, "major": 100, "position": 100, "certificate_number": 50, "remarks": 500,
}
REQUIRED_KEYS = tuple(key for key in DATA_KEYS if BY_KEY[key].required)
MISSING = {key: FieldProblem(ErrorCode.REQUIRED, f"{BY_KEY[key].header}为必填项，请填写", BY_KEY[key].api)
           for key in REQUIRED_KEYS}
# The order in which each field's own rule reports.
RULE_ORDER = ("name", "id_number", "gender", "ethnicity", "political_status", "education", "enforcement_field",
              "phone", "exam_type", "certificate_number", "personnel_nature", "work_start_date")
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


def clean_registration(raw: Mapping[str, Any], today: date | None = None) -> Cleaned:
    """Clean and check every data field of a registration; report all problems.

    Problems come in a fixed order: every missing field, every over-long one, then
    each field's own rule in form order. A field that takes few distinct values
    (the lists, 职务职级, ...) has pure, date-independent rules, so their results
    are cached: a spreadsheet repeats them on every row. An import passes `today` once for all its rows.
    """
    out = Cleaned()
    values, found = out.values, out.problems
    get = raw.get
    if today is None:
        today = date.today()
    values["name"], problem = _clean_field("name", get("name"))
    if problem is not None:
        found.append(problem)
    text, problem = _field_text("id_number", get("id_number"))
    values["id_number"], problem = (None, problem) if text is None else _id_number(text, today)
    if problem is not None:
        found.append(problem)
    for key in FORM_ORDER:
        value = get(key)
        if key in CACHED and type(value) is str and len(value) <= CACHED_CHARS:
            value, problem = _cached_field(key, value)
        else:
            value, problem = _clean_field(key, value)
        values[key] = value
        if problem is not None:
            found.append(problem)
    text, problem = _field_text("certificate_number", get("certificate_number"))
    if problem is not None:
        found.append(problem)
    values["certificate_number"], problem = _certificate(text, values["exam_type"])
    if problem is not None:
        found.append(problem)
    value = get("personnel_nature")
    values["personnel_nature"], problem = (
        _cached_field("personnel_nature", value) if type(value) is str and len(value) <= CACHED_CHARS
        else _clean_field("personnel_nature", value))
    if problem is not None:
        found.append(problem)
    id_number, gender = values["id_number"], values["gender"]
    birth = birth_date_of(id_number) if id_number else None
    values["work_start_date"], problem = _work_start(get("work_start_date"), birth, today)
    if problem is not None:
        found.append(problem)
    if id_number and gender and gender_of(id_number) != gender:
        out.problem(
            "gender", ErrorCode.ID_NUMBER_MISMATCH,
            f"性别与身份证号码不一致：身份证号码显示为{GENDER_LABELS[gender_of(id_number)]}，"
            f"表中填写为{GENDER_LABELS[gender]}，请核对",
        )
    if len(found) > 1:
        found.sort(key=_report_order)
    return out


def _field_text(key: str, value: Any) -> tuple[str | None, FieldProblem | None]:
    """The squeezed text of a field, or the problem that it is missing or too long."""
    text = squeeze(value)
    if text is None:
        return None, MISSING.get(key)
    if "\x00" in text:  # a spreadsheet's _x0000_; PostgreSQL cannot store it, and no field means one
        return None, FieldProblem(ErrorCode.INVALID, f"{BY_KEY[key].header}含有不可见的空字符，请删除后重新填写",
                                  BY_KEY[key].api)
    limit = MAX_LENGTHS.get(key)
    if limit is not None and len(text) > limit:
        return None, FieldProblem(ErrorCode.TOO_LONG, f"{BY_KEY[key].header}不能超过{limit}个字，当前{len(text)}个字",
                                  BY_KEY[key].api)
    return text, None


def _clean_field(key: str, value: Any) -> tuple[Any, FieldProblem | None]:
    """One field on its own: its cleaned value, or None and its problem."""
    text, problem = _field_text(key, value)
    if text is None:
        return None, problem
    rule = FIELD_RULES.get(key)
    return (text, None) if rule is None else rule(key, text)


@lru_cache(maxsize=4096)
def _cached_field(key: str, value: str) -> tuple[Any, FieldProblem | None]:
    return _clean_field(key, value)


def _report_order(problem: FieldProblem) -> int:
    key = BY_API[problem.field].key
    if problem.code == ErrorCode.REQUIRED:
        return REQUIRED_KEYS.index(key)
    if problem.code == ErrorCode.TOO_LONG:
        return 100 + tuple(MAX_LENGTHS).index(key)
    if problem.code == ErrorCode.ID_NUMBER_MISMATCH:
        return 300
    if key not in RULE_ORDER:  # free text (所学专业, 备注, ...) has no rule of its own: only a NUL character
        return 150 + DATA_KEYS.index(key)
    return 200 + RULE_ORDER.index(key)


def _problem(key: str, code: ErrorCode, message: str) -> FieldProblem:
    return FieldProblem(code, message, BY_KEY[key].api)


def gender_of(id_number: str) -> Gender:
    return Gender.MALE if int(id_number[16]) % 2 == 1 else Gender.FEMALE


def birth_date_of(id_number: str) -> date:
    """The birth date in digits 7-14 (ValueError when it is not a date)."""
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def id_number_problem(value: Any, today: date | None = None) -> str | None:
    """Why `value` is not a valid 18-digit ID number (GB 11643), or None when it is."""
    number = normalise_id_number(value)
    if number is None:
        return "身份证号码为必填项，请填写"
    return _normalised_id_number_problem(number, date.today() if today is None else today)


def _normalised_id_number_problem(number: str, today: date) -> str | None:
    if not ID_NUMBER.fullmatch(number):
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
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age < 16 or age > 80:
        return f"身份证号码中的出生日期为{born:%Y年%m月%d日}，年龄{age}岁不在合理范围，请核对"
    return None


@lru_cache(maxsize=8192)
def _known_region(code: str) -> bool:
    """Any division code that ever existed: numbers keep the code they were issued with,
    which may predate or postdate the birth year (so stdnum's birth-year check is too strict)."""
    return any(props for _, props in numdb.get("cn/loc").info(code))


# The rules of one field alone take its squeezed text and give its value, or None and the problem.


def _id_number(text: str, today: date) -> tuple[str | None, FieldProblem | None]:
    number = normalise_id_number(text)
    if number is None:
        return None, None  # reported as REQUIRED
    problem = _normalised_id_number_problem(number, today)
    if problem:
        return None, _problem("id_number", ErrorCode.INVALID_ID_NUMBER, problem)
    return number, None


def _name(key: str, text: str) -> tuple[str | None, FieldProblem | None]:
    if not NAME.fullmatch(text):
        return None, _problem(key, ErrorCode.INVALID, "姓名只能包含汉字、字母和间隔号“·”，请删除数字和符号")
    return text, None


def _listed(key: str, text: str, allowed: tuple[str, ...]) -> tuple[str | None, FieldProblem | None]:
    listed = canonical(text, allowed)
    if listed is None:
        sample = "、".join(allowed[:6]) + ("等" if len(allowed) > 6 else "")
        return None, _problem(key, ErrorCode.NOT_IN_LIST,
                              f"{BY_KEY[key].header}“{text}”不在可选范围内，请从下拉列表中选择（如{sample}）")
    return listed, None


def _choice(key: str, text: str, enum: type[StrEnum], labels: Mapping[Any, str]) -> tuple[Any, FieldProblem | None]:
    """A label (男) or a member's value (MALE)."""
    member = _members(enum, tuple(labels.items())).get(text)
    if member is not None:
        return member, None
    return None, _problem(key, ErrorCode.NOT_IN_LIST,
                          f"{BY_KEY[key].header}“{text}”无效，只能填写：{'、'.join(labels.values())}")


@lru_cache(maxsize=16)
def _members(enum: type[StrEnum], labels: tuple[tuple[Any, str], ...]) -> dict[str, Any]:
    """Label or value -> member: 男 and MALE both mean Gender.MALE."""
    return {text: member for member, label in labels for text in (label, member.value)}


def _mobile(key: str, text: str) -> tuple[str | None, FieldProblem | None]:
    number = halfwidth(text).removeprefix("+86").replace("-", "")
    if not MOBILE.fullmatch(number):
        return None, _problem(key, ErrorCode.INVALID_PHONE, f"手机号码“{number}”无效，应为以1开头的11位手机号码")
    return number, None


def _certificate(text: str | None, exam_type: ExamType | None) -> tuple[str | None, FieldProblem | None]:
    number = halfwidth(text)
    if number is None:
        if exam_type == ExamType.RENEWAL:
            return None, _problem("certificate_number", ErrorCode.CERTIFICATE_REQUIRED, "报考类型为续职考试时，必须填写原执法证号")
        return None, None
    if not CERTIFICATE.fullmatch(number):
        return None, _problem("certificate_number", ErrorCode.INVALID, "原执法证号只能包含数字、字母和“-”，长度4至50位")
    return number, None


def _work_start(value: Any, birth: date | None, today: date) -> tuple[date | None, FieldProblem | None]:
    if value is None or value == "":
        return None, None
    if isinstance(value, date):
        started = value
    else:
        try:
            started = date.fromisoformat(str(value))
        except ValueError:
            return None, _problem("work_start_date", ErrorCode.INVALID_DATE, "参加工作时间格式不正确，请填写如2010-07-01的日期")
    if started > today:
        return None, _problem("work_start_date", ErrorCode.INVALID_DATE, "参加工作时间不能晚于今天")
    if birth is not None and started.year - birth.year < 14:
        return None, _problem("work_start_date", ErrorCode.INVALID_DATE,
                              f"参加工作时间{started:%Y-%m-%d}与出生日期{birth:%Y-%m-%d}不符，请核对")
    return started, None


# Rules of one field alone, given its squeezed text (major, position and remarks have none).
FIELD_RULES = {
    "name": _name,
    "gender": lambda key, text: _choice(key, text, Gender, GENDER_LABELS),
    "ethnicity": lambda key, text: _listed(key, text, ETHNICITIES),
    "political_status": lambda key, text: _listed(key, text, POLITICAL_STATUSES),
    "education": lambda key, text: _listed(key, text, EDUCATIONS),
    "enforcement_field": lambda key, text: _listed(key, text, ENFORCEMENT_FIELDS),
    "phone": _mobile,
    "exam_type": lambda key, text: _choice(key, text, ExamType, EXAM_TYPE_LABELS),
    "personnel_nature": lambda key, text: _choice(key, text, PersonnelNature, PERSONNEL_NATURE_LABELS),
}
# The fields cleaned one by one after the name and the ID number, in form order (then the certificate,
# which depends on the exam type, and the rest).
FORM_ORDER = ("gender", "ethnicity", "political_status", "education", "enforcement_field",
              "major", "position", "remarks", "phone", "exam_type")
# Fields whose few distinct values make their (pure, date-independent) rules worth caching; only short
# texts are kept, so a hostile file cannot park megabytes in the cache.
CACHED = frozenset({"gender", "ethnicity", "political_status", "education", "enforcement_field", "major", "position",
                    "exam_type", "personnel_nature"})
CACHED_CHARS = 100


__all__ = ["Cleaned", "ValidationError", "birth_date_of", "clean_registration", "gender_of", "id_number_problem"]
