"""Working-day deadlines: holidays, adjusted workdays, and years the library lacks."""

from __future__ import annotations

from datetime import date, datetime

from app.calendar.service import CalendarSource, WorkingCalendar
from app.clock import CHINA


def at(y, m, d, h=10):
    return datetime(y, m, d, h, tzinfo=CHINA)


def test_three_working_days_skip_weekends():
    calendar = WorkingCalendar({})
    # Monday 2026-11-23 10:00 -> Tue, Wed, Thu -> due at the end of Thursday
    assert calendar.due(at(2026, 11, 23), 3) == datetime(2026, 11, 27, 0, 0, tzinfo=CHINA)
    # Friday -> Mon, Tue, Wed
    assert calendar.due(at(2026, 11, 27), 3) == datetime(2026, 12, 3, 0, 0, tzinfo=CHINA)


def test_national_day_holidays_and_adjusted_workdays_count():
    calendar = WorkingCalendar({})
    assert calendar.status(2026).source == CalendarSource.LIBRARY
    # 2026: Oct 1-7 off; submission on Sep 30 is due only after the holiday
    due = calendar.due(at(2026, 9, 30), 3)
    assert due.date() > date(2026, 10, 8)
    # an adjusted workday (调休) on a weekend counts as a working day
    assert calendar.is_workday(date(2026, 2, 14))  # Saturday, worked before Spring Festival
    assert not calendar.is_workday(date(2026, 10, 1))


def test_a_year_without_data_counts_weekends_and_says_so():
    calendar = WorkingCalendar({})
    status = calendar.status(2027)
    assert status.source == CalendarSource.WEEKENDS_ONLY and "只按周末计算" in status.message
    assert calendar.is_workday(date(2027, 10, 1))  # unknown holiday: treated as a working day
    assert calendar.due(at(2027, 3, 1), 3).date() == date(2027, 3, 5)


def test_an_operator_schedule_wins():
    calendar = WorkingCalendar({date(2027, 10, 1): False, date(2027, 10, 4): False, date(2027, 9, 26): True})
    assert calendar.status(2027).source == CalendarSource.OPERATOR
    assert not calendar.is_workday(date(2027, 10, 1))
    assert calendar.is_workday(date(2027, 9, 26))  # a Sunday made a workday
    assert calendar.is_workday(date(2027, 10, 5))


def test_working_hours_between_skip_days_off():
    calendar = WorkingCalendar({})
    # Friday 12:00 -> Monday 12:00: 12 h Friday + 12 h Monday
    assert calendar.working_hours_between(at(2026, 11, 27, 12), at(2026, 11, 30, 12)) == 24.0
