"""Working-day calendar: which years are known, and loading an official schedule."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from app.calendar import service
from app.calendar.service import CalendarSource
from schema.common import described_enum
from schema.errors import UserError, perform, require_user

CalendarSourceEnum = described_enum(
    CalendarSource, name="CalendarSource",
    description="节假日来源 LIBRARY 内置 / OPERATOR 管理员导入 / WEEKENDS_ONLY 暂只按周末计算", values={
        "LIBRARY": "内置 The official holidays and 调休 workdays ship with the system",
        "OPERATOR": "管理员导入 Loaded by an operator from the State Council's notice",
        "WEEKENDS_ONLY": "暂只按周末计算 Year not yet known: weekends only, holidays ignored",
    })


@strawberry.type(description="某年的工作日历状态 Whether a year's holidays are known")
class CalendarYear:
    year: int = strawberry.field(description="年份 Year")
    source: CalendarSourceEnum = strawberry.field(description="节假日来源 Source")
    message: str = strawberry.field(description="说明 Explanation for operators")


@strawberry.input(description="一天的放假或调休安排 One day of the official schedule")
class ScheduleDayInput:
    day: date = strawberry.field(description="日期 Date")
    name: str | None = strawberry.field(default=None, description="节日名称，如春节 Holiday name")


@strawberry.type(description="导入结果 Outcome of loadHolidaySchedule")
class CalendarPayload:
    calendar: CalendarYear | None = strawberry.field(default=None, description="该年状态 The year's status")
    errors: list[UserError] = strawberry.field(default_factory=list, description="错误 Errors")


def _year(status: service.YearStatus) -> CalendarYear:
    return CalendarYear(year=status.year, source=status.source, message=status.message)


@strawberry.type
class CalendarQueries:
    @strawberry.field(description="某年的节假日是否已知（审核期限按工作日计算）Calendar status of a year")
    def working_calendar(
        self, info: Info, year: Annotated[int, strawberry.argument(description="年份，如2026 Year, e.g. 2026")],
    ) -> CalendarYear:
        require_user(info)
        return _year(service.calendar_year_status(info.context.session, year))


@strawberry.type
class CalendarMutations:
    @strawberry.mutation(description="导入国务院公布的某年放假和调休安排（系统管理员）Load a year's holidays")
    def load_holiday_schedule(
        self, info: Info,
        year: Annotated[int, strawberry.argument(description="年份（2000～2100）Year, 2000 to 2100")],
        holidays: Annotated[list[ScheduleDayInput], strawberry.argument(
            description="放假的日子（法定节假日及连休）Days off: public holidays and the days joined to them")],
        workdays: Annotated[list[ScheduleDayInput], strawberry.argument(
            description="调休上班的周末 Weekend days worked instead (调休)")],
    ) -> CalendarPayload:
        user = require_user(info)
        return perform(info, CalendarPayload, lambda s: CalendarPayload(calendar=_year(service.load_holiday_schedule(
            s, user=user, year=year, holidays=[(d.day, d.name) for d in holidays],
            workdays=[(d.day, d.name) for d in workdays]))))
