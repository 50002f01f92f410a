"""Units: created by operators (or from an approved self-registration), listed by scope."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from stdnum.cn import uscc

from app.accounts.models import User
from app.auth.permissions import require_operator
from app.auth.scope import visible_units
from app.divisions.models import DivisionLevel
from app.divisions.service import get_division
from app.errors import AppError, ErrorCode, NotFound
from app.pagination import Page, paginate
from app.units.models import Unit, UnitLevel

LEVEL_LABELS = {UnitLevel.REGION: "自治区有关单位", UnitLevel.CITY: "市直单位", UnitLevel.COUNTY: "县（市、区）单位"}
DIVISION_FOR_LEVEL = {
    UnitLevel.REGION: DivisionLevel.REGION,
    UnitLevel.CITY: DivisionLevel.CITY,
    UnitLevel.COUNTY: DivisionLevel.COUNTY,
}


@dataclass(frozen=True)
class NewUnit:
    name: str
    credit_code: str
    division_code: str
    level: UnitLevel
    supervisor_id: int | None = None
    is_department: bool = False


def credit_code_problem(value: str) -> str | None:
    code = (value or "").strip().upper()
    if len(code) != 18:
        return f"统一社会信用代码应为18位，当前为{len(code)}位"
    if not uscc.is_valid(code):
        return "统一社会信用代码无效（校验位不符或含有不允许的字母），请核对"
    return None


def create_unit(session: Session, *, user: User, new: NewUnit) -> Unit:
    require_operator(user)
    return add_unit(session, new=new)


def add_unit(session: Session, *, new: NewUnit) -> Unit:
    name = (new.name or "").strip()
    if not name or len(name) > 100:
        raise AppError(ErrorCode.REQUIRED, "单位名称不能为空，且不超过100个字", "name")
    if problem := credit_code_problem(new.credit_code):
        raise AppError(ErrorCode.INVALID_CREDIT_CODE, problem, "creditCode")
    division = get_division(session, new.division_code)
    if division.level != DIVISION_FOR_LEVEL[new.level]:
        raise AppError(
            ErrorCode.INVALID,
            f"{LEVEL_LABELS[new.level]}所在行政区划须为{_division_word(new.level)}，“{division.name}”不是",
            "divisionCode",
        )
    if new.supervisor_id is not None:
        _check_supervisor(session, new, division.city_code)
    unit = Unit(
        name=name,
        credit_code=new.credit_code.strip().upper(),
        division_code=division.code,
        city_code=division.city_code,
        level=new.level,
        supervisor_id=new.supervisor_id,
        is_department=new.is_department,
    )
    try:
        with session.begin_nested():
            session.add(unit)
    except IntegrityError as exc:
        raise AppError(ErrorCode.DUPLICATE, "该统一社会信用代码已登记过单位", "creditCode") from exc
    return unit


def get_unit(session: Session, unit_id: int, *, field: str = "unitId") -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("单位", field)
    return unit


def get_visible_unit(session: Session, *, user: User, unit_id: int) -> Unit:
    unit = session.exec(select(Unit).where(Unit.id == unit_id, visible_units(user))).first()
    if unit is None:
        raise NotFound("单位", "unitId")
    return unit


def list_units(
    session: Session,
    *,
    user: User,
    division_code: str | None = None,
    search: str | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Page[Unit]:
    conditions = [visible_units(user)]
    if division_code:
        conditions.append((Unit.division_code == division_code) | (Unit.city_code == division_code))
    if search and search.strip():
        conditions.append(col(Unit.name).contains(search.strip()[:50]))
    return paginate(session, Unit, kind="unit", conditions=conditions, first=first, after=after)


def units_by_id(session: Session, ids: list[int]) -> dict[int, Unit]:
    return {u.id: u for u in session.exec(select(Unit).where(col(Unit.id).in_(ids)))}


def _check_supervisor(session: Session, new: NewUnit, city_code: str | None) -> None:
    if new.level == UnitLevel.COUNTY:
        raise AppError(ErrorCode.INVALID, "县（市、区）单位由所在县司法局初审，无需选择主管部门", "supervisorId")
    supervisor = get_unit(session, new.supervisor_id, field="supervisorId")
    if not supervisor.is_department or supervisor.level != new.level or (
        new.level == UnitLevel.CITY and supervisor.city_code != city_code
    ):
        raise AppError(ErrorCode.INVALID, f"“{supervisor.name}”不能作为该单位的初审主管部门", "supervisorId")


def _division_word(level: UnitLevel) -> str:
    return {UnitLevel.REGION: "自治区", UnitLevel.CITY: "设区的市", UnitLevel.COUNTY: "县（市、区）"}[level]
