"""Official holiday schedules that operators load for years the calendar library lacks."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from app.models_base import timestamp


class HolidayScheduleDay(SQLModel, table=True):
    """One day of an official schedule: a holiday, or an adjusted workday (调休)."""

    day: date = Field(primary_key=True)
    year: int = Field(index=True)
    is_workday: bool
    name: str | None = Field(default=None, max_length=30)  # e.g. 春节
    loaded_by: int | None = Field(default=None, foreign_key="app_user.id")
    loaded_at: datetime = timestamp()


class WorkingDay(SQLModel, table=True):
    """The working calendar as a table, so SQL can count working hours (review times in statistics).

    Filled by `examreg migrate` and again whenever an operator loads a schedule; see
    app/calendar/working_days.py.
    """

    __tablename__ = "working_day"

    day: date = Field(primary_key=True)  # a China calendar day
    is_working: bool
    # Working days from the table's first day up to this one, this one excluded: the working hours
    # between two instants are 24 × the difference of this ordinal, corrected for the partial days.
    working_days_before: int
