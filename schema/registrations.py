"""One-by-one registration: list, detail, create, edit, delete."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry
from strawberry.types import Info
from strawberry.types.private import is_private
from strawberry.utils.str_converters import to_camel_case

from app.clock import now
from app.errors import AppError
from app.registrations import service
from app.registrations.fields import DATA_KEYS
from app.registrations.models import Registration
from schema.audit import audit_full_id_view
from schema.common import After, Connection, First, SessionId, connection_from, node_fields, parse_id
from schema.errors import UserError, perform, require_user
from schema.types import ExamTypeEnum, GenderEnum, PersonnelNatureEnum, RegistrationType, StatusEnum


@strawberry.input(description="报名信息（新增时 sessionId 必填；修改时只传要改的字段）Registration data; on update, omitted fields keep their value")
class RegistrationInput:
    session_id: strawberry.ID | None = strawberry.field(default=strawberry.UNSET, description="考试批次编号（新增时必填）Exam session (create only)")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="姓名 Name")
    gender: GenderEnum | None = strawberry.field(default=strawberry.UNSET, description="性别，须与身份证号码一致 Gender")
    ethnicity: str | None = strawberry.field(default=strawberry.UNSET, description="民族（见 registrationOptions）Ethnicity")
    id_number: str | None = strawberry.field(default=strawberry.UNSET, description="18位身份证号码 ID number")
    political_status: str | None = strawberry.field(default=strawberry.UNSET, description="政治面貌 Political status")
    education: str | None = strawberry.field(default=strawberry.UNSET, description="学历 Education")
    major: str | None = strawberry.field(default=strawberry.UNSET, description="所学专业 Major")
    phone: str | None = strawberry.field(default=strawberry.UNSET, description="手机号码 Mobile")
    position: str | None = strawberry.field(default=strawberry.UNSET, description="职务职级 Position")
    enforcement_field: str | None = strawberry.field(default=strawberry.UNSET, description="执法门类 Enforcement field")
    exam_type: ExamTypeEnum | None = strawberry.field(default=strawberry.UNSET, description="报考类型 Exam type")
    certificate_number: str | None = strawberry.field(default=strawberry.UNSET, description="原执法证号（续职考试必填）Previous certificate")
    personnel_nature: PersonnelNatureEnum | None = strawberry.field(default=strawberry.UNSET, description="人员性质 Personnel nature")
    work_start_date: date | None = strawberry.field(default=strawberry.UNSET, description="参加工作时间 YYYY-MM-DD")
    remarks: str | None = strawberry.field(default=strawberry.UNSET, description="备注 Remarks")

    def given(self) -> dict[str, Any]:
        """The data fields the client actually sent."""
        return {k: getattr(self, k) for k in DATA_KEYS if getattr(self, k) is not strawberry.UNSET}


@strawberry.input(description="报名列表筛选 Filter for registrations")
class RegistrationFilterInput:
    statuses: list[StatusEnum] | None = strawberry.field(default=None, description="状态 States")
    unit_id: strawberry.ID | None = strawberry.field(default=None, description="单位 Unit")
    exam_type: ExamTypeEnum | None = strawberry.field(default=None, description="报考类型 Exam type")
    search: str | None = strawberry.field(default=None, description="姓名或身份证号码（可输入部分）Name or (part of) ID number")
    awaiting_my_review: bool = strawberry.field(default=False, description="只看等待我审核的（审核员的待办）A reviewer's queue")
    overdue: bool | None = strawberry.field(default=None, description="只看已超期（true）或未超期（false）的 Overdue only")


@strawberry.type(description="报名结果 Outcome of a registration mutation")
class RegistrationPayload:
    registration: RegistrationType | None = strawberry.field(default=None, description="报名信息（完整）The registration")
    errors: list[UserError] = strawberry.field(default_factory=list, description="错误 Errors")


@strawberry.type(description="删除结果 Outcome of deleteRegistration")
class DeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(default=None, description="已删除的编号 Id deleted")
    errors: list[UserError] = strawberry.field(default_factory=list, description="错误 Errors")


# A registration's GraphQL field name -> its Python name (a column's name, for most of them).
_FIELDS = {f.graphql_name or to_camel_case(f.python_name): f.python_name
           for f in RegistrationType.__strawberry_definition__.fields
           if not is_private(f.type_annotation.annotation if f.type_annotation else None)}
_COLUMNS = frozenset(Registration.__table__.c.keys())


def listed_columns(shown: set[str]) -> frozenset[str] | None:
    """The columns a list of registrations must load to show the fields `shown` (GraphQL names);
    None: all of them."""
    fields = {_FIELDS[name] for name in shown if name in _FIELDS}
    if "blockers" in fields:
        return None  # the checklist applies every rule to the whole record
    columns = fields & _COLUMNS
    if "overdue" in fields:
        columns.add("due_at")
    return frozenset(columns)


def _filter(f: RegistrationFilterInput | None) -> service.RegistrationFilter:
    if f is None:
        return service.RegistrationFilter()
    return service.RegistrationFilter(
        statuses=tuple(f.statuses or ()),
        unit_id=parse_id(f.unit_id, what="单位", field="filter.unitId") if f.unit_id else None,
        exam_type=f.exam_type,
        search=f.search,
        awaiting_my_review=f.awaiting_my_review,
        overdue=f.overdue,
    )


@strawberry.type
class RegistrationQueries:
    @strawberry.field(description="报名列表（身份证号码和手机号码脱敏），最新的在前 Registrations in the caller's jurisdiction, masked")
    def registrations(
        self,
        info: Info,
        session_id: SessionId,
        filter: Annotated[RegistrationFilterInput | None, strawberry.argument(
            description="筛选条件 Filter")] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[RegistrationType]:
        user = require_user(info)
        shown = node_fields(info)
        page = service.list_registrations(
            info.context.session, user=user, session_id=parse_id(session_id, what="考试批次", field="sessionId"),
            filter=_filter(filter), first=first, after=after, columns=listed_columns(shown), unit_name="unit" in shown,
        )
        info.context.loaders.expect_registrations(page.rows)
        moment = now()
        return connection_from(page, lambda r: RegistrationType.listed(r, moment=moment))

    @strawberry.field(description="单条报名信息（完整身份证号码和手机号码）；无权查看时返回 null One registration in full")
    def registration(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="报名编号 Registration id")],
    ) -> RegistrationType | None:
        user = require_user(info)
        try:
            registration_id = parse_id(id)
        except AppError:
            return None
        try:
            found = service.get_registration(info.context.session, user=user, registration_id=registration_id)
        except AppError as error:
            audit_full_id_view(info, registration_id=registration_id, error_code=error.code)
            return None
        audit_full_id_view(info, registration_id=found.id)
        return RegistrationType.of(found, full=True)


@strawberry.type
class RegistrationMutations:
    @strawberry.mutation(description="新增报名（单位管理员）Create a registration (unit admins)")
    def create_registration(
        self, info: Info,
        input: Annotated[RegistrationInput, strawberry.argument(
            description="报名信息（含 sessionId）The registration, with sessionId")],
    ) -> RegistrationPayload:
        user = require_user(info)

        def work(session):  # noqa: ANN001, ANN202
            if input.session_id in (None, strawberry.UNSET):
                from app.errors import ErrorCode

                raise AppError(ErrorCode.REQUIRED, "请选择考试批次", "sessionId")
            registration = service.create_registration(
                session, user=user, session_id=parse_id(input.session_id, what="考试批次", field="sessionId"),
                data=input.given(),
            )
            return RegistrationPayload(registration=RegistrationType.of(registration, full=True))

        return perform(info, RegistrationPayload, work)

    @strawberry.mutation(description="修改报名；待终审的记录修改后回到待初审 Edit a registration")
    def update_registration(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="报名编号 Registration id")],
        input: Annotated[RegistrationInput, strawberry.argument(
            description="要修改的字段（不传的保持不变）Fields to change; omitted ones stay")],
    ) -> RegistrationPayload:
        user = require_user(info)

        def work(session):  # noqa: ANN001, ANN202
            registration = service.update_registration(
                session, user=user, registration_id=parse_id(id, what="报名信息"), changes=input.given()
            )
            return RegistrationPayload(registration=RegistrationType.of(registration, full=True))

        return perform(info, RegistrationPayload, work)

    @strawberry.mutation(description="删除未提交或已退回的报名 Delete a draft or returned registration")
    def delete_registration(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="报名编号 Registration id")],
    ) -> DeletePayload:
        user = require_user(info)

        def work(session):  # noqa: ANN001, ANN202
            deleted = service.delete_registration(session, user=user, registration_id=parse_id(id, what="报名信息"))
            return DeletePayload(deleted_id=strawberry.ID(str(deleted)))

        return perform(info, DeletePayload, work)
