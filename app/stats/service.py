"""统计: registration figures grouped by any combination of dimensions, counted in the database.

One GROUP BY query over exactly the rows `registrations(sessionId, filter)` lists (the same
conditions, including the caller's jurisdiction), so the figures agree with the list.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import ColumnElement
from sqlmodel import Session

from app.accounts.models import User
from app.divisions.models import Division
from app.documents.models import CheckStatus, Photo
from app.exams.service import get_exam_session
from app.registrations.models import Registration, RegistrationStatus
from app.registrations.service import RegistrationFilter, listed_conditions, overdue
from app.stats.review_times import GroupedReviewTimes, ReviewTimes, hours, review_times
from app.stats.sql import china_day
from app.units.models import Unit, UnitLevel


class Dimension(StrEnum):
    CITY = "CITY"
    COUNTY = "COUNTY"
    UNIT = "UNIT"
    UNIT_LEVEL = "UNIT_LEVEL"
    STATUS = "STATUS"
    EXAM_TYPE = "EXAM_TYPE"
    ENFORCEMENT_FIELD = "ENFORCEMENT_FIELD"
    PERSONNEL_NATURE = "PERSONNEL_NATURE"
    GENDER = "GENDER"
    EDUCATION = "EDUCATION"
    SUBMISSION_DAY = "SUBMISSION_DAY"


@dataclass(frozen=True)
class GroupKey:
    """The values of the requested dimensions; the others stay None."""

    city_code: str | None = None
    city: str | None = None
    county_code: str | None = None
    county: str | None = None
    unit_id: int | None = None
    unit: str | None = None
    unit_level: UnitLevel | None = None
    status: RegistrationStatus | None = None
    exam_type: str | None = None
    enforcement_field: str | None = None
    personnel_nature: str | None = None
    gender: str | None = None
    education: str | None = None
    submission_day: date | None = None


@dataclass
class Figures:
    """Counts add up across groups; the review-time percentiles (in working hours) do not."""

    count: int = 0
    pending_initial: int = 0
    pending_final: int = 0
    rollback_requested: int = 0
    overdue: int = 0
    returned: int = 0
    approved: int = 0
    training_opened: int = 0
    photo_missing_or_rejected: int = 0
    finished_reviews: int = 0  # the reviews timed for the two figures below (see app.stats.review_times)
    review_hours_median: float | None = None
    review_hours_p90: float | None = None

    def add(self, other: Figures) -> None:
        for name in COUNTED:
            setattr(self, name, getattr(self, name) + getattr(other, name))


COUNTED = [f.name for f in fields(Figures) if f.type in ("int", int)]


@dataclass
class StatisticsRow:
    key: GroupKey
    figures: Figures


@dataclass
class Statistics:
    group_by: tuple[Dimension, ...]
    rows: list[StatisticsRow] = field(default_factory=list)
    total: Figures = field(default_factory=Figures)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def statistics(
    session: Session, *, user: User, session_id: int, group_by: list[Dimension] | tuple[Dimension, ...],
    filter: RegistrationFilter | None = None, with_review_times: bool = True,
) -> Statistics:
    """The figures per group; the review times (a second, heavier query) only `with_review_times`."""
    get_exam_session(session, session_id)
    dimensions = tuple(dict.fromkeys(group_by))  # in the order asked, once each
    city = aliased(Division, name="city_division")
    county = aliased(Division, name="county_division")
    is_county_unit = Unit.level == UnitLevel.COUNTY
    keys: dict[Dimension, list[tuple[str, Any]]] = {
        Dimension.CITY: [("city_code", Unit.city_code), ("city", city.name)],
        Dimension.COUNTY: [("county_code", sa.case((is_county_unit, Unit.division_code))),
                           ("county", county.name)],
        Dimension.UNIT: [("unit_id", Unit.id), ("unit", Unit.name)],
        Dimension.UNIT_LEVEL: [("unit_level", Unit.level)],
        Dimension.STATUS: [("status", Registration.status)],
        Dimension.EXAM_TYPE: [("exam_type", Registration.exam_type)],
        Dimension.ENFORCEMENT_FIELD: [("enforcement_field", Registration.enforcement_field)],
        Dimension.PERSONNEL_NATURE: [("personnel_nature", Registration.personnel_nature)],
        Dimension.GENDER: [("gender", Registration.gender)],
        Dimension.EDUCATION: [("education", Registration.education)],
        Dimension.SUBMISSION_DAY: [("submission_day", china_day(Registration.submitted_at))],
    }
    key_columns = [(name, column) for d in dimensions for name, column in keys[d]]
    status = Registration.status
    figures = [
        sa.func.count().label("count"),
        _count_if(status == RegistrationStatus.PENDING_INITIAL).label("pending_initial"),
        _count_if(status == RegistrationStatus.PENDING_FINAL).label("pending_final"),
        _count_if(status == RegistrationStatus.ROLLBACK_REQUESTED).label("rollback_requested"),
        _count_if(overdue()).label("overdue"),
        _count_if(status == RegistrationStatus.RETURNED).label("returned"),
        _count_if(status == RegistrationStatus.APPROVED).label("approved"),
        _count_if(status == RegistrationStatus.TRAINING_OPENED).label("training_opened"),
        _count_if(sa.or_(Photo.id.is_(None), Photo.status == CheckStatus.REJECTED)).label(
            "photo_missing_or_rejected"),
    ]
    labels = [column.label(name) for name, column in key_columns]
    conditions = listed_conditions(user=user, session_id=session_id, filter=filter)
    source = sa.join(Registration, Unit, Unit.id == Registration.unit_id)
    if Dimension.CITY in dimensions:
        source = source.outerjoin(city, city.code == Unit.city_code)
    if Dimension.COUNTY in dimensions:
        source = source.outerjoin(county, sa.and_(is_county_unit, county.code == Unit.division_code))
    query = (
        sa.select(*labels, *figures)
        .select_from(source.outerjoin(Photo, Photo.registration_id == Registration.id))  # at most one per record
        .where(*conditions)
    )
    if key_columns:
        query = query.group_by(*labels)
    times = (review_times(session, keys=key_columns, source=source, conditions=conditions) if with_review_times
             else GroupedReviewTimes(by_key={}, total=ReviewTimes()))

    result = Statistics(group_by=dimensions)
    for row in session.execute(query).mappings():
        counts = Figures(**{name: int(row[name]) for name in COUNTED if name != "finished_reviews"})
        raw_key = tuple(row[name] for name, _ in key_columns)
        timed = times.by_key.get(raw_key) if key_columns else times.total
        if timed is not None:
            counts.finished_reviews = timed.reviews
            counts.review_hours_median, counts.review_hours_p90 = hours(timed.median_seconds), hours(timed.p90_seconds)
        key = GroupKey(**{name: _plain(name, row[name]) for name, _ in key_columns})
        if key_columns or counts.count:
            result.rows.append(StatisticsRow(key=key, figures=counts))
        result.total.add(counts)
    result.total.finished_reviews = times.total.reviews
    result.total.review_hours_median = hours(times.total.median_seconds)
    result.total.review_hours_p90 = hours(times.total.p90_seconds)
    result.rows.sort(key=lambda r: _sort_key(r.key, key_columns))
    return result


def _plain(name: str, value: Any) -> Any:
    if name == "submission_day" and isinstance(value, str):  # SQLite answers date() as text
        return date.fromisoformat(value)
    return value


def _sort_key(key: GroupKey, key_columns: list[tuple[str, Any]]) -> tuple:
    values = (getattr(key, name) for name, _ in key_columns)
    return tuple((v is None, v if v is not None else "") for v in values)
