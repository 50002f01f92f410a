"""Units and exam sessions: read by the signed-in, created by operators."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from app.exams import service as exams
from app.units import service as units
from app.units.models import UnitLevel
from schema.common import After, Connection, First, connection_from, parse_id
from schema.errors import UserError, perform, require_user
from schema.types import ExamSessionType, UnitLevelEnum, UnitType


@strawberry.type(description="单位结果 Outcome of createUnit")
class UnitPayload:
    unit: UnitType | None = strawberry.field(default=None, description="单位 The unit")
    errors: list[UserError] = strawberry.field(default_factory=list, description="错误 Errors")


@strawberry.type(description="考试批次结果 Outcome of createExamSession")
class ExamSessionPayload:
    exam_session: ExamSessionType | None = strawberry.field(default=None, description="考试批次 The session")
    errors: list[UserError] = strawberry.field(default_factory=list, description="错误 Errors")


@strawberry.input(description="新单位 A new unit")
class CreateUnitInput:
    name: str = strawberry.field(description="单位名称 Name")
    credit_code: str = strawberry.field(description="统一社会信用代码 Unified social credit code")
    division_code: str = strawberry.field(description="所在行政区划代码 Division code")
    level: UnitLevelEnum = strawberry.field(description="单位层级 Level")
    supervisor_id: strawberry.ID | None = strawberry.field(default=None, description="初审主管部门 Supervising department")
    is_department: bool = strawberry.field(default=False, description="是否为负责初审的主管部门 Is a reviewing department")


@strawberry.input(description="新考试批次 A new exam session")
class CreateExamSessionInput:
    name: str = strawberry.field(description="名称 Name")
    opens_at: datetime = strawberry.field(description="报名开始时间（ISO 8601，不带时区按北京时间）Registration opens")
    closes_at: datetime = strawberry.field(description="报名截止时间 Registration closes")


@strawberry.type
class UnitQueries:
    @strawberry.field(description="管辖范围内的单位 Units in the caller's jurisdiction")
    def units(
        self,
        info: Info,
        division_code: Annotated[str | None, strawberry.argument(
            description="行政区划代码：该区划的单位（设区的市含其下各县）Units of this division (a city includes its counties)")] = None,
        search: Annotated[str | None, strawberry.argument(
            description="单位名称（可输入部分）Part of the unit name")] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[UnitType]:
        user = require_user(info)
        page = units.list_units(info.context.session, user=user, division_code=division_code,
                                search=search, first=first, after=after)
        return connection_from(page, UnitType.of)

    @strawberry.field(description="考试批次，最新的在前 Exam sessions, newest first")
    def exam_sessions(self, info: Info) -> list[ExamSessionType]:
        require_user(info)
        return [ExamSessionType.of(e) for e in exams.list_exam_sessions(info.context.session)]


@strawberry.type
class UnitMutations:
    @strawberry.mutation(description="创建单位（系统管理员）Create a unit (operators)")
    def create_unit(
        self, info: Info, input: Annotated[CreateUnitInput, strawberry.argument(description="新单位 The unit")],
    ) -> UnitPayload:
        user = require_user(info)

        def work(session):  # noqa: ANN001, ANN202
            new = units.NewUnit(
                name=input.name, credit_code=input.credit_code, division_code=input.division_code,
                level=UnitLevel(input.level), is_department=input.is_department,
                supervisor_id=parse_id(input.supervisor_id, what="主管部门", field="supervisorId")
                if input.supervisor_id else None,
            )
            return UnitPayload(unit=UnitType.of(units.create_unit(session, user=user, new=new)))

        return perform(info, UnitPayload, work)

    @strawberry.mutation(description="创建考试批次（系统管理员）Create an exam session (operators)")
    def create_exam_session(
        self, info: Info,
        input: Annotated[CreateExamSessionInput, strawberry.argument(description="新考试批次 The session")],
    ) -> ExamSessionPayload:
        user = require_user(info)

        def work(session):  # noqa: ANN001, ANN202
            exam = exams.create_exam_session(
                session, user=user, name=input.name, opens_at=input.opens_at, closes_at=input.closes_at
            )
            return ExamSessionPayload(exam_session=ExamSessionType.of(exam))

        return perform(info, ExamSessionPayload, work)
