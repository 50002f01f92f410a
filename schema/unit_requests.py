"""单位注册 / 管理员变更: filed by units (the first without signing in), decided by operators."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from app.unit_requests import service
from app.unit_requests.models import UnitRequestStatus
from schema.common import After, Connection, First, connection_from, parse_id
from schema.errors import UserError, perform, require_user
from schema.types import UnitRequestStatusEnum, UnitRequestType


@strawberry.input(description="单位管理员信息 The unit administrator")
class AdminInput:
    name: str = strawberry.field(description="姓名 Name")
    birth_date: date | None = strawberry.field(default=None, description="出生日期（须与身份证号码一致）Birth date")
    id_number: str = strawberry.field(description="身份证号码 ID number")
    phone: str = strawberry.field(description="手机号码（接收审核结果短信）Mobile")

    def details(self) -> service.AdminDetails:
        return service.AdminDetails(name=self.name, birth_date=self.birth_date, id_number=self.id_number,
                                    phone=self.phone)


@strawberry.input(description="单位注册申请 A new unit's registration")
class UnitRegistrationInput:
    unit_name: str = strawberry.field(description="单位全称 Unit name")
    credit_code: str = strawberry.field(description="统一社会信用代码 Credit code")
    division_code: str = strawberry.field(description="所在行政区划代码 Division code")
    admin: AdminInput = strawberry.field(description="单位管理员 Administrator")


@strawberry.input(description="管理员变更 / 单位更名申请 Admin change or rename")
class AdminChangeInput:
    admin: AdminInput | None = strawberry.field(default=None, description="新管理员（只改名称时不填）New administrator")
    new_unit_name: str | None = strawberry.field(default=None, description="新的单位名称 New unit name")


@strawberry.type(description="申请结果 Outcome of a unit request mutation")
class UnitRequestPayload:
    request: UnitRequestType | None = strawberry.field(default=None, description="申请 The request")
    errors: list[UserError] = strawberry.field(default_factory=list, description="错误 Errors")


@strawberry.type
class UnitRequestQueries:
    @strawberry.field(description="单位注册和管理员变更申请：管理员看全部，单位管理员看本单位的 Unit requests")
    def unit_requests(
        self, info: Info,
        status: Annotated[UnitRequestStatusEnum | None, strawberry.argument(
            description="按状态筛选 Only this status")] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[UnitRequestType]:
        user = require_user(info)
        page = service.list_unit_requests(info.context.session, user=user,
                                          status=UnitRequestStatus(status) if status else None,
                                          first=first, after=after)
        return connection_from(page, UnitRequestType.of)


@strawberry.type
class UnitRequestMutations:
    @strawberry.mutation(description="新单位注册（无需登录），2个工作日内审核并短信通知 Register a new unit")
    def apply_unit_registration(
        self, info: Info,
        input: Annotated[UnitRegistrationInput, strawberry.argument(description="单位注册申请 The application")],
    ) -> UnitRequestPayload:
        return perform(info, UnitRequestPayload, lambda s: UnitRequestPayload(request=UnitRequestType.of(
            service.apply_unit_registration(s, settings=info.context.settings, unit_name=input.unit_name,
                                            credit_code=input.credit_code, division_code=input.division_code,
                                            admin=input.admin.details()))))

    @strawberry.mutation(description="管理员变更或单位更名申请（原单位管理员）Ask for an admin change or rename")
    def request_admin_change(
        self, info: Info,
        input: Annotated[AdminChangeInput, strawberry.argument(description="变更内容 What should change")],
    ) -> UnitRequestPayload:
        user = require_user(info)
        return perform(info, UnitRequestPayload, lambda s: UnitRequestPayload(request=UnitRequestType.of(
            service.request_admin_change(s, user=user, admin=input.admin.details() if input.admin else None,
                                         new_unit_name=input.new_unit_name))))

    @strawberry.mutation(description="审核单位申请（系统管理员）；通过后创建或更换管理员账号并短信通知 Decide a request")
    def review_unit_request(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="申请编号 Request id")],
        approve: Annotated[bool, strawberry.argument(description="是否通过 true approves, false rejects")],
        comment: Annotated[str | None, strawberry.argument(
            description="审核意见；不通过时必填，以短信告知申请人 Comment; required when rejecting, sent by SMS")] = None,
        supervisor_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="新单位的初审主管部门（自治区、市直单位）Supervising department of a new region or city unit")] = None,
    ) -> UnitRequestPayload:
        user = require_user(info)

        def work(session):  # noqa: ANN001, ANN202
            request = service.review_unit_request(
                session, settings=info.context.settings, user=user, request_id=parse_id(id, what="申请"),
                approve=approve, comment=comment,
                supervisor_id=parse_id(supervisor_id, what="主管部门", field="supervisorId") if supervisor_id else None,
            )
            return UnitRequestPayload(request=UnitRequestType.of(request))

        return perform(info, UnitRequestPayload, work)
