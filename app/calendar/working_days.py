"""The working calendar copied into the `working_day` table, so SQL can count working hours.

`WorkingCalendar` (chinese-calendar, the operators' schedules, weekends otherwise) stays the
one source of truth; this table is its copy for a window of years: every year the library
covers, every year an operator loaded or an exam session touches, and the year after the
current one. `examreg migrate` refreshes it, and so does every schedule an operator loads.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import sqlalchemy as sa
from sqlmodel import Session, select

from app.calendar.models import WorkingDay
from app.calendar.service import WorkingCalendar
from app.clock import CHINA, now
from app.exams.models import ExamSession


def calendar_years(session: Session, calendar: WorkingCalendar) -> tuple[int, int]:
    """The first and last year the table holds."""
    library = [d.year for d in chinese_calendar.holidays] + [d.year for d in chinese_calendar.workdays]
    sessions = session.execute(sa.select(sa.func.min(ExamSession.registration_opens_at),
                                         sa.func.max(ExamSession.registration_closes_at))).one()
    years = [*library, *calendar.operator_years, now().astimezone(CHINA).year + 1]
    years += [moment.astimezone(CHINA).year for moment in sessions if moment is not None]
    return min(years), max(years)


def wanted_days(session: Session) -> dict[date, tuple[bool, int]]:
    """Every day of the window: whether it is a working day, and the working days before it."""
    calendar = WorkingCalendar.load(session)
    first, last = calendar_years(session, calendar)
    day, end = date(first, 1, 1), date(last, 12, 31)
    days: dict[date, tuple[bool, int]] = {}
    before = 0
    while day <= end:
        working = calendar.is_workday(day)
        days[day] = (working, before)
        before += working
        day += timedelta(days=1)
    return days


def refresh_working_days(session: Session) -> int:
    """Make the table equal the calendar; writes only the days that differ. Returns their number."""
    wanted = wanted_days(session)
    have = {day: (working, before) for day, working, before in session.exec(
        select(WorkingDay.day, WorkingDay.is_working, WorkingDay.working_days_before))}
    stale = [day for day, value in have.items() if wanted.get(day) != value]
    missing = [day for day, value in wanted.items() if have.get(day) != value]
    table = WorkingDay.__table__
    for chunk in _chunks(stale, 1000):
        session.execute(sa.delete(table).where(table.c.day.in_(chunk)))
    if missing:
        session.execute(sa.insert(table), [
            {"day": day, "is_working": wanted[day][0], "working_days_before": wanted[day][1]} for day in missing])
    return len(missing) + len(set(stale) - set(missing))


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]
