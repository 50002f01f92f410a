"""Who reviews a unit's registrations at each stage (DESIGN.md, "Review chain by unit level").

COUNTY units: initial = the county justice bureau, final = the city justice bureau.
REGION units: initial = their region-level department, final = the regional justice department.
CITY units: initial = their city-level department (or the city justice bureau where none
exists), final = the city justice bureau. A department reviews its own staff first.

`reviewer_for` is the rule as a pure function; `awaiting_review_by` is the same rule
as SQL, and a test checks that the two agree for every kind of unit and reviewer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement, False_

from app.accounts.models import Role, User
from app.registrations.models import Registration
from app.registrations.models import RegistrationStatus as S
from app.units.models import Unit, UnitLevel


class Stage(StrEnum):
    INITIAL = "INITIAL"
    FINAL = "FINAL"


STAGE_OF_STATUS = {S.PENDING_INITIAL: Stage.INITIAL, S.PENDING_FINAL: Stage.FINAL,
                   S.ROLLBACK_REQUESTED: Stage.FINAL}


@dataclass(frozen=True)
class ReviewerRef:
    """The reviewer accounts of one stage: a role plus the division or unit they are bound to."""

    role: Role
    division_code: str | None = None
    unit_id: int | None = None

    def matches(self, user: User) -> bool:
        if user.role != self.role:
            return False
        if self.unit_id is not None:
            return user.unit_id == self.unit_id
        if self.division_code is not None:
            return user.division_code == self.division_code
        return True


def reviewer_for(unit: Unit, stage: Stage) -> ReviewerRef:
    if unit.level == UnitLevel.COUNTY:
        if stage == Stage.INITIAL:
            return ReviewerRef(Role.COUNTY_REVIEWER, division_code=unit.division_code)
        return ReviewerRef(Role.CITY_REVIEWER, division_code=unit.city_code)
    department = unit.id if unit.is_department else unit.supervisor_id
    if stage == Stage.INITIAL and department is not None:
        return ReviewerRef(Role.DEPT_REVIEWER, unit_id=department)
    if unit.level == UnitLevel.CITY:
        return ReviewerRef(Role.CITY_REVIEWER, division_code=unit.city_code)
    return ReviewerRef(Role.REGION_REVIEWER)


def _units_reviewed(user: User, stage: Stage) -> ColumnElement[bool]:
    """A condition on Unit: the units whose `stage` review belongs to `user`."""
    no_department = sa.and_(Unit.supervisor_id.is_(None), Unit.is_department.is_(False))
    match user.role, stage:
        case Role.COUNTY_REVIEWER, Stage.INITIAL:
            return sa.and_(Unit.level == UnitLevel.COUNTY, Unit.division_code == user.division_code)
        case Role.CITY_REVIEWER, Stage.INITIAL:
            return sa.and_(Unit.level == UnitLevel.CITY, Unit.city_code == user.division_code, no_department)
        case Role.CITY_REVIEWER, Stage.FINAL:
            return sa.and_(Unit.level.in_([UnitLevel.COUNTY, UnitLevel.CITY]), Unit.city_code == user.division_code)
        case Role.DEPT_REVIEWER, Stage.INITIAL:
            return sa.and_(
                Unit.level.in_([UnitLevel.REGION, UnitLevel.CITY]),
                sa.or_(Unit.supervisor_id == user.unit_id, sa.and_(Unit.id == user.unit_id, Unit.is_department)),
            )
        case Role.REGION_REVIEWER, Stage.INITIAL:
            return sa.and_(Unit.level == UnitLevel.REGION, no_department)
        case Role.REGION_REVIEWER, Stage.FINAL:
            return Unit.level == UnitLevel.REGION
    return sa.false()


def awaiting_review_by(user: User, *, stage: Stage | None = None) -> ColumnElement[bool]:
    """A condition on Registration: records waiting for `user`'s decision now."""
    parts = []
    for status, status_stage in STAGE_OF_STATUS.items():
        if stage is not None and status_stage != stage:
            continue
        units = _units_reviewed(user, status_stage)
        if isinstance(units, False_):
            continue
        parts.append(sa.and_(Registration.status == status,
                             Registration.unit_id.in_(sa.select(Unit.id).where(units))))
    return sa.or_(*parts) if parts else sa.false()
