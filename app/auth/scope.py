"""Jurisdiction: the one place that decides which units and records a user may see.

Every query for units, registrations and unit-owned rows is filtered through the
conditions built here, so a forgotten filter cannot leak another unit's data.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from app.accounts.models import Role, User
from app.registrations.models import Registration, RegistrationStatus
from app.units.models import Unit, UnitLevel

REGION_WIDE = {Role.SUPERADMIN, Role.REGION_REVIEWER, Role.TRAINING_OPERATOR}
# The training company only ever deals with finally approved candidates.
TRAINING_STATUSES = (RegistrationStatus.APPROVED, RegistrationStatus.TRAINING_OPENED)


def visible_units(user: User) -> ColumnElement[bool]:
    """A WHERE condition on Unit for the units inside `user`'s jurisdiction."""
    match user.role:
        case role if role in REGION_WIDE:
            return sa.true()
        case Role.CITY_REVIEWER:
            return Unit.city_code == user.division_code
        case Role.COUNTY_REVIEWER:
            return sa.and_(Unit.division_code == user.division_code, Unit.level == UnitLevel.COUNTY)
        case Role.DEPT_REVIEWER:
            return sa.or_(Unit.supervisor_id == user.unit_id, Unit.id == user.unit_id)
        case Role.UNIT_ADMIN:
            return Unit.id == user.unit_id
    return sa.false()


def visible_unit_ids(user: User) -> sa.Select:
    return sa.select(Unit.id).where(visible_units(user))


def visible_registrations(user: User) -> ColumnElement[bool]:
    """A WHERE condition on Registration for the records `user` may see."""
    if user.role == Role.UNIT_ADMIN:
        return Registration.unit_id == user.unit_id
    if user.role == Role.TRAINING_OPERATOR:
        return Registration.status.in_(TRAINING_STATUSES)
    if user.role in REGION_WIDE:
        return sa.true()
    return Registration.unit_id.in_(visible_unit_ids(user))


def owned_by_visible_unit(unit_id_column: sa.ColumnElement[int], user: User) -> ColumnElement[bool]:
    """For rows that belong to a unit (attachments, jobs): the same jurisdiction. The training
    company sees candidates, never a unit's proof PDFs or import jobs (whose error reports hold
    rows of records it may not see)."""
    if user.role == Role.UNIT_ADMIN:
        return unit_id_column == user.unit_id
    if user.role == Role.TRAINING_OPERATOR:
        return sa.false()
    if user.role in REGION_WIDE:
        return sa.true()
    return unit_id_column.in_(visible_unit_ids(user))
