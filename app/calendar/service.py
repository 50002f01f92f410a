"""Chinese working days: holidays and adjusted workdays (调休) for review deadlines.

The chinese-calendar library is the maintained source. For a year it does not
cover yet, operators load the State Council's schedule; until they do, only
weekends are counted and operators are told so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

import chinese_calendar
import sqlalchemy as sa
from sqlmodel import Session, select

from app.accounts.models import User
from app.auth.permissions import require_operator
from app.calendar.models import HolidayScheduleDay
from app.clock import CHINA
from app.errors import AppError, ErrorCode, FieldProblem, ValidationFailed

REVIEW_WORKING_DAYS = 3  # 各级司法局将在报名信息提交之日起3个工作日内完成审核
UNIT_REQUEST_WORKING_DAYS = 2  # 系统在2个工作日内审核完成


class CalendarSource(StrEnum):
    LIBRARY = "LIBRARY"  # chinese-calendar has the official schedule
    OPERATOR = "OPERATOR"  # loaded by an operator
    WEEKENDS_ONLY = "WEEKENDS_ONLY"  # nothing known: weekends only, holidays ignored


@dataclass(frozen=True)
class YearStatus:
    year: int
    source: CalendarSource

    @property
    def message(self) -> str:
        match self.source:
            case CalendarSource.LIBRARY:
                return f"{self.year}年的法定节假日和调休安排已内置"
            case CalendarSource.OPERATOR:
                return f"{self.year}年的法定节假日和调休安排已由管理员导入"
        return (f"系统尚无{self.year}年的法定节假日和调休安排，审核期限暂时只按周末计算；"
                f"请在国务院办公厅公布后导入{self.year}年的放假安排")


class WorkingCalendar:
    """Answers "is this a working day" from operator schedules, the library, or weekends."""

    def __init__(self, schedule: dict[date, bool]) -> None:
        self.schedule = schedule
        self.operator_years = {d.year for d in schedule}

    @classmethod
    def load(cls, session: Session) -> WorkingCalendar:
        rows = session.exec(select(HolidayScheduleDay.day, HolidayScheduleDay.is_workday))
        return cls(dict(rows.all()))

    def status(self, year: int) -> YearStatus:
        if year in self.operator_years:
            return YearStatus(year, CalendarSource.OPERATOR)
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
            return YearStatus(year, CalendarSource.LIBRARY)
        except NotImplementedError:
            return YearStatus(year, CalendarSource.WEEKENDS_ONLY)

    def is_workday(self, day: date) -> bool:
        if day.year in self.operator_years:
            return self.schedule.get(day, day.weekday() < 5)
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            return day.weekday() < 5

    def due(self, start: datetime, working_days: int) -> datetime:
        """End of the n-th working day after the day of `start` (China time)."""
        day = start.astimezone(CHINA).date()
        counted = 0
        while counted < working_days:
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=CHINA)

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Hours of working days between two instants (whole days count 24 h), for statistics."""
        if end <= start:
            return 0.0
        total = 0.0
        cursor = start.astimezone(CHINA)
        end = end.astimezone(CHINA)
        while cursor < end:
            next_midnight = datetime.combine(cursor.date() + timedelta(days=1), time(0), tzinfo=CHINA)
            stop = min(end, next_midnight)
            if self.is_workday(cursor.date()):
                total += (stop - cursor).total_seconds() / 3600
            cursor = stop
        return total


def review_due(session: Session, submitted_at: datetime) -> datetime:
    return WorkingCalendar.load(session).due(submitted_at, REVIEW_WORKING_DAYS)


def unit_request_due(session: Session, submitted_at: datetime) -> datetime:
    return WorkingCalendar.load(session).due(submitted_at, UNIT_REQUEST_WORKING_DAYS)


def load_holiday_schedule(
    session: Session,
    *,
    user: User,
    year: int,
    holidays: list[tuple[date, str | None]],
    workdays: list[tuple[date, str | None]],
) -> YearStatus:
    """Replace `year`'s official schedule, recompute the deadlines that fall in it and the working-day table."""
    require_operator(user)
    problems = []
    if not 2000 <= year <= 2100:
        problems.append(FieldProblem(ErrorCode.INVALID, "年份须在2000至2100之间", "year"))
    days = [(d, False, n) for d, n in holidays] + [(d, True, n) for d, n in workdays]
    wrong_year = sorted({d for d, _, _ in days if d.year != year})
    if wrong_year:
        problems.append(FieldProblem(ErrorCode.INVALID_DATE,
                                     f"以下日期不属于{year}年：{'、'.join(map(str, wrong_year[:5]))}", "holidays"))
    both = sorted({d for d, _ in holidays} & {d for d, _ in workdays})
    if both:
        problems.append(FieldProblem(ErrorCode.INVALID_DATE,
                                     f"以下日期同时出现在放假和调休上班中：{'、'.join(map(str, both[:5]))}", "workdays"))
    if not holidays:
        problems.append(FieldProblem(ErrorCode.REQUIRED, "请填写放假日期", "holidays"))
    if problems:
        raise ValidationFailed(problems)
    session.execute(sa.delete(HolidayScheduleDay).where(HolidayScheduleDay.year == year))
    for day, is_workday, name in days:
        session.add(HolidayScheduleDay(day=day, year=year, is_workday=is_workday, name=name, loaded_by=user.id))
    session.flush()
    recompute_deadlines(session, year=year)
    from app.calendar.working_days import refresh_working_days  # it builds on this module

    refresh_working_days(session)
    return WorkingCalendar.load(session).status(year)


def recompute_deadlines(session: Session, *, year: int) -> int:
    """Pending items whose deadline was counted without this year's schedule get it again."""
    from app.registrations.models import Registration
    from app.unit_requests.models import UnitRequest, UnitRequestStatus

    calendar = WorkingCalendar.load(session)
    first = datetime(year - 1, 12, 1, tzinfo=CHINA)
    changed = 0
    pending = session.exec(select(Registration).where(
        Registration.due_at.is_not(None), Registration.due_at >= first, Registration.submitted_at.is_not(None)))
    for registration in pending:
        registration.due_at = calendar.due(registration.submitted_at, REVIEW_WORKING_DAYS)
        session.add(registration)
        changed += 1
    requests = session.exec(select(UnitRequest).where(
        UnitRequest.status == UnitRequestStatus.PENDING, UnitRequest.due_at >= first))
    for request in requests:
        request.due_at = calendar.due(request.submitted_at, UNIT_REQUEST_WORKING_DAYS)
        session.add(request)
        changed += 1
    return changed


def calendar_year_status(session: Session, year: int) -> YearStatus:
    if not 1900 < year < 2200:
        raise AppError(ErrorCode.INVALID, "年份无效", "year")
    return WorkingCalendar.load(session).status(year)
